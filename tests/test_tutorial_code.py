"""Code shown in the app: the TFLearn lines come from the example scripts, the Keras code builds the real model."""

import re

import pytest

from lstm_demo import config, tutorial_code

ALL_CONFIGS = [
    pytest.param(configuration, id=f"{task}-{name}")
    for task, configurations in config.CONFIGS.items()
    for name, configuration in configurations.items()
]
OTHER_CELLS = [
    pytest.param(config.DIGITS_SEED.with_changes(cell="gru", units=(32,)), id="gru"),
    pytest.param(
        config.DIGITS_SEED.with_changes(cell="simple_rnn", units=(16, 8, 4), recurrent_dropout=0.1, delay=3),
        id="simple_rnn-delay",
    ),
]

EXPLICIT_NAME = re.compile(r"rows|ids|embedding|rnn_\d+|output")  # names that lstm_demo.models sets


def layer_configs(model):
    """Each layer's class and configuration, without the names Keras numbers itself (not_equal_1)."""
    described = []
    for layer in model.layers:
        layer_config = dict(layer.get_config())
        layer_config.pop("name")
        explicit_name = layer.name if EXPLICIT_NAME.fullmatch(layer.name) else None
        described.append((type(layer).__name__, explicit_name, layer_config))
    return described


def run_keras_code(configuration):
    import keras

    namespace = {"keras": keras}
    exec(tutorial_code.keras_network_code(configuration), namespace)
    return namespace["model"]


@pytest.mark.parametrize("configuration", ALL_CONFIGS + OTHER_CELLS)
def test_keras_code_matches_build_model(configuration):
    from lstm_demo import models

    generated = run_keras_code(configuration)
    built = models.build_model(configuration)
    assert generated.count_params() == built.count_params()
    assert generated.name == built.name
    assert layer_configs(generated) == layer_configs(built)


def test_keras_code_compiles_with_learning_rate():
    configuration = config.REVIEWS_SEED.with_changes(learning_rate=0.003)
    model = run_keras_code(configuration)
    assert model.optimizer is not None
    assert float(model.optimizer.learning_rate) == pytest.approx(0.003)


def test_keras_code_mentions_learning_rate_decay():
    code = tutorial_code.keras_network_code(config.DIGITS_SEED.with_changes(lr_decay_epochs=5))
    assert "cosine decay" in code
    assert "over 5 epochs" in code


@pytest.mark.parametrize(
    "task, expected_lines",
    [
        ("digits", ["tflearn.input_data([None, 28, 28])", "tflearn.lstm(net, 128, return_seq=True)", "tflearn.DNN("]),
        ("reviews", ["tflearn.embedding(net, input_dim=10000, output_dim=128)", "dropout=0.8", "tflearn.DNN("]),
    ],
)
def test_tflearn_code_has_network_lines(task, expected_lines):
    code = tutorial_code.tflearn_network_code(task)
    for line in expected_lines:
        assert line in code
    assert "tutorial-network" not in code
    assert "model.fit" not in code
    assert code.startswith("net = ") or code.startswith("# Network building")
    compile(code, f"<{task} network>", "exec")


def test_tflearn_code_unknown_task():
    with pytest.raises(KeyError, match="unknown task 'speech'"):
        tutorial_code.tflearn_network_code("speech")


def test_tflearn_code_missing_markers(tmp_path):
    (tmp_path / "tflearn_digits.py").write_text("import tflearn\nnet = tflearn.input_data([None, 28, 28])\n")
    with pytest.raises(ValueError, match="tutorial-network: begin"):
        tutorial_code.tflearn_network_code("digits", examples_dir=tmp_path)


def test_tflearn_code_markers_out_of_order(tmp_path):
    (tmp_path / "tflearn_digits.py").write_text(
        "# tutorial-network: end\nnet = None\n# tutorial-network: begin\n"
    )
    with pytest.raises(ValueError, match="comes before"):
        tutorial_code.tflearn_network_code("digits", examples_dir=tmp_path)
