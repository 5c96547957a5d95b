"""The registry of tasks (digits, reviews): labels, configurations, model files and input handling.

The app loops over this registry instead of branching on the task. Loading a
model here reads its card, vocabulary and weights for the NumPy inspector and
never imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstm_demo import artifacts, text
from lstm_demo.config import CONFIGS, DigitsConfig, ReviewsConfig
from lstm_demo.inspector import Inspector, NetworkWeights, Trace, load_weights
from lstm_demo.preprocess import digit_sequences


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    class_names: tuple[str, ...]
    step_name: str  # what one timestep reads: "row" or "word"

    @property
    def configs(self) -> dict:
        return CONFIGS[self.name]

    @property
    def default_config(self) -> str:
        """The first configuration (the best) whose pretrained model file exists."""
        for name in self.configs:
            if artifacts.pretrained_files(self.name, name).model.is_file():
                return name
        return next(iter(self.configs))


TASKS = {
    "digits": Task("digits", "Digits", tuple(str(digit) for digit in range(10)), "row"),
    "reviews": Task("reviews", "Reviews", ("negative", "positive"), "word"),
}


@dataclass
class LoadedModel:
    """A trained network ready for the inspector, with where it came from."""

    task: Task
    config: DigitsConfig | ReviewsConfig
    inspector: Inspector
    card: dict
    label: str  # shown in the UI: "pretrained seed", "retrained (3 epochs)", a saved name
    vocabulary: text.Vocabulary | None = None
    keras_file: Path | None = None
    training_result: object | None = None  # lstm_demo.train.TrainingResult of a model retrained in this session
    replay: list = field(default_factory=list)  # lstm_demo.jobs.ReplaySnapshot per epoch of that training


def rebuild_command(task: str, config_name: str) -> str:
    return f"python -m lstm_demo.train {task} --config {config_name} --epochs N"


def load_files(files: artifacts.ModelFiles, label: str | None = None) -> LoadedModel:
    """Load a model from its files, raising `ModelFileError` with what is wrong and how to fix it."""
    config = files.read_config()
    task = TASKS[config.task]
    if not files.model.is_file():
        raise artifacts.ModelFileError(
            f"model file {files.model} is missing; rebuild it with `{rebuild_command(task.name, config.name)}`"
        )
    try:
        weights = load_weights(files.model)
    except Exception as error:  # zipfile, h5py and KeyError all signal a damaged file
        raise artifacts.ModelFileError(
            f"model file {files.model} cannot be read ({type(error).__name__}: {error}); "
            f"rebuild it with `{rebuild_command(task.name, config.name)}`"
        ) from error
    vocabulary = None
    if isinstance(config, ReviewsConfig):
        try:
            vocabulary = text.Vocabulary.load(files.vocabulary)
        except (OSError, ValueError, KeyError) as error:
            raise artifacts.ModelFileError(
                f"vocabulary {files.vocabulary} cannot be read ({error}); "
                f"rebuild it with `{rebuild_command(task.name, config.name)}`"
            ) from error
    return LoadedModel(
        task=task,
        config=config,
        inspector=Inspector(weights, config),
        card=files.read_card(),
        label=label or f"pretrained {config.name}",
        vocabulary=vocabulary,
        keras_file=files.model,
    )


def load_pretrained(task: str, config_name: str) -> LoadedModel:
    return load_files(artifacts.pretrained_files(task, config_name))


def from_keras_model(model, config, card: dict, label: str, vocabulary=None) -> LoadedModel:
    """Wrap a freshly trained Keras model for the inspector, without a file."""
    return LoadedModel(
        task=TASKS[config.task],
        config=config,
        inspector=Inspector(NetworkWeights.from_keras(model), config),
        card=card,
        label=label,
        vocabulary=vocabulary,
    )


# ---------------------------------------------------------------- inputs


def digit_input(pixels: np.ndarray, config: DigitsConfig) -> np.ndarray:
    """(28, 28) image in [0, 1] -> (28 + delay, 28) rows for the model, with the same filler rows every time."""
    return digit_sequences(np.asarray(pixels, dtype=np.float32)[None], config)[0]


def trace_digit(model: LoadedModel, pixels: np.ndarray) -> Trace:
    return model.inspector.trace(digit_input(pixels, model.config))


def encode_review(model: LoadedModel, review: str) -> text.EncodedText:
    return text.encode(review, model.vocabulary, model.config.maxlen)


def trace_review(model: LoadedModel, encoded: text.EncodedText) -> Trace:
    """Internals of an encoded review; the caller checks `encoded.is_empty` first."""
    return model.inspector.trace(encoded.ids)
