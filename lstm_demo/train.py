"""Train a configuration on its real data set, evaluate it on the test set, write it with its card.

Command line:

    python -m lstm_demo.train digits|reviews [--config NAME] --epochs N
        [--data-dir D] [--limit N] [--out DIR]

Progress goes through a plain callable that receives `TrainingProgress`
events, so the terminal, the app and tests each show it their own way.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from lstm_demo import artifacts, data, text
from lstm_demo.config import DigitsConfig, ReviewsConfig, config_to_dict, get_config
from lstm_demo.preprocess import digit_sequences

# Seeds of the noise rows that follow the digits in the memory task (the app's inputs use seed 0).
TRAIN_NOISE_SEED = 1
TEST_NOISE_SEED = 2


class TrainingCancelled(RuntimeError):
    """Raised by `train` when `should_stop` returned True; the caller's model is unchanged."""


@dataclass(frozen=True)
class TrainingProgress:
    """One progress report: after a batch ("batch"), after an epoch ("epoch"), or at the end ("done")."""

    phase: str
    epoch: int  # 1-based epoch in progress or just finished
    epochs: int
    batch: int  # 1-based batch within the epoch
    batches: int  # batches per epoch
    elapsed_s: float
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None

    @property
    def fraction(self) -> float:
        """Share of all batches done, always within [0, 1]."""
        if self.phase == "done":
            return 1.0
        total = max(1, self.epochs * self.batches)
        done = (self.epoch - 1) * self.batches + self.batch
        return min(1.0, max(0.0, done / total))

    @property
    def remaining_s(self) -> float | None:
        """Estimate of the seconds left, from the pace so far."""
        fraction = self.fraction
        if fraction <= 0:
            return None
        return self.elapsed_s * (1 - fraction) / fraction


ProgressCallable = Callable[[TrainingProgress], None]


@dataclass
class PreparedData:
    """Model-ready arrays of one task: training, validation and test parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    vocabulary: text.Vocabulary | None = None


@dataclass
class TrainingResult:
    model: object  # keras.Model
    config: DigitsConfig | ReviewsConfig
    card: dict
    vocabulary: text.Vocabulary | None = None
    history: dict = field(default_factory=dict)


# ---------------------------------------------------------------- data


def _split_validation(count: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(count)
    held_out = int(round(count * fraction))
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def prepare_digits(
    config: DigitsConfig, data_dir=None, limit: int | None = None, test_limit: int | None = None
) -> PreparedData:
    """MNIST as (samples, timesteps + delay, 28) float32 rows in [0, 1]."""
    mnist = data.load_mnist(data_dir)
    train_rows = data.subsample(len(mnist["train"]), limit, config.seed)
    train_part, val_part = _split_validation(len(train_rows), config.validation_fraction, config.seed)
    x = digit_sequences(mnist["train"].x[train_rows], config, TRAIN_NOISE_SEED)
    y = mnist["train"].y[train_rows]
    test_rows = data.subsample(len(mnist["test"]), test_limit, config.seed)
    return PreparedData(
        x_train=x[train_part],
        y_train=y[train_part],
        x_val=x[val_part],
        y_val=y[val_part],
        x_test=digit_sequences(mnist["test"].x[test_rows], config, TEST_NOISE_SEED),
        y_test=mnist["test"].y[test_rows],
    )


def prepare_reviews(
    config: ReviewsConfig,
    data_dir=None,
    limit: int | None = None,
    test_limit: int | None = None,
    vocabulary: text.Vocabulary | None = None,
) -> PreparedData:
    """IMDB as (samples, maxlen) int32 ids; the vocabulary is built from the training part unless given."""
    imdb = data.load_imdb(data_dir)
    train_rows = data.subsample(len(imdb["train"]), limit, config.seed)
    train_part, val_part = _split_validation(len(train_rows), config.validation_fraction, config.seed)
    texts = [imdb["train"].texts[row] for row in train_rows]
    y = imdb["train"].y[train_rows]
    if vocabulary is None:
        vocabulary = text.Vocabulary.build((texts[row] for row in train_part), config.vocab_size)
    x, _ = text.encode_many(texts, vocabulary, config.maxlen)
    test_rows = data.subsample(len(imdb["test"]), test_limit, config.seed)
    x_test, _ = text.encode_many((imdb["test"].texts[row] for row in test_rows), vocabulary, config.maxlen)
    return PreparedData(
        x_train=x[train_part],
        y_train=y[train_part],
        x_val=x[val_part],
        y_val=y[val_part],
        x_test=x_test,
        y_test=imdb["test"].y[test_rows],
        vocabulary=vocabulary,
    )


def prepare(config, data_dir=None, limit=None, test_limit=None, vocabulary=None) -> PreparedData:
    if isinstance(config, DigitsConfig):
        return prepare_digits(config, data_dir, limit, test_limit)
    return prepare_reviews(config, data_dir, limit, test_limit, vocabulary)


# ---------------------------------------------------------------- training


def _progress_callback(progress, should_stop, on_epoch_end, epochs, batches, started):
    import keras

    class ProgressCallback(keras.callbacks.Callback):
        """Forward Keras batch and epoch ends to plain callables, and honour cancellation."""

        def __init__(self):
            super().__init__()
            self.epoch = 1

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            if progress:
                progress(
                    TrainingProgress(
                        "batch", self.epoch, epochs, batch + 1, batches, time.perf_counter() - started,
                        loss=logs.get("loss"), accuracy=logs.get("accuracy"),
                    )
                )
            if should_stop and should_stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if on_epoch_end and not self.model.stop_training:
                on_epoch_end(self.model, epoch + 1)
            if progress:
                progress(
                    TrainingProgress(
                        "epoch", epoch + 1, epochs, batches, batches, time.perf_counter() - started,
                        loss=logs.get("loss"), accuracy=logs.get("accuracy"),
                        val_loss=logs.get("val_loss"), val_accuracy=logs.get("val_accuracy"),
                    )
                )

    return ProgressCallback()


def _shift_images(x: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """Move each image (the first 28 rows of each sequence) by up to `shift` pixels per axis, filling with zeros."""
    rows = 28
    padded = np.pad(x[:, :rows], ((0, 0), (shift, shift), (shift, shift)))
    out = x.copy()
    offsets = rng.integers(0, 2 * shift + 1, size=(len(x), 2))
    for index, (top, left) in enumerate(offsets):
        out[index, :rows] = padded[index, top : top + rows, left : left + 28]
    return out


def _augmented_batches(x, y, batch_size, shift, seed):
    """Build a Keras PyDataset of shuffled batches with random shifts, new ones every epoch."""
    import keras

    class ShiftedBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(y))

        def __len__(self):
            return int(np.ceil(len(y) / batch_size))

        def __getitem__(self, index):
            rows = self.order[index * batch_size : (index + 1) * batch_size]
            return _shift_images(x[rows], shift, self.rng), y[rows]

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(y))

    return ShiftedBatches()


def _best_epoch_callback():
    import keras

    class KeepBestEpoch(keras.callbacks.Callback):
        """Remember the weights of the epoch with the best validation accuracy and restore them at the end."""

        def __init__(self):
            super().__init__()
            self.best_accuracy = -1.0
            self.best_epoch = 0
            self.best_weights = None

        def on_epoch_end(self, epoch, logs=None):
            accuracy = (logs or {}).get("val_accuracy")
            if accuracy is not None and accuracy > self.best_accuracy:
                self.best_accuracy, self.best_epoch = accuracy, epoch + 1
                self.best_weights = self.model.get_weights()

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return KeepBestEpoch()


def library_versions() -> dict:
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def train(
    config: DigitsConfig | ReviewsConfig,
    prepared: PreparedData,
    epochs: int,
    progress: ProgressCallable | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_epoch_end: Callable[[object, int], None] | None = None,
    initial_weights: list | None = None,
    evaluate_test: bool = True,
) -> TrainingResult:
    """Train a fresh model of `config` for `epochs` epochs and evaluate it on the test part.

    `initial_weights` (a list as from `model.get_weights()`) starts from trained
    weights instead of a random initialisation. `on_epoch_end(model, epoch)` runs
    after every completed epoch, before validation results are reported.
    Raises `TrainingCancelled` when `should_stop` returns True during training.
    """
    import keras

    from lstm_demo import models

    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if len(prepared.y_train) == 0:
        raise ValueError("no training samples: raise the training-set size")
    keras.utils.set_random_seed(config.seed)
    model = models.build_model(config)
    if initial_weights is not None:
        model.set_weights(initial_weights)
    batches = int(np.ceil(len(prepared.y_train) / config.batch_size))
    models.compile_model(model, config, steps_per_epoch=batches)
    if on_epoch_end:
        on_epoch_end(model, 0)

    started = time.perf_counter()
    validation = (prepared.x_val, prepared.y_val) if len(prepared.y_val) else None
    callbacks = [_progress_callback(progress, should_stop, on_epoch_end, epochs, batches, started)]
    keep_best = _best_epoch_callback() if config.keep_best_epoch and validation else None
    if keep_best:
        callbacks.append(keep_best)
    # NOTE: a shuffled tf.data pipeline was no faster than these NumPy arrays on 2 cores. One full digits epoch
    # took 25.6 s with it and 23.6 s without, and benchmarks/training_speed.py compares more options.
    inputs = {"x": prepared.x_train, "y": prepared.y_train, "batch_size": config.batch_size, "shuffle": True}
    if getattr(config, "shift_pixels", 0):
        inputs = {"x": _augmented_batches(prepared.x_train, prepared.y_train, config.batch_size, config.shift_pixels, config.seed)}
    history = model.fit(
        **inputs,
        epochs=epochs,
        validation_data=validation,
        verbose=0,
        callbacks=callbacks,
    )
    training_s = time.perf_counter() - started
    if should_stop and should_stop():
        raise TrainingCancelled("training was cancelled; the previous model stays in use")
    epochs_done = len(history.history.get("loss", []))

    test_accuracy = None
    if evaluate_test and len(prepared.y_test):
        _, test_accuracy = model.evaluate(
            prepared.x_test, prepared.y_test, batch_size=256, verbose=0
        )
    val_accuracy = history.history.get("val_accuracy", [None])[-1]
    if keep_best:
        val_accuracy = keep_best.best_accuracy
    card = {
        "config": config_to_dict(config),
        "epochs": epochs_done,
        "best_epoch": keep_best.best_epoch if keep_best else None,
        "initial_weights": "pretrained" if initial_weights is not None else "random",
        "train_size": int(len(prepared.y_train)),
        "validation_size": int(len(prepared.y_val)),
        "test_size": int(len(prepared.y_test)) if evaluate_test else 0,
        "validation_accuracy": None if val_accuracy is None else float(val_accuracy),
        "test_accuracy": None if test_accuracy is None else float(test_accuracy),
        "training_seconds": round(training_s, 1),
        "seconds_per_epoch": round(training_s / max(1, epochs_done), 1),
        "parameters": int(model.count_params()),
        "history": {key: [float(value) for value in values] for key, values in history.history.items()},
        "versions": library_versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if progress:
        progress(TrainingProgress("done", epochs_done, epochs, batches, batches, training_s))
    return TrainingResult(model, config, card, prepared.vocabulary, history.history)


def save_result(result: TrainingResult, files: artifacts.ModelFiles, command: str | None = None) -> None:
    """Write model, vocabulary and card, each atomically; the card goes last so it only ever describes a complete model."""
    from lstm_demo import models

    card = dict(result.card)
    if command:
        card["command"] = command
    artifacts.write_atomically(files.model, lambda path: models.save_model(result.model, result.config, path))
    if result.vocabulary is not None:
        artifacts.write_atomically(files.vocabulary, result.vocabulary.save)
    artifacts.write_json_atomically(files.card, card)


# ---------------------------------------------------------------- command line


def _terminal_progress(event: TrainingProgress) -> None:
    width = 30
    filled = int(width * event.fraction)
    line = f"\repoch {event.epoch}/{event.epochs} [{'#' * filled}{'.' * (width - filled)}] {event.fraction:6.1%}"
    if event.loss is not None:
        line += f" loss {event.loss:.4f} acc {event.accuracy:.4f}"
    if event.remaining_s is not None and event.phase == "batch":
        line += f" ~{event.remaining_s:4.0f}s left"
    if event.phase == "epoch":
        if event.val_accuracy is not None:
            line += f" val_acc {event.val_accuracy:.4f}"
        line += "\n"
    sys.stderr.write(line)
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_demo.train", description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=["digits", "reviews"])
    parser.add_argument("--config", default="seed", help="configuration name (default: seed)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs to train (default: the configuration's)")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and imdb/ (default: $LSTM_DEMO_DATA_DIR, then the download cache)")
    parser.add_argument("--limit", type=int, default=None, help="use only this many training samples (default: all)")
    parser.add_argument("--test-limit", type=int, default=None, help="evaluate on only this many test samples (default: all)")
    parser.add_argument("--out", default=str(artifacts.PRETRAINED_DIR), help="output folder (default: pretrained/)")
    parser.add_argument("--name", default=None, help="file stem (default: TASK-CONFIG)")
    args = parser.parse_args(argv)

    try:
        config = get_config(args.task, args.config)
    except KeyError as error:
        parser.error(str(error.args[0]))
    epochs = args.epochs or config.epochs
    try:
        prepared = prepare(config, args.data_dir, args.limit, args.test_limit)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"training {args.task}/{config.name}: {len(prepared.y_train)} training, "
        f"{len(prepared.y_val)} validation, {len(prepared.y_test)} test samples, {epochs} epochs",
        file=sys.stderr,
    )
    result = train(config, prepared, epochs, progress=_terminal_progress)
    files = artifacts.ModelFiles(Path(args.out), args.name or f"{args.task}-{config.name}")
    command = "python -m lstm_demo.train " + " ".join(argv if argv is not None else sys.argv[1:])
    save_result(result, files, command=command)
    print(
        f"test accuracy {result.card['test_accuracy']:.4f} on {result.card['test_size']} samples; "
        f"wrote {files.model}, {files.card}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
