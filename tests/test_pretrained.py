"""Shipped models reach their recorded accuracy on the real test sets."""

import json

import numpy as np
import pytest

from lstm_demo import artifacts, config, tasks, text, train
from lstm_demo.preprocess import digit_sequences

REQUIRED = {("digits", "seed"): 0.985, ("digits", "shifted"): 0.992, ("reviews", "seed"): 0.80, ("reviews", "masked"): 0.86,
            ("reviews", "regularized"): 0.88}
SHIPPED = [(task, name) for task, configs in config.CONFIGS.items() for name in configs
           if not name.startswith("delay")]


@pytest.mark.parametrize("task,name", SHIPPED)
def test_pretrained_files_present(task, name):
    files = artifacts.pretrained_files(task, name)
    assert files.model.is_file(), f"missing {files.model}"
    card = json.loads(files.card.read_text())
    assert card["test_size"] == (10_000 if task == "digits" else 24_996)
    assert card["config"]["name"] == name
    assert files.model.stat().st_size < 8_000_000


@pytest.mark.parametrize("task,name", SHIPPED)
def test_pretrained_accuracy(task, name, request):
    files = artifacts.pretrained_files(task, name)
    loaded = tasks.load_files(files)
    if task == "digits":
        mnist = request.getfixturevalue("mnist")
        x = digit_sequences(mnist["test"].x, loaded.config, train.TEST_NOISE_SEED)
        y = mnist["test"].y
    else:
        imdb = request.getfixturevalue("imdb")
        x, _ = text.encode_many(imdb["test"].texts, loaded.vocabulary, loaded.config.maxlen)
        y = imdb["test"].y
    predictions = np.concatenate([loaded.inspector.predict_batch(x[start:start + 500]).argmax(axis=1)
                                  for start in range(0, len(x), 500)])
    accuracy = float((predictions == y).mean())
    assert accuracy >= REQUIRED.get((task, name), 0.0)
    assert abs(accuracy - loaded.card["test_accuracy"]) <= 0.002


def test_masked_prediction_ignores_padding():
    loaded = tasks.load_pretrained("reviews", "masked")
    encoded = tasks.encode_review(loaded, "A wonderful, moving film with a great cast")
    probabilities = []
    for maxlen in (20, 100, loaded.config.maxlen):
        ids = text.encode("A wonderful, moving film with a great cast", loaded.vocabulary, maxlen).ids
        probabilities.append(loaded.inspector.predict_batch(ids[None])[0])
    from lstm_demo import models

    keras_model = models.load_model(loaded.keras_file)
    keras_probabilities = keras_model.predict(encoded.ids[None], verbose=0)[0]
    for value in probabilities:
        assert np.allclose(value, probabilities[0], atol=1e-6)
    assert np.allclose(keras_probabilities, probabilities[0], atol=1e-5)
