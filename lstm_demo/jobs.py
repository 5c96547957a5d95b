"""Background training jobs: run `lstm_demo.train.train` in a thread, report progress, cancel.

A job never touches the model a caller is serving: the caller swaps in
`job.result` only when `job.state == "done"`, so a session always uses either
its old model or a fully trained new one. One heavy training runs per process
at a time (`BusyError` otherwise), because two would share the same CPU cores
and both become slow.
"""

from __future__ import annotations

import functools
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from lstm_demo import data, text
from lstm_demo.config import DigitsConfig, ReviewsConfig
from lstm_demo.train import PreparedData, TrainingCancelled, TrainingProgress, TrainingResult, prepare

_TRAINING_SLOT = threading.Lock()
_MAX_BATCH_POINTS = 2000  # per-batch curve points kept per job; older ones are thinned out


class BusyError(RuntimeError):
    """Another training job is already running in this process."""


@dataclass
class ReplaySnapshot:
    """The watched input seen by the network after one epoch (0 = before training)."""

    epoch: int
    step_probabilities: np.ndarray  # (timesteps, classes)
    hidden: np.ndarray  # (timesteps, units) h of the last recurrent layer
    length: int


@functools.lru_cache(maxsize=4)
def _cached_prepare(config, data_dir, limit, vocabulary_key):
    vocabulary = _VOCABULARIES.get(vocabulary_key)
    # NOTE: the test set is cut to 2,000 samples so an evaluation after a retrain takes seconds.
    # Cards of pretrained models use the whole test set.
    return prepare(config, data_dir, limit=limit, test_limit=2000, vocabulary=vocabulary)


_VOCABULARIES: dict[int, text.Vocabulary] = {}


def prepare_cached(config, data_dir=None, limit=None, vocabulary: text.Vocabulary | None = None) -> PreparedData:
    """`lstm_demo.train.prepare`, remembered for the last few settings (reading IMDB takes seconds)."""
    key = None
    if vocabulary is not None:
        key = id(vocabulary)
        _VOCABULARIES[key] = vocabulary
    return _cached_prepare(config, None if data_dir is None else str(data_dir), limit, key)


@dataclass
class TrainingJob:
    """One training run in a background thread, with everything a UI needs to show it."""

    config: DigitsConfig | ReviewsConfig
    epochs: int
    limit: int | None = None
    data_dir: str | None = None
    initial_weights: list | None = None
    vocabulary: text.Vocabulary | None = None
    watch_input: np.ndarray | None = None  # model input to record after each epoch, for the replay

    state: str = "new"  # new, preparing, running, done, cancelled, failed
    error: str | None = None
    result: TrainingResult | None = None
    batch_events: list[TrainingProgress] = field(default_factory=list)
    epoch_events: list[TrainingProgress] = field(default_factory=list)
    replay: list[ReplaySnapshot] = field(default_factory=list)
    started_at: float = 0.0
    _cancel: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def latest(self) -> TrainingProgress | None:
        return self.batch_events[-1] if self.batch_events else None

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        latest = self.latest
        return 0.0 if latest is None else latest.fraction

    @property
    def is_active(self) -> bool:
        return self.state in ("new", "preparing", "running")

    def start(self) -> "TrainingJob":
        """Start the thread; raises `BusyError` if another job of this process is running."""
        if not _TRAINING_SLOT.acquire(blocking=False):
            raise BusyError("another training is running on this server; wait until it finishes, then retry")
        self.started_at = time.perf_counter()
        self.state = "preparing"
        self._thread = threading.Thread(target=self._run, name=f"train-{self.config.task}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; returns False on timeout."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _record(self, event: TrainingProgress) -> None:
        if event.phase == "batch":
            self.batch_events.append(event)
            if len(self.batch_events) > _MAX_BATCH_POINTS:
                self.batch_events = self.batch_events[::2]
        elif event.phase == "epoch":
            self.epoch_events.append(event)

    def _snapshot(self, model, epoch: int) -> None:
        if self.watch_input is None:
            return
        from lstm_demo.inspector import Inspector, NetworkWeights

        trace = Inspector(NetworkWeights.from_keras(model), self.config).trace(self.watch_input)
        self.replay.append(ReplaySnapshot(epoch, trace.step_probabilities, trace.layers[-1]["h"], trace.length))

    def _run(self) -> None:
        from lstm_demo.train import train

        try:
            prepared = prepare_cached(self.config, self.data_dir, self.limit, self.vocabulary)
            if self._cancel.is_set():
                raise TrainingCancelled("training was cancelled before it started")
            self.state = "running"
            self.result = train(
                self.config,
                prepared,
                self.epochs,
                progress=self._record,
                should_stop=self._cancel.is_set,
                on_epoch_end=self._snapshot,
                initial_weights=self.initial_weights,
            )
            self.state = "done"
        except TrainingCancelled:
            self.state = "cancelled"
        except data.DataError as error:
            self.error = str(error)
            self.state = "failed"
        except Exception as error:  # shown in the UI; the thread must not die silently
            self.error = f"{type(error).__name__}: {error}"
            traceback.print_exc()
            self.state = "failed"
        finally:
            _TRAINING_SLOT.release()
