"""Source code to show beside the models: the TFLearn tutorial's network and the Keras 3 equivalent.

`tflearn_network_code` reads the tutorial's lines from the scripts in
``examples/`` (between the marker comments there), so the app shows the code
that actually runs. `keras_network_code` writes Keras 3 code for a
configuration, with the same layers, options and layer names as
`lstm_demo.models.build_model`. Nothing here imports TensorFlow or TFLearn.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from lstm_demo.config import DigitsConfig, ReviewsConfig

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
TFLEARN_SCRIPTS = {"digits": "tflearn_digits.py", "reviews": "tflearn_reviews.py"}
BEGIN_MARKER = "# tutorial-network: begin"
END_MARKER = "# tutorial-network: end"

KERAS_LAYER_NAMES = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "SimpleRNN"}


# ---------------------------------------------------------------- TFLearn


def tflearn_network_code(task: str, examples_dir: Path = EXAMPLES_DIR) -> str:
    """Return the network-building lines of the TFLearn script of `task`, without the markers.

    Raises KeyError for an unknown task, FileNotFoundError when the script is
    missing and ValueError when its markers are missing or out of order.
    """
    if task not in TFLEARN_SCRIPTS:
        raise KeyError(f"unknown task {task!r}: expected one of {sorted(TFLEARN_SCRIPTS)}")
    script = examples_dir / TFLEARN_SCRIPTS[task]
    lines = script.read_text(encoding="utf-8").splitlines()
    stripped = [line.strip() for line in lines]
    if stripped.count(BEGIN_MARKER) != 1 or stripped.count(END_MARKER) != 1:
        raise ValueError(f"{script} must contain the lines {BEGIN_MARKER!r} and {END_MARKER!r} once each")
    begin = stripped.index(BEGIN_MARKER)
    end = stripped.index(END_MARKER)
    if end < begin:
        raise ValueError(f"{script}: {END_MARKER!r} comes before {BEGIN_MARKER!r}")
    return textwrap.dedent("\n".join(lines[begin + 1 : end])).strip("\n") + "\n"


# ---------------------------------------------------------------- Keras


def _number(value: float) -> str:
    """Format a float the short way Python prints it (0.001, 0.2)."""
    return repr(float(value))


def _digits_code(config: DigitsConfig) -> list[str]:
    if config.cell not in KERAS_LAYER_NAMES:
        raise ValueError(f"unknown cell {config.cell!r}: expected one of {sorted(KERAS_LAYER_NAMES)}")
    layer = f"keras.layers.{KERAS_LAYER_NAMES[config.cell]}"
    shape_comment = f"# ({config.timesteps} image rows"
    if config.delay:
        shape_comment += f" + {config.delay} {'noise' if config.delay_noise else 'blank'} rows"
    shape_comment += f", {config.features} pixels per row)"
    lines = [
        f'inputs = keras.Input(shape=({config.sequence_length}, {config.features}), name="rows")  {shape_comment}',
    ]
    for index, units in enumerate(config.units, start=1):
        options = [str(units)]
        if index < len(config.units):
            options.append("return_sequences=True")
        if config.recurrent_dropout:
            options.append(f"dropout={_number(config.recurrent_dropout)}")
        options.append(f'name="rnn_{index}"')
        previous = "inputs" if index == 1 else "hidden"
        lines.append(f"hidden = {layer}({', '.join(options)})({previous})")
    lines.append(f'outputs = keras.layers.Dense({config.classes}, activation="softmax", name="output")(hidden)')
    lines.append(f'model = keras.Model(inputs, outputs, name="digits_{config.name}")')
    return lines


def _reviews_code(config: ReviewsConfig) -> list[str]:
    embedding_options = [str(config.vocab_size), str(config.embedding_dim)]
    if config.mask_padding:
        embedding_options.append("mask_zero=True")
    embedding_options.append('name="embedding"')
    lstm_options = [str(config.units)]
    if config.input_dropout:
        lstm_options.append(f"dropout={_number(config.input_dropout)}")
    lstm_options.append('name="rnn_1"')
    return [
        f'inputs = keras.Input(shape=({config.maxlen},), dtype="int32", name="ids")  # word ids, 0 = padding',
        f"embedded = keras.layers.Embedding({', '.join(embedding_options)})(inputs)",
        f"hidden = keras.layers.LSTM({', '.join(lstm_options)})(embedded)",
        *([f'hidden = keras.layers.Dropout({_number(config.output_dropout)}, name="output_dropout")(hidden)']
          if config.output_dropout else []),
        f'outputs = keras.layers.Dense({config.classes}, activation="softmax", name="output")(hidden)',
        f'model = keras.Model(inputs, outputs, name="reviews_{config.name}")',
    ]


def _compile_code(config: DigitsConfig | ReviewsConfig) -> list[str]:
    lines = []
    decay_epochs = getattr(config, "lr_decay_epochs", 0)
    if decay_epochs:
        lines.append(
            f"# Training lowers the learning rate from {_number(config.learning_rate)} by cosine decay "
            f"to 1 % of it over {decay_epochs} epochs."
        )
    lines.append(
        "model.compile(\n"
        f"    optimizer=keras.optimizers.Adam(learning_rate={_number(config.learning_rate)}),\n"
        '    loss="sparse_categorical_crossentropy",  # integer labels, no one-hot vectors\n'
        '    metrics=["accuracy"],\n'
        ")"
    )
    return lines


def keras_network_code(config: DigitsConfig | ReviewsConfig) -> str:
    """Return Keras 3 code that builds and compiles the model of `config`.

    Executed, the code defines ``model`` with the same layers and parameters as
    `lstm_demo.models.build_model(config)`.
    """
    if isinstance(config, DigitsConfig):
        body = _digits_code(config)
    elif isinstance(config, ReviewsConfig):
        body = _reviews_code(config)
    else:
        raise TypeError(f"expected a DigitsConfig or ReviewsConfig, got {type(config).__name__}")
    return "\n".join(["import keras", "", *body, "", *_compile_code(config)]) + "\n"
