"""The memory task of the "Why LSTM" page: models per cell type and delay, their accuracy, gradients through time.

Each memory-task network reads a digit's 28 rows followed by `delay` rows of
random noise and predicts only after the last one (configurations `memory-<cell>-delay<N>`
in `lstm_demo.config.MEMORY_CONFIGS`). Their files are
``pretrained/memory-<cell>-delay<N>.keras`` and ``.json``; the accuracy
table is read from those model cards. The gradient of the predicted class
probability with respect to each step's input is computed with TensorFlow,
imported only inside `input_gradient`. Training is `lstm_demo.train`, figures
are `lstm_demo.figures`.

Command line, to rebuild the example digits shipped for the page:

    python -m lstm_demo.memory [--data-dir D]
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_demo import artifacts, data
from lstm_demo.config import MEMORY_CELLS, config_from_dict, memory_config_name
from lstm_demo.inspector import Trace

CELL_TITLES = {"simple_rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}  # Keras layer class names
EXAMPLES_FILE = artifacts.PRETRAINED_DIR / "memory-examples.npz"


# ---------------------------------------------------------------- model files and their cards


def memory_files(cell: str, delay: int, folder: Path = artifacts.PRETRAINED_DIR) -> artifacts.ModelFiles:
    return artifacts.ModelFiles(Path(folder), memory_config_name(cell, delay))


def accuracy_table(folder: Path = artifacts.PRETRAINED_DIR) -> list[dict]:
    """Read the memory-task model cards in `folder` into rows sorted by cell type and delay.

    Each row has the cell type, the delay, the test accuracy and test-set size,
    the training-set size, epochs, training seconds and the command that made
    the model. Cards that cannot be read are skipped.
    """
    rows = []
    for card_path in sorted(Path(folder).glob("memory-*-delay*.json")):
        try:
            card = json.loads(card_path.read_text())
            config = config_from_dict(card["config"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if card.get("test_accuracy") is None or config.cell not in MEMORY_CELLS:
            continue
        rows.append(
            {
                "cell": config.cell,
                "delay": config.delay,
                "test_accuracy": float(card["test_accuracy"]),
                "test_size": card.get("test_size"),
                "train_size": card.get("train_size"),
                "epochs": card.get("epochs"),
                "training_seconds": card.get("training_seconds"),
                "command": card.get("command"),
                "stem": card_path.stem,
            }
        )
    return sorted(rows, key=lambda row: (MEMORY_CELLS.index(row["cell"]), row["delay"]))


def delays_with_all_cells(rows: list[dict]) -> list[int]:
    """Delays for which the table has a model of every cell type."""
    delays = sorted({row["delay"] for row in rows})
    return [delay for delay in delays if {row["cell"] for row in rows if row["delay"] == delay} >= set(MEMORY_CELLS)]


# ---------------------------------------------------------------- example digits


def load_examples(path: Path = EXAMPLES_FILE) -> list[dict]:
    """Load the shipped example digits: [{"index", "label", "pixels" (28, 28) float32 in [0, 1]}], or [] if missing."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            images, labels, indices = stored["images"], stored["labels"], stored["indices"]
    except (OSError, ValueError, KeyError):
        return []
    return [
        {"index": int(index), "label": int(label), "pixels": image.astype(np.float32) / 255.0}
        for image, label, index in zip(images, labels, indices)
    ]


def write_examples(data_dir=None, path: Path = EXAMPLES_FILE) -> int:
    """Store the first MNIST test image of each digit 0-9 as uint8; returns how many were written."""
    test = data.load_mnist(data_dir)["test"]
    indices = np.array([np.flatnonzero(test.y == digit)[0] for digit in range(10)])
    images = test.x[indices]  # (10, 28, 28) uint8
    artifacts.write_atomically(
        path,
        # The temporary file keeps the .npz suffix, so NumPy writes to that exact path.
        lambda temporary: np.savez_compressed(temporary, images=images, labels=test.y[indices], indices=indices),
    )
    return len(indices)


# ---------------------------------------------------------------- gradient through time


@dataclass
class InputGradient:
    """Gradient of one class probability with respect to every input value of one sequence."""

    gradient: np.ndarray  # (timesteps, features): d p(target) / d input
    probabilities: np.ndarray  # (classes,)
    target: int  # the class differentiated, by default the predicted one

    @property
    def step_norms(self) -> np.ndarray:
        """(timesteps,) L2 norm of the gradient over the features of each step."""
        return np.linalg.norm(self.gradient.astype(np.float64), axis=1)


# id(model) -> compiled function. Each function refers to its model, so an id stays valid while its entry
# exists. The oldest entries are dropped first, so models retrained in the app do not pile up.
_GRADIENT_FUNCTIONS: collections.OrderedDict = collections.OrderedDict()
_MAX_GRADIENT_FUNCTIONS = 24  # the 15 shipped networks, and a few retrained ones
_GRADIENT_FUNCTIONS_LOCK = threading.Lock()  # the app calls from one thread per session


class _SkipRetracingWarnings(logging.Filter):
    """Drop TensorFlow's warning that several tf.function objects traced in a row.

    Each network gets its own compiled function, traced once and then kept in
    `_GRADIENT_FUNCTIONS`. TensorFlow counts those first traces together and
    warned about retracing on every change of delay on the Why LSTM page,
    although nothing traces twice.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def _gradient_function(model):
    """Compile (once per model) a TensorFlow graph returning the input gradient and the probabilities.

    A compiled graph took about 30 ms per call for 128 steps where eager
    execution took seconds (measured on the 2-core development machine).
    """
    import tensorflow as tf

    logger = tf.get_logger()
    if not any(isinstance(existing, _SkipRetracingWarnings) for existing in logger.filters):
        logger.addFilter(_SkipRetracingWarnings())
    with _GRADIENT_FUNCTIONS_LOCK:
        function = _GRADIENT_FUNCTIONS.get(id(model))
        if function is not None:
            _GRADIENT_FUNCTIONS.move_to_end(id(model))
            return function

    @tf.function(autograph=False, reduce_retracing=True)
    def gradient_and_probabilities(inputs, target):
        # inputs (1, timesteps, features); target < 0 selects the predicted class.
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            probabilities = model(inputs, training=False)[0]  # (classes,)
            predicted = tf.argmax(probabilities, output_type=tf.int32)
            chosen_class = tf.where(target < 0, predicted, target)
            chosen = tf.gather(probabilities, chosen_class)
        return tape.gradient(chosen, inputs), probabilities, chosen_class

    with _GRADIENT_FUNCTIONS_LOCK:
        _GRADIENT_FUNCTIONS[id(model)] = gradient_and_probabilities
        while len(_GRADIENT_FUNCTIONS) > _MAX_GRADIENT_FUNCTIONS:
            _GRADIENT_FUNCTIONS.popitem(last=False)
    return gradient_and_probabilities


def input_gradient(model, sequence: np.ndarray, target: int | None = None) -> InputGradient:
    """Differentiate the probability of `target` (default: the predicted class) with respect to the input.

    `model` is a Keras model built by `lstm_demo.models` and `sequence` one
    (timesteps, features) input. Imports TensorFlow.
    """
    import tensorflow as tf

    inputs = tf.convert_to_tensor(np.asarray(sequence)[None], dtype=model.inputs[0].dtype)
    chosen_class = tf.constant(-1 if target is None else int(target), dtype=tf.int32)
    gradient, probabilities, chosen_class = _gradient_function(model)(inputs, chosen_class)
    return InputGradient(np.asarray(gradient)[0], np.asarray(probabilities), int(chosen_class))


def initial_model(config):
    """Build the random network that `lstm_demo.train.train` starts from: same seed, same construction.

    NOTE: this reseeds Python's, NumPy's and TensorFlow's global random generators (as training does),
    so a training running at the same time in another thread may shuffle its batches differently.
    """
    import keras

    from lstm_demo import models

    keras.utils.set_random_seed(config.seed)
    return models.build_model(config)


# ---------------------------------------------------------------- forget gate


def mean_forget_gate(trace: Trace) -> np.ndarray:
    """(layers, timesteps) forget gate f of each LSTM layer, averaged over its units."""
    if not trace.layers or "f" not in trace.layers[0]:
        raise ValueError("the trace has no forget gate: it must come from an LSTM")
    return np.stack([layer["f"].mean(axis=1) for layer in trace.layers])


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_demo.memory", description=f"Write {EXAMPLES_FILE.name}.")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ (default: $LSTM_DEMO_DATA_DIR)")
    args = parser.parse_args(argv)
    try:
        count = write_examples(args.data_dir)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {EXAMPLES_FILE}: {count} test digits", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
