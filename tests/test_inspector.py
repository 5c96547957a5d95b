"""The NumPy inspector equals Keras on every shipped model, real inputs included."""

import numpy as np
import pytest

from lstm_demo import artifacts, config, inspector, tasks, text

# Every model file that ships, the why-LSTM page's memory-task models included.
SHIPPED = sorted(path.stem for path in artifacts.PRETRAINED_DIR.glob("*.keras"))


def keras_model(files):
    from lstm_demo import models

    return models.load_model(files.model)


def keras_hidden_states(model, x):
    """h of every step of every recurrent layer, computed by Keras: (batch, timesteps, units) per layer."""
    import keras

    states = []
    hidden = x
    mask = None
    for layer in model.layers[1:]:
        if isinstance(layer, keras.layers.Embedding):
            mask = (x != 0) if layer.mask_zero else None
            hidden = layer(hidden)
        elif isinstance(layer, keras.layers.RNN):
            # A copy that returns every step, with the same weights.
            every_step = type(layer).from_config({**layer.get_config(), "return_sequences": True})
            every_step(hidden, mask=mask)
            every_step.set_weights(layer.get_weights())
            hidden = every_step(hidden, mask=mask)
            states.append(np.asarray(hidden))
    return states


def real_inputs(task, loaded, mnist_or_imdb):
    if task == "digits":
        images = mnist_or_imdb["test"].x[:16]
        return np.stack([tasks.digit_input(image / 255.0, loaded.config) for image in images])
    reviews = mnist_or_imdb["test"].texts[:12] + ["good", "not good at all", "great " * 600]
    return np.stack([text.encode(review, loaded.vocabulary, loaded.config.maxlen).ids for review in reviews])


@pytest.mark.parametrize("stem", SHIPPED)
def test_inspector_matches_keras(stem, request):
    files = artifacts.ModelFiles(artifacts.PRETRAINED_DIR, stem)
    loaded = tasks.load_files(files)
    task = loaded.config.task
    dataset = request.getfixturevalue("mnist" if task == "digits" else "imdb")
    x = real_inputs(task, loaded, dataset)
    model = keras_model(files)

    expected = model.predict(x, verbose=0)
    actual = loaded.inspector.predict_batch(x)
    assert np.abs(actual - expected).max() < 1e-5

    layers, _ = loaded.inspector.run_batch(x)
    for ours, theirs in zip(layers, keras_hidden_states(model, x)):
        if loaded.inspector.weights.mask_padding:
            lengths = loaded.inspector.lengths(x)
            for row, length in enumerate(lengths):
                assert np.abs(ours["h"][row, :length] - theirs[row, :length]).max() < 1e-5
        else:
            assert np.abs(ours["h"] - theirs).max() < 1e-5


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
def test_every_cell_matches_keras(cell, tmp_path):
    from lstm_demo import models

    cfg = config.DIGITS_SEED.with_changes(name=f"tiny_{cell}", cell=cell, units=(16, 8), delay=3)
    model = models.build_model(cfg)
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.1, weight.shape).astype("float32"))
    models.save_model(model, cfg, tmp_path / "m.keras")
    ours = inspector.Inspector.from_file(tmp_path / "m.keras", cfg)
    x = rng.random((4, cfg.sequence_length, 28)).astype("float32")
    assert np.abs(ours.predict_batch(x) - model.predict(x, verbose=0)).max() < 1e-5
    assert ours.quantities == inspector.QUANTITIES[cell]


def test_lstm_gates_by_hand(tmp_path):
    """One LSTM step worked out by hand from the gate equations equals the inspector's record."""
    from lstm_demo import models

    cfg = config.DIGITS_SEED.with_changes(name="hand", units=(4, 3))
    model = models.build_model(cfg)
    models.save_model(model, cfg, tmp_path / "m.keras")
    ours = inspector.Inspector.from_file(tmp_path / "m.keras", cfg)
    x = np.random.default_rng(1).random((28, 28)).astype("float32")
    trace = ours.trace(x)
    layer = ours.weights.layers[0]
    z = x[0] @ layer.kernel + layer.bias  # h0 = 0, so no recurrent term
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i, f, g, o = sigmoid(z[:4]), sigmoid(z[4:8]), np.tanh(z[8:12]), sigmoid(z[12:])
    assert np.allclose(trace.layers[0]["i"][0], i, atol=1e-6)
    assert np.allclose(trace.layers[0]["f"][0], f, atol=1e-6)
    assert np.allclose(trace.layers[0]["c"][0], i * g, atol=1e-6)
    assert np.allclose(trace.layers[0]["h"][0], o * np.tanh(i * g), atol=1e-6)


def test_weights_from_keras_equal_file(tmp_path):
    from lstm_demo import models

    cfg = config.REVIEWS_MASKED.with_changes(vocab_size=50, embedding_dim=8, units=6, maxlen=12)
    model = models.build_model(cfg)
    models.save_model(model, cfg, tmp_path / "m.keras")
    from_file = inspector.Inspector.from_file(tmp_path / "m.keras", cfg)
    from_model = inspector.Inspector(inspector.NetworkWeights.from_keras(model), cfg)
    ids = np.array([[5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    assert np.allclose(from_file.predict_batch(ids), from_model.predict_batch(ids))
    assert from_model.weights.mask_padding


def test_occlusion_rows_blank_row_costs_nothing(tmp_path):
    from lstm_demo import models

    cfg = config.DIGITS_SEED.with_changes(name="occ", units=(8, 8))
    models.save_model(models.build_model(cfg), cfg, tmp_path / "m.keras")
    ours = inspector.Inspector.from_file(tmp_path / "m.keras", cfg)
    x = np.zeros((28, 28), "float32")
    x[10] = 1.0
    drops = inspector.occlusion_rows(ours, x)
    assert drops.shape == (28,)
    # Blanking an already blank row leaves the input, and so the prediction, unchanged.
    assert np.abs(np.delete(drops, 10)).max() < 1e-6
