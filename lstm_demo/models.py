"""Build the Keras 3 models described by the configurations in `lstm_demo.config`.

Layer names are fixed ("embedding", "rnn_1", "rnn_2", ..., "output") so that
`lstm_demo.inspector` can find the weights in a saved file without Keras.
Importing this module imports Keras and TensorFlow; the app does so only to
retrain.
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lstm_demo.config import DigitsConfig, ReviewsConfig  # noqa: E402

# NOTE: TensorFlow and Keras add about 160,000 long-lived Python objects, and a full garbage collection
# walks every tracked object. In the app process, full collections then ran on most page reruns and took
# about 160 ms each, so a warm rerun went from about 60 ms to 220 ms once a retraining had imported
# TensorFlow (benchmarks/app_speed.py). gc.freeze moves the objects alive now into a generation that the
# collector skips. Reference counting still frees them as usual; only cycles among them are never collected.
gc.freeze()

RECURRENT_LAYERS = {
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
    "simple_rnn": keras.layers.SimpleRNN,
}


def build_digits_model(config: DigitsConfig) -> keras.Model:
    """Rows of the image in, one recurrent layer per `config.units` entry, softmax over 10 digits."""
    if config.cell not in RECURRENT_LAYERS:
        raise ValueError(f"unknown cell {config.cell!r}: expected one of {sorted(RECURRENT_LAYERS)}")
    layer_class = RECURRENT_LAYERS[config.cell]
    inputs = keras.Input(shape=(config.sequence_length, config.features), name="rows")
    hidden = inputs
    for index, units in enumerate(config.units, start=1):
        options = {}
        if config.cell == "gru":
            options["reset_after"] = True
        hidden = layer_class(
            units,
            return_sequences=index < len(config.units),
            dropout=config.recurrent_dropout,
            name=f"rnn_{index}",
            **options,
        )(hidden)
    outputs = keras.layers.Dense(config.classes, activation="softmax", name="output")(hidden)
    model = keras.Model(inputs, outputs, name=f"digits_{config.name}")
    if config.chrono_init and config.cell != "simple_rnn":
        for index, units in enumerate(config.units, start=1):
            layer = model.get_layer(f"rnn_{index}")
            rng = np.random.default_rng(config.seed + index)
            layer.cell.bias.assign(chrono_biases(config.cell, units, config.sequence_length, rng))
    return model


def chrono_biases(cell: str, units: int, longest: int, rng: np.random.Generator) -> np.ndarray:
    """Draw gate biases that make a fresh LSTM or GRU layer keep its state for up to `longest` steps.

    This is the "chrono" initialisation of Tallec and Ollivier, "Can recurrent
    neural networks warp time?" (ICLR 2018). A unit whose keep gate (the LSTM's
    forget gate f, the GRU's update gate z) sits at sigmoid(b) keeps a share
    of its state that decays over about 1 / (1 - sigmoid(b)) steps, so biases
    b = log(u) with u uniform in [1, longest - 1] spread the units' memory
    spans between one step and `longest`. The LSTM's input gate gets -b, so a
    unit that keeps long also writes little. Keras' own default, a forget bias
    of 1, keeps about 73 % per step: after 100 steps almost nothing is left,
    of the state or of the gradient that would teach the network to keep it.
    """
    spans = np.log(rng.uniform(1.0, max(longest - 1, 2), size=units)).astype(np.float32)
    if cell == "lstm":  # Keras order: i, f, g, o
        bias = np.zeros(4 * units, dtype=np.float32)
        bias[units : 2 * units] = spans
        bias[:units] = -spans
        return bias
    if cell == "gru":  # Keras order z, r, h; rows: input bias, recurrent bias; h = z * h_previous + (1 - z) * g
        bias = np.zeros((2, 3 * units), dtype=np.float32)
        bias[0, :units] = spans
        return bias
    raise ValueError(f"chrono biases are defined for 'lstm' and 'gru' cells, got {cell!r}")


def build_reviews_model(config: ReviewsConfig) -> keras.Model:
    """Word ids in, embedding, one LSTM, softmax over negative and positive."""
    inputs = keras.Input(shape=(config.maxlen,), dtype="int32", name="ids")
    embedded = keras.layers.Embedding(
        config.vocab_size, config.embedding_dim, mask_zero=config.mask_padding, name="embedding"
    )(inputs)
    hidden = keras.layers.LSTM(config.units, dropout=config.input_dropout, name="rnn_1")(embedded)
    if config.output_dropout:
        hidden = keras.layers.Dropout(config.output_dropout, name="output_dropout")(hidden)
    outputs = keras.layers.Dense(config.classes, activation="softmax", name="output")(hidden)
    return keras.Model(inputs, outputs, name=f"reviews_{config.name}")


def build_model(config: DigitsConfig | ReviewsConfig) -> keras.Model:
    if isinstance(config, DigitsConfig):
        return build_digits_model(config)
    return build_reviews_model(config)


def compile_model(model: keras.Model, config: DigitsConfig | ReviewsConfig, steps_per_epoch: int = 0) -> None:
    """Compile with Adam and categorical cross-entropy on integer labels, as the tutorial does."""
    learning_rate = config.learning_rate
    decay_epochs = config.lr_decay_epochs
    if decay_epochs and steps_per_epoch:
        learning_rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=decay_epochs * steps_per_epoch, alpha=0.01
        )
    options = {"clipnorm": config.clipnorm} if config.clipnorm else {}
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, **options),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def save_model(model: keras.Model, config: DigitsConfig | ReviewsConfig, path: str | os.PathLike) -> None:
    """Save the weights in a fresh, uncompiled copy so the file carries no optimizer state."""
    clean = build_model(config)
    clean.set_weights(model.get_weights())
    clean.save(path)


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a model file with Keras' safe mode on (no arbitrary code from the file)."""
    return keras.saving.load_model(path, compile=False, safe_mode=True)
