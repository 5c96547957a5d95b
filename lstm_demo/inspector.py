"""A NumPy forward pass of the saved networks that returns every internal of every step.

The weights are read straight from the ``.keras`` file (a zip of
``config.json`` and ``model.weights.h5``) with h5py, so nothing here imports
TensorFlow. For each recurrent layer and timestep the pass returns the hidden
state h. LSTM layers add the cell state c, the gates i, f, o and the
candidate g. GRU layers add the update gate z, the reset gate r and the
candidate g. The output layer applied to every h of the last layer gives the
class probabilities the network would output if the input stopped at that step.

Equations follow Keras 3 (gate order i, f, c, o for LSTM; z, r, h with
``reset_after=True`` for GRU); tests check the results against Keras itself.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstm_demo.config import DigitsConfig, ReviewsConfig

QUANTITIES = {
    "lstm": ("h", "c", "i", "f", "o", "g"),
    "gru": ("h", "z", "r", "g"),
    "simple_rnn": ("h",),
}
QUANTITY_NAMES = {
    "h": "hidden state h",
    "c": "cell state c",
    "i": "input gate i",
    "f": "forget gate f",
    "o": "output gate o",
    "g": "candidate g",
    "z": "update gate z",
    "r": "reset gate r",
}
_CELL_OF_CLASS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "simple_rnn"}
PREDICT_CHUNK = 64  # inputs per pass in `Inspector.predict_batch`

_blas_limited = False


def limit_blas_threads() -> None:
    """Run BLAS on one thread in this process.

    The per-step products here are tiny (1x128 by 128x512), and OpenBLAS's
    threading costs more than it saves: one digit took about 0.95 ms on one
    thread and 3.4 ms with the default count on the 2-core development
    machine. threadpoolctl changes the setting at run time, for the whole
    process, which suits the app (TensorFlow uses its own thread pools).
    """
    global _blas_limited
    if _blas_limited:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the pass still works, only slower
        _blas_limited = True
        return
    threadpool_limits(limits=1, user_api="blas")
    _blas_limited = True


# ---------------------------------------------------------------- weights


@dataclass
class RecurrentWeights:
    cell: str  # "lstm", "gru" or "simple_rnn"
    kernel: np.ndarray  # (input_dim, gates * units)
    recurrent_kernel: np.ndarray  # (units, gates * units)
    bias: np.ndarray  # (gates * units,), or (2, 3 * units) for GRU: input and recurrent biases

    @property
    def units(self) -> int:
        return self.recurrent_kernel.shape[0]

    @functools.cached_property
    def lstm_prepared(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """LSTM kernel, recurrent kernel and bias arranged for `_run_lstm`.

        The gate columns are reordered from Keras' i, f, g, o to i, f, o, g, so
        the three sigmoid gates sit side by side, and those three are negated,
        so the pass gets -x for sigmoid(x) = 1 / (1 + exp(-x)) without a
        negation per step. Negating a float is exact.
        """
        units = self.units
        order = np.concatenate([np.arange(2 * units), np.arange(3 * units, 4 * units), np.arange(2 * units, 3 * units)])
        sign = np.ones(4 * units, dtype=np.float32)
        sign[: 3 * units] = -1.0
        return (
            np.ascontiguousarray(self.kernel[:, order] * sign),
            np.ascontiguousarray(self.recurrent_kernel[:, order] * sign),
            np.ascontiguousarray(self.bias[order] * sign),
        )


@dataclass
class NetworkWeights:
    """Everything the forward pass needs, read from one model file."""

    name: str
    layers: list[RecurrentWeights]
    output_kernel: np.ndarray  # (units, classes)
    output_bias: np.ndarray  # (classes,)
    embedding: np.ndarray | None = None  # (vocab_size, embedding_dim), reviews only
    mask_padding: bool = False
    layer_names: list[str] = field(default_factory=list)

    @classmethod
    def from_keras(cls, model) -> "NetworkWeights":
        """Copy the weights out of a Keras model built by `lstm_demo.models` (for retrained models)."""
        layers = []
        names = []
        embedding = None
        mask_padding = False
        for layer in model.layers:
            class_name = type(layer).__name__
            if class_name in _CELL_OF_CLASS:
                kernel, recurrent_kernel, bias = (np.array(value, dtype=np.float32) for value in layer.get_weights())
                layers.append(RecurrentWeights(_CELL_OF_CLASS[class_name], kernel, recurrent_kernel, bias))
                names.append(layer.name)
            elif class_name == "Embedding":
                embedding = np.array(layer.get_weights()[0], dtype=np.float32)
                mask_padding = bool(layer.mask_zero)
        output_kernel, output_bias = (np.array(value, dtype=np.float32) for value in model.get_layer("output").get_weights())
        return cls(model.name, layers, output_kernel, output_bias, embedding, mask_padding, names)

    @functools.cached_property
    def word_gates(self) -> np.ndarray | None:
        """(vocab_size, 4 * units) input part of the first LSTM layer's gates for each word id.

        A word's embedding enters the LSTM only through this product, so the
        table turns the projection of a whole review into a row lookup:
        about 0.15 ms less per 100-word review on the development machine.
        It takes 20 MB for 10,000 words and 128 units. None when the network
        does not start with an embedding and an LSTM.
        """
        if self.embedding is None or not self.layers or self.layers[0].cell != "lstm":
            return None
        kernel, _, bias = self.layers[0].lstm_prepared
        return self.embedding @ kernel + bias


def _weight_keys(model_config: dict) -> dict[str, tuple[str, str]]:
    """Map layer names to (class name, key in model.weights.h5).

    Keras 3 stores each layer under the snake_case name of its class, with
    _1, _2, ... appended to repeats in layer order ("lstm", "lstm_1").
    """
    import re

    keys = {}
    used: dict[str, int] = {}
    for layer in model_config["config"]["layers"]:
        class_name = layer["class_name"]
        snake = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", class_name)
        snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", snake).lower()
        if snake in used:
            used[snake] += 1
            key = f"{snake}_{used[snake]}"
        else:
            used[snake] = 0
            key = snake
        keys[layer["config"]["name"]] = (class_name, key)
    return keys


def load_weights(path: str | Path) -> NetworkWeights:
    """Read a ``.keras`` file written by `lstm_demo.models.save_model` without TensorFlow."""
    import h5py

    path = Path(path)
    with zipfile.ZipFile(path) as archive:
        model_config = json.loads(archive.read("config.json"))
        weights_file = io.BytesIO(archive.read("model.weights.h5"))
    keys = _weight_keys(model_config)
    layer_configs = {layer["config"]["name"]: layer["config"] for layer in model_config["config"]["layers"]}

    with h5py.File(weights_file, "r") as weights:
        def read(key: str, sub: str = "vars") -> list[np.ndarray]:
            group = weights[f"layers/{key}/{sub}"]
            return [np.asarray(group[str(index)], dtype=np.float32) for index in range(len(group))]

        recurrent = []
        names = []
        for name, (class_name, key) in keys.items():
            if class_name in _CELL_OF_CLASS:
                kernel, recurrent_kernel, bias = read(key, "cell/vars")
                recurrent.append(RecurrentWeights(_CELL_OF_CLASS[class_name], kernel, recurrent_kernel, bias))
                names.append(name)
        embedding = None
        mask_padding = False
        if "embedding" in keys:
            embedding = read(keys["embedding"][1])[0]
            mask_padding = bool(layer_configs["embedding"].get("mask_zero", False))
        output_kernel, output_bias = read(keys["output"][1])
    return NetworkWeights(
        name=model_config["config"].get("name", path.stem),
        layers=recurrent,
        output_kernel=output_kernel,
        output_bias=output_bias,
        embedding=embedding,
        mask_padding=mask_padding,
        layer_names=names,
    )


# ---------------------------------------------------------------- forward pass


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # NOTE: 0.5 * (tanh(x / 2) + 1) avoids the overflow, but in float32 it loses the relative precision of
    # values near 0. An LSTM whose input gates sat near 0 for 128 steps then drifted from Keras by over 1e-5.
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x < -88, which gives the right 0
        return 1.0 / (1.0 + np.exp(-x))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def run_layer(
    weights: RecurrentWeights, inputs: np.ndarray, mask: np.ndarray | None = None, internals: bool = True
) -> dict[str, np.ndarray]:
    """Run one recurrent layer over (batch, timesteps, features) inputs.

    Returns each quantity as (batch, timesteps, units). Where `mask` (batch,
    timesteps) is False the state is carried over unchanged, as Keras does for
    masked steps. The gates of those steps are still reported. With
    `internals` False, an LSTM layer returns only h.
    """
    if weights.cell == "lstm":
        kernel, _, bias = weights.lstm_prepared
        return _run_lstm(weights, np.swapaxes(inputs @ kernel + bias, 0, 1), mask, internals)
    batch, timesteps, _ = inputs.shape
    units = weights.units
    cell = weights.cell
    if cell == "gru":
        input_bias, recurrent_bias = weights.bias[0], weights.bias[1]
        projected = inputs @ weights.kernel + input_bias  # (batch, timesteps, 3 * units)
    else:
        projected = inputs @ weights.kernel + weights.bias  # (batch, timesteps, units)
    record = {name: np.empty((batch, timesteps, units), dtype=np.float32) for name in QUANTITIES[cell]}

    h = np.zeros((batch, units), dtype=np.float32)
    for t in range(timesteps):
        if cell == "gru":
            x_part = projected[:, t]
            h_part = h @ weights.recurrent_kernel + recurrent_bias  # (batch, 3 * units)
            update = _sigmoid(x_part[:, :units] + h_part[:, :units])
            reset = _sigmoid(x_part[:, units : 2 * units] + h_part[:, units : 2 * units])
            g = np.tanh(x_part[:, 2 * units :] + reset * h_part[:, 2 * units :])
            new_h = update * h + (1.0 - update) * g
            record["z"][:, t], record["r"][:, t], record["g"][:, t] = update, reset, g
        else:
            new_h = np.tanh(projected[:, t] + h @ weights.recurrent_kernel)
        if mask is not None:
            new_h = np.where(mask[:, t : t + 1], new_h, h)
        h = new_h
        record["h"][:, t] = h
    return record


def _run_lstm(
    weights: RecurrentWeights, projected: np.ndarray, mask: np.ndarray | None, internals: bool = True
) -> dict[str, np.ndarray]:
    """The LSTM case of `run_layer`, written for speed on single inputs.

    `projected` is the input part of the gates, step-major: (timesteps, batch,
    4 * units), computed with `RecurrentWeights.lstm_prepared`; when it is
    contiguous float32 it is overwritten with the gates. With one input,
    each step's products are tiny and the time goes into the overhead of NumPy
    calls rather than arithmetic. So the three sigmoid gates sit side by side
    and take one call each for exp, add and reciprocal, every result is
    written in place into the step-major arrays that are returned, the loop
    allocates no temporary arrays, and each step's views come from iterating
    over whole-array views rather than from slicing (about 15 % faster).
    The loop over a 100-token review took about 0.75 ms on the 2-core development machine.
    """
    timesteps, batch, _ = projected.shape
    units = weights.units
    if mask is not None and mask.all():
        mask = None  # nothing to skip, as for a single review cut at its length
    _, recurrent_kernel, _ = weights.lstm_prepared
    gates = np.ascontiguousarray(projected, dtype=np.float32)  # replaced in place by the gates i, f, o, g
    cells = np.empty((timesteps, batch, units), dtype=np.float32)
    hidden = np.empty((timesteps, batch, units), dtype=np.float32)
    product = np.empty((batch, units), dtype=np.float32)
    recurrent = np.empty((batch, 4 * units), dtype=np.float32)
    h_previous = np.zeros((batch, units), dtype=np.float32)
    c_previous = np.zeros((batch, units), dtype=np.float32)
    # Per step: all gates, the three sigmoid gates (they contain -x, see `RecurrentWeights.lstm_prepared`),
    # i, f, o, g, c, h, and where the mask skips the step.
    steps = zip(
        gates,
        gates[:, :, : 3 * units],
        gates[:, :, :units],
        gates[:, :, units : 2 * units],
        gates[:, :, 2 * units : 3 * units],
        gates[:, :, 3 * units :],
        cells,
        hidden,
        itertools.repeat(None) if mask is None else ~mask.T[:, :, None],  # (timesteps, batch, 1)
    )
    # Local names spare a lookup per call, and np.dot took about 0.5 µs less per step than np.matmul.
    dot, exp, reciprocal, tanh, multiply = np.dot, np.exp, np.reciprocal, np.tanh, np.multiply
    with np.errstate(over="ignore"):  # see `_sigmoid`
        for z, sigmoid_part, i, f, o, g, c, h, skipped in steps:
            dot(h_previous, recurrent_kernel, out=recurrent)
            z += recurrent
            # sigmoid(x) = 1 / (1 + exp(-x)), computed in place
            exp(sigmoid_part, out=sigmoid_part)
            sigmoid_part += 1.0
            reciprocal(sigmoid_part, out=sigmoid_part)
            tanh(g, out=g)
            multiply(f, c_previous, out=c)
            multiply(i, g, out=product)
            c += product  # c = f * c_previous + i * g
            tanh(c, out=h)
            h *= o  # h = o * tanh(c)
            if skipped is not None:
                np.copyto(c, c_previous, where=skipped)
                np.copyto(h, h_previous, where=skipped)
            h_previous, c_previous = h, c

    def batch_major(values: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.swapaxes(values, 0, 1))

    if not internals:
        return {"h": batch_major(hidden)}
    return {
        "h": batch_major(hidden),
        "c": batch_major(cells),
        "i": batch_major(gates[:, :, :units]),
        "f": batch_major(gates[:, :, units : 2 * units]),
        "o": batch_major(gates[:, :, 2 * units : 3 * units]),
        "g": batch_major(gates[:, :, 3 * units :]),
    }


@dataclass
class Trace:
    """Internals of one input, step by step."""

    # Per layer, quantity -> (timesteps, units). Models that mask padding stop at `length` steps.
    layers: list[dict[str, np.ndarray]]
    layer_names: list[str]
    step_probabilities: np.ndarray  # (timesteps, classes): output layer applied to each h of the last layer
    length: int  # steps the network really reads; later steps are padding it skips

    @property
    def probabilities(self) -> np.ndarray:
        """(classes,) the network's prediction: the probabilities after the last step it reads."""
        return self.step_probabilities[self.length - 1]

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


class Inspector:
    """Forward pass of one saved network, for single inputs (the app) or batches (tests, galleries)."""

    def __init__(self, weights: NetworkWeights, config: DigitsConfig | ReviewsConfig):
        self.weights = weights
        self.config = config
        limit_blas_threads()

    @classmethod
    def from_file(cls, path: str | Path, config: DigitsConfig | ReviewsConfig) -> "Inspector":
        return cls(load_weights(path), config)

    @property
    def cell(self) -> str:
        return self.weights.layers[0].cell

    @property
    def quantities(self) -> tuple[str, ...]:
        return QUANTITIES[self.cell]

    def run_batch(self, x: np.ndarray, internals: bool = True) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
        """Internals per layer, each (batch, timesteps, units), and (batch, timesteps, classes) probabilities.

        `x` is (batch, timesteps, features) rows, or (batch, timesteps) word ids
        for a network that starts with an embedding. With `internals` False,
        LSTM layers record only h.
        """
        weights = self.weights
        layers = weights.layers
        records: list[dict[str, np.ndarray]] = []
        mask = None
        if weights.embedding is None:
            hidden = np.asarray(x, dtype=np.float32)
        else:
            ids = np.asarray(x, dtype=np.int64)
            mask = ids != 0 if weights.mask_padding else None
            if weights.word_gates is not None:
                records.append(_run_lstm(layers[0], weights.word_gates[ids.T], mask, internals))  # step-major lookup
                hidden = records[0]["h"]
                layers = layers[1:]
            else:
                hidden = weights.embedding[ids]  # (batch, timesteps, embedding_dim)
        for layer in layers:
            record = run_layer(layer, hidden, mask, internals)
            records.append(record)
            hidden = record["h"]
        step_probabilities = _softmax(hidden @ weights.output_kernel + weights.output_bias)
        return records, step_probabilities

    def lengths(self, x: np.ndarray) -> np.ndarray:
        """(batch,) steps each input is read for: all of them, unless padding is masked."""
        x = np.asarray(x)
        if self.weights.mask_padding:
            nonzero = x != 0
            # Padding comes after the text, so the length is one past the last real id.
            return np.where(nonzero.any(axis=1), x.shape[1] - np.argmax(nonzero[:, ::-1], axis=1), 1)
        return np.full(x.shape[0], x.shape[1])

    def predict_batch(self, x: np.ndarray, chunk: int = PREDICT_CHUNK) -> np.ndarray:
        """(batch, classes) final probabilities, as `model.predict` would return them.

        Runs `chunk` inputs at a time and keeps no gates, so memory stays
        bounded: 500 reviews of 500 words would otherwise take 512 MB of gates.
        """
        x = np.asarray(x)
        results = []
        for start in range(0, len(x), chunk):
            part = x[start : start + chunk]
            lengths = self.lengths(part)
            if self.weights.mask_padding:
                # Masked padding never changes the state, so steps after the longest input can be skipped.
                part = part[:, : int(lengths.max())]
            _, step_probabilities = self.run_batch(part, internals=False)
            results.append(step_probabilities[np.arange(len(lengths)), lengths - 1])
        return np.concatenate(results) if results else np.zeros((0, self.weights.output_bias.shape[0]), np.float32)

    def trace(self, x: np.ndarray) -> Trace:
        """Compute all internals of one input: (timesteps, features) rows or (maxlen,) ids."""
        batch = np.asarray(x)[None]
        length = int(self.lengths(batch)[0])
        if self.weights.mask_padding:
            # Masked padding leaves the state unchanged, so the steps after the text are not computed.
            batch = batch[:, :length]
        layers, step_probabilities = self.run_batch(batch)
        return Trace(
            layers=[{name: values[0] for name, values in record.items()} for record in layers],
            layer_names=list(self.weights.layer_names),
            step_probabilities=step_probabilities[0],
            length=length,
        )


# ---------------------------------------------------------------- what mattered


def occlusion_rows(inspector: Inspector, rows: np.ndarray, target: int | None = None) -> np.ndarray:
    """(timesteps,) drop in the predicted class probability when each image row is blanked."""
    rows = np.asarray(rows, dtype=np.float32)
    base = inspector.predict_batch(rows[None])[0]
    target = int(np.argmax(base)) if target is None else target
    variants = np.repeat(rows[None], rows.shape[0], axis=0)  # (timesteps, timesteps, features)
    variants[np.arange(rows.shape[0]), np.arange(rows.shape[0])] = 0.0
    return base[target] - inspector.predict_batch(variants)[:, target]


def occlusion_words(inspector: Inspector, ids: np.ndarray, length: int, target: int | None = None) -> np.ndarray:
    """(length,) drop in the predicted class probability when each read word is removed from the text."""
    ids = np.asarray(ids)
    base = inspector.predict_batch(ids[None])[0]
    target = int(np.argmax(base)) if target is None else target
    if length == 0:
        return np.zeros(0, dtype=np.float32)
    variants = np.zeros((length, ids.shape[0]), dtype=ids.dtype)
    for position in range(length):
        kept = np.delete(ids[:length], position)
        variants[position, : length - 1] = kept
    return base[target] - inspector.predict_batch(variants)[:, target]
