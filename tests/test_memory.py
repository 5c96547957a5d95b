"""Memory task: configurations, gradients through time against finite differences, the shipped cards."""

import json
import shlex

import numpy as np
import pytest

from lstm_demo import artifacts, config, memory, tasks, train

SHIPPED_DELAYS = (0, 30, 100)  # delays the page needs for every cell type
CHEAP_MODEL = "memory-simple_rnn-delay0"  # about 30 s to retrain on 2 CPU cores


def memory_cards() -> dict[str, dict]:
    cards = {}
    for path in sorted(artifacts.PRETRAINED_DIR.glob("memory-*-delay*.json")):
        cards[path.stem] = json.loads(path.read_text())
    return cards


# ---------------------------------------------------------------- configurations


def test_memory_configs_found_by_name():
    for cell in config.MEMORY_CELLS:
        for delay in config.MEMORY_DELAYS:
            found = config.get_config("digits", config.memory_config_name(cell, delay))
            assert found.cell == cell
            assert found.delay == delay
            assert found.units == config.DIGITS_SEED.units
            assert found.learning_rate == config.DIGITS_SEED.learning_rate
            assert found.batch_size == config.DIGITS_SEED.batch_size


def test_memory_configs_not_in_page_selector():
    assert not any(name.startswith("memory-") for name in config.CONFIGS["digits"])
    with pytest.raises(KeyError, match="memory-"):
        config.get_config("digits", "no-such-config")


# ---------------------------------------------------------------- gradients


@pytest.fixture
def float64_keras():
    """Build Keras models in float64 for the test, so finite differences are exact to about 1e-9."""
    import keras

    previous_floatx = keras.config.floatx()
    previous_policy = keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    # Layers follow the global dtype policy, which keeps float32 once any model was built before.
    keras.config.set_dtype_policy("float64")
    yield keras
    keras.config.set_dtype_policy(previous_policy)
    keras.config.set_floatx(previous_floatx)


@pytest.mark.parametrize("cell", config.MEMORY_CELLS)
def test_gradient_matches_finite_differences(cell, float64_keras):
    from lstm_demo import models

    tiny = config.DIGITS_SEED.with_changes(name="tiny", cell=cell, units=(8, 8), timesteps=5, features=4, delay=3)
    float64_keras.utils.set_random_seed(7)
    model = models.build_digits_model(tiny)
    sequence = np.random.default_rng(3).uniform(0.0, 1.0, (tiny.sequence_length, tiny.features))  # (8, 4)

    result = memory.input_gradient(model, sequence)

    probabilities = np.asarray(model(sequence[None]))[0]
    assert result.target == int(np.argmax(probabilities))
    assert np.allclose(result.probabilities, probabilities)
    step = 1e-6
    shifts = np.eye(sequence.size).reshape(-1, *sequence.shape) * step  # (32, 8, 4), one changed value each
    above = np.asarray(model(sequence[None] + shifts))[:, result.target]
    below = np.asarray(model(sequence[None] - shifts))[:, result.target]
    finite_differences = ((above - below) / (2 * step)).reshape(sequence.shape)  # (8, 4)
    assert result.gradient.shape == sequence.shape
    assert np.abs(finite_differences).max() > 1e-4  # the check is not trivially met by zeros
    assert np.allclose(result.gradient, finite_differences, rtol=1e-5, atol=1e-9)
    assert np.allclose(result.step_norms, np.linalg.norm(finite_differences, axis=1), rtol=1e-5, atol=1e-9)


def test_gradient_of_chosen_class(float64_keras):
    from lstm_demo import models

    tiny = config.DIGITS_SEED.with_changes(name="tiny", units=(8,), timesteps=3, features=2)
    model = models.build_digits_model(tiny)
    sequence = np.ones((3, 2))
    total = sum(memory.input_gradient(model, sequence, target=digit).gradient for digit in range(10))
    assert np.allclose(total, 0.0, atol=1e-12)  # the probabilities always sum to 1


def test_many_gradients_no_retracing_warning(caplog):
    # The Why LSTM page compiles one gradient function per network. TensorFlow warned about retracing
    # after five of them, although each traces only once.
    import tensorflow as tf

    from lstm_demo import models

    tensorflow_logger = tf.get_logger()
    tensorflow_logger.addHandler(caplog.handler)
    try:
        for index in range(7):
            tiny = config.DIGITS_SEED.with_changes(name=f"tiny{index}", units=(4,), timesteps=3 + index, features=2)
            memory.input_gradient(models.build_digits_model(tiny), np.ones((3 + index, 2), dtype=np.float32))
    finally:
        tensorflow_logger.removeHandler(caplog.handler)
    assert not [record for record in caplog.records if "retracing" in record.getMessage()]


def test_forget_gate_means(float64_keras):
    from lstm_demo import inspector, models

    tiny = config.DIGITS_SEED.with_changes(name="tiny", units=(8, 6), timesteps=4, features=3, delay=2)
    model = models.build_digits_model(tiny)
    trace = inspector.Inspector(inspector.NetworkWeights.from_keras(model), tiny).trace(np.ones((6, 3)))
    means = memory.mean_forget_gate(trace)
    assert means.shape == (2, 6)
    assert np.allclose(means[1], trace.layers[1]["f"].mean(axis=1))
    assert ((means > 0) & (means < 1)).all()

    simple = tiny.with_changes(cell="simple_rnn")
    trace = inspector.Inspector(inspector.NetworkWeights.from_keras(models.build_digits_model(simple)), simple).trace(
        np.ones((6, 3))
    )
    with pytest.raises(ValueError, match="LSTM"):
        memory.mean_forget_gate(trace)


# ---------------------------------------------------------------- shipped models and cards


def test_shipped_cards_cover_cells_and_delays():
    cards = memory_cards()
    for cell in config.MEMORY_CELLS:
        for delay in SHIPPED_DELAYS:
            stem = config.memory_config_name(cell, delay)
            assert stem in cards, f"missing pretrained/{stem}.json"
            assert (artifacts.PRETRAINED_DIR / f"{stem}.keras").is_file()
    for stem, card in cards.items():
        assert card["config"]["name"] == stem
        assert card["test_size"] == 10_000
        assert card["command"].startswith(f"python -m lstm_demo.train digits --config {stem} ")
        assert f"--name {stem}" in card["command"]


def test_accuracy_table_equals_cards():
    cards = memory_cards()
    rows = memory.accuracy_table()
    assert len(rows) == len(cards)
    for row in rows:
        card = cards[row["stem"]]
        assert row["test_accuracy"] == card["test_accuracy"]
        assert (row["cell"], row["delay"]) == (card["config"]["cell"], card["config"]["delay"])
    assert set(SHIPPED_DELAYS) <= set(memory.delays_with_all_cells(rows))


def test_shipped_model_predicts_its_delay():
    loaded = tasks.load_files(memory.memory_files("lstm", 30))
    examples = memory.load_examples()
    assert [example["label"] for example in examples] == list(range(10))
    sequence = tasks.digit_input(examples[0]["pixels"], loaded.config)
    assert sequence.shape == (58, 28)
    assert np.array_equal(sequence[:28], examples[0]["pixels"])
    # The rows after the image are noise, the same for every call, so the page's predictions do not change.
    assert sequence[28:].std() > 0.1
    assert np.array_equal(sequence, tasks.digit_input(examples[0]["pixels"], loaded.config))
    assert loaded.inspector.trace(sequence).step_probabilities.shape == (58, 10)


def test_recorded_command_reproduces_card(data_dir, tmp_path):
    card = memory_cards()[CHEAP_MODEL]
    arguments = shlex.split(card["command"])
    assert arguments[:3] == ["python", "-m", "lstm_demo.train"]
    assert train.main(arguments[3:] + ["--out", str(tmp_path), "--data-dir", str(data_dir)]) == 0
    again = json.loads((tmp_path / f"{CHEAP_MODEL}.json").read_text())
    assert again["train_size"] == card["train_size"]
    assert again["test_size"] == card["test_size"]
    # NOTE: multi-threaded TensorFlow sums are not bit-reproducible, so the tolerance allows a few points.
    assert abs(again["test_accuracy"] - card["test_accuracy"]) <= 0.03


def test_initial_model_equals_training_start():
    tiny = config.DIGITS_SEED.with_changes(name="tiny", cell="lstm", units=(8,), timesteps=5, features=4, delay=2)
    rng = np.random.default_rng(0)
    prepared = train.PreparedData(
        x_train=rng.uniform(0, 1, (16, 7, 4)).astype(np.float32),
        y_train=rng.integers(0, 10, 16),
        x_val=np.zeros((0, 7, 4), np.float32),
        y_val=np.zeros(0, int),
        x_test=np.zeros((0, 7, 4), np.float32),
        y_test=np.zeros(0, int),
    )
    starting_weights = []

    def record_start(model, epoch):
        if epoch == 0:
            starting_weights.extend(np.array(value) for value in model.get_weights())

    train.train(tiny, prepared, epochs=1, on_epoch_end=record_start)
    initial = memory.initial_model(tiny).get_weights()
    assert len(initial) == len(starting_weights)
    for built, started in zip(initial, starting_weights):
        assert np.array_equal(built, started)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chrono_biases_set_memory_spans(cell):
    tiny = config.DIGITS_SEED.with_changes(name="tiny", cell=cell, units=(16, 8), timesteps=5, features=4, delay=45,
                                           chrono_init=True)
    model = memory.initial_model(tiny)
    longest = tiny.sequence_length
    for index, units in enumerate(tiny.units, start=1):
        bias = np.asarray(model.get_layer(f"rnn_{index}").cell.bias)
        if cell == "lstm":
            keep, write = bias[units:2 * units], bias[:units]
            assert np.array_equal(write, -keep)
            assert not bias[2 * units:].any()
        else:
            keep = bias[0, :units]
            assert not bias[0, units:].any()
            assert not bias[1].any()
        # log(u) for u uniform in [1, longest - 1]: spans from one step to the sequence's length
        assert keep.min() >= 0.0
        assert keep.max() <= np.log(longest - 1) + 1e-6
        assert keep.std() > 0.1


def test_chrono_biases_reach_the_inspector():
    tiny = config.DIGITS_SEED.with_changes(name="tiny", cell="lstm", units=(8,), timesteps=5, features=4, delay=20,
                                           chrono_init=True)
    model = memory.initial_model(tiny)
    loaded = tasks.from_keras_model(model, tiny, {}, "before training")
    # With zero input, a unit's forget gate is sigmoid(its bias) at the first step.
    trace = loaded.inspector.trace(np.zeros((tiny.sequence_length, tiny.features), np.float32))
    forget_bias = np.asarray(model.get_layer("rnn_1").cell.bias)[8:16]
    assert np.allclose(trace.layers[0]["f"][0], 1.0 / (1.0 + np.exp(-forget_bias)), atol=1e-6)
