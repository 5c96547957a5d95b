"""Shareable views, the gallery, CSV export and damaged model files, through AppTest."""

import csv
import io
import shutil

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, big_prediction
from lstm_demo import artifacts, export, gallery, tasks, text
from lstm_demo.preprocess import images_to_sequences

APP = str(ROOT / "streamlit_app.py")


def run_app(query: dict | None = None, page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    for name, value in (query or {}).items():
        app.query_params[name] = value
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    assert not app.exception
    return app


def test_url_opens_view():
    entry = gallery.load_gallery()["digits"][0]
    app = run_app({"example": entry["id"], "layer": "2", "quantity": "c", "step": "12"})
    assert app.selectbox(key="digits_layer").value == 1
    assert app.selectbox(key="digits_quantity").value == "c"
    assert app.slider(key="digits_step").value == 12
    assert big_prediction(app) == (str(entry["predicted"]), False)


def test_view_change_updates_url():
    entry = gallery.load_gallery()["digits"][3]
    app = run_app({"example": entry["id"]})
    app.selectbox(key="digits_quantity").set_value("f").run()
    app.slider(key="digits_step").set_value(7).run()
    assert app.query_params["quantity"] == "f"
    assert app.query_params["step"] == "7"
    assert app.query_params["example"] == entry["id"]


def test_bad_url_values_ignored():
    app = run_app({"layer": "nine", "quantity": "<script>", "step": "-4", "example": "nope"})
    assert [info.value for info in app.info] == ["Draw a digit on the canvas."]
    assert ["'nope', which does not exist" in warning.value for warning in app.warning] == [True]
    assert "example" not in app.query_params


def test_clear_example_from_url():
    entry = gallery.load_gallery()["digits"][0]
    app = run_app({"example": entry["id"]})
    app.button(key="digits_clear_example").click().run()
    assert [info.value for info in app.info] == ["Draw a digit on the canvas."]
    assert "example" not in app.query_params
    assert big_prediction(app) is None
    app.run()
    assert big_prediction(app) is None


def test_new_review_starts_at_last_step():
    app = run_app({"text": "a wonderful film with a great cast", "step": "3"}, page="app_pages/reviews.py")
    assert app.slider(key="reviews_step").value == 3  # the bookmarked step
    for words in (30, 10, 40):
        app.text_area(key="reviews_text").input(" ".join(["good"] * words)).run()
        assert app.slider(key="reviews_step").max == words
        assert app.slider(key="reviews_step").value == words
    app.slider(key="reviews_step").set_value(4).run()
    assert app.slider(key="reviews_step").value == 4


def test_review_text_in_url():
    app = run_app({"text": "not good at all"}, page="app_pages/reviews.py")
    assert app.text_area(key="reviews_text").value == "not good at all"
    app.text_area(key="reviews_text").input("a wonderful film").run()
    assert app.query_params["text"] == "a wonderful film"


@pytest.mark.parametrize("task", ["digits", "reviews"])
def test_gallery_predictions_recorded(task):
    entries = gallery.load_gallery()[task]
    assert entries, "pretrained/gallery.json has no entries; run python -m lstm_demo.gallery"
    for entry in entries:
        model = tasks.load_pretrained(task, entry["model"])
        if task == "digits":
            x = images_to_sequences(np.asarray(entry["pixels"], dtype=np.uint8)[None], model.config.delay)
        else:
            x = text.encode(entry["text"], model.vocabulary, model.config.maxlen).ids[None]
        probabilities = model.inspector.predict_batch(x)[0]
        assert int(probabilities.argmax()) == entry["predicted"], entry["id"]
        assert probabilities.max() == pytest.approx(entry["probability"], abs=1e-4)


def test_gallery_covers_classes_and_mistakes():
    content = gallery.load_gallery()
    assert {entry["label"] for entry in content["digits"]} == set(range(10))
    assert any(entry["title"].startswith("mistake") for entry in content["digits"])
    assert {entry["label"] for entry in content["reviews"]} >= {0, 1}
    assert any(entry["text"] == "not bad at all" for entry in content["reviews"])


def test_gallery_buttons_load_examples():
    app = run_app()
    entries = gallery.load_gallery()["digits"]
    for entry in entries[::5]:
        app.button(key=f"digits_gallery_{entry['id']}").click().run()
        assert not app.exception
        assert big_prediction(app) == (str(entry["predicted"]), False)
    app.switch_page("app_pages/reviews.py")
    app.run()
    entry = gallery.load_gallery()["reviews"][-1]
    app.button(key=f"reviews_gallery_{entry['id']}").click().run()
    assert app.text_area(key="reviews_text").value == entry["text"]
    label = tasks.TASKS["reviews"].class_names[entry["predicted"]]
    assert big_prediction(app) == (label, False)


def test_csv_export_rows():
    model = tasks.load_pretrained("reviews", tasks.TASKS["reviews"].default_config)
    encoded = tasks.encode_review(model, "not good at all")
    trace = tasks.trace_review(model, encoded)
    content = export.trace_to_csv(trace, encoded.read_tokens, ("negative", "positive"), 0, "f")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:4] == ["step", "input", "p_negative", "p_positive"]
    assert [row[1] for row in rows[1:]] == ["not", "good", "at", "all"]
    assert float(rows[-1][3]) == pytest.approx(trace.probabilities[1], abs=1e-6)
    assert len(rows[0]) == 4 + 128


def test_presenter_mode_from_url():
    app = run_app({"presenter": "1", "example": gallery.load_gallery()["digits"][0]["id"]})
    assert app.toggle(key="presenter").value is True
    assert not any(element.label == "Retrain" for element in app.button)
    assert big_prediction(app) == (str(gallery.load_gallery()["digits"][0]["predicted"]), True)
    app.toggle(key="presenter").set_value(False).run()
    assert "presenter" not in app.query_params
    assert any(element.label == "Retrain" for element in app.button)


@pytest.fixture
def damaged_pretrained(tmp_path, monkeypatch):
    """A copy of pretrained/ where the page's models can be broken without touching the real files."""
    copy = tmp_path / "pretrained"
    shutil.copytree(artifacts.PRETRAINED_DIR, copy)
    monkeypatch.setattr(artifacts, "PRETRAINED_DIR", copy)
    st.cache_resource.clear()  # models cached by earlier tests were read from the real folder
    yield copy
    st.cache_resource.clear()


def test_truncated_model_reported(damaged_pretrained):
    name = tasks.TASKS["digits"].default_config
    model_file = damaged_pretrained / f"digits-{name}.keras"
    model_file.write_bytes(model_file.read_bytes()[:1000])
    app = run_app()
    errors = " ".join(error.value for error in app.error)
    assert "cannot be read" in errors
    assert "python -m lstm_demo.train digits" in errors
    app.switch_page("app_pages/reviews.py")
    app.run()
    assert not app.exception
    assert not app.error
    assert big_prediction(app)[0] in tasks.TASKS["reviews"].class_names


def test_missing_model_reported(damaged_pretrained):
    for config in tasks.TASKS["reviews"].configs:
        for path in damaged_pretrained.glob(f"reviews-{config}.keras"):
            path.unlink()
    app = run_app(page="app_pages/reviews.py")
    assert "is missing" in " ".join(error.value for error in app.error)
    app.switch_page("app_pages/digits.py")
    app.run()
    assert not app.exception
    assert not app.error
