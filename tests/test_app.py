"""App logic through Streamlit's AppTest: both pages, bad input, retraining, no TensorFlow on the way."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, big_prediction
from lstm_demo import tasks

APP = str(ROOT / "streamlit_app.py")


def open_page(page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    assert not app.exception
    return app


def one_stroke() -> np.ndarray:
    pixels = np.zeros((28, 28), np.float32)
    pixels[4:24, 13:15] = 1.0
    return pixels


def chart_count(app: AppTest) -> int:
    return len(app.get("plotly_chart"))


def markdown_text(app: AppTest) -> str:
    return "\n".join(element.value for element in app.markdown)


def test_digits_empty_canvas_hint():
    app = open_page()
    assert "Draw a digit on the canvas." in [info.value for info in app.info]
    assert chart_count(app) == 0


def test_digits_prediction_and_heatmap():
    app = open_page()
    app.session_state["digits_loaded_pixels"] = one_stroke()
    app.run()
    assert not app.exception
    assert big_prediction(app) == ("1", False)
    assert chart_count(app) >= 5
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")]
    assert "hidden state h of layer 1, 64 of 128 units" in titles
    app.selectbox(key="digits_quantity").set_value("f").run()
    app.selectbox(key="digits_sort").set_value("most variable (std over steps)").run()
    app.slider(key="digits_step").set_value(10).run()
    assert not app.exception


def test_reviews_example_prediction():
    app = open_page("app_pages/reviews.py")
    app.selectbox(key="reviews_example").set_value("Negative").run()
    assert not app.exception
    assert big_prediction(app) == ("negative", False)
    assert chart_count(app) >= 4


@pytest.mark.parametrize("review", ["", "    \n  ", "?!... ---", "😀🎬👍🔥"])
def test_reviews_unreadable_hint(review):
    app = open_page("app_pages/reviews.py")
    app.text_area(key="reviews_text").input(review).run()
    assert not app.exception
    assert len(app.info) == 1
    assert chart_count(app) == 0


def test_reviews_long_text_truncated():
    app = open_page("app_pages/reviews.py")
    app.text_area(key="reviews_text").input("great acting " * 25_000).run()
    assert not app.exception
    captions = " ".join(caption.value for caption in app.caption)
    assert "cut off" in captions
    assert "cut off" in markdown_text(app)


def test_reviews_huge_paste_cut():
    app = open_page("app_pages/reviews.py")
    app.text_area(key="reviews_text").input("bad " * 60_000).run()
    assert not app.exception
    assert any("200,000" in warning.value for warning in app.warning)


@pytest.mark.parametrize("review", [
    "<script>alert(1)</script> a great film",
    "<img src=x onerror=alert(1)> loved it",
    "[click me](http://example.com) :smile: good",
])
def test_reviews_markup_never_rendered(review):
    app = open_page("app_pages/reviews.py")
    app.text_area(key="reviews_text").input(review).run()
    assert not app.exception
    rendered = markdown_text(app)
    for fragment in ("<script", "<img", "onerror=", "](http", ":smile:"):
        assert fragment not in rendered
    assert app.text_area(key="reviews_text").value == review


@pytest.mark.parametrize("review", ["Отличный фильм, great acting", "这部电影很好 but too long", "Отличный фильм"])
def test_reviews_other_scripts(review):
    app = open_page("app_pages/reviews.py")
    app.text_area(key="reviews_text").input(review).run()
    assert not app.exception
    assert big_prediction(app)[0] in ("negative", "positive")
    assert any("out of vocabulary" in caption.value for caption in app.caption)


def test_reviews_unknown_words_all_oov():
    app = open_page("app_pages/reviews.py")
    app.text_area(key="reviews_text").input("zzqxv blorft").run()
    assert not app.exception
    assert markdown_text(app).count("out of vocabulary") == 2
    assert any("2 out of vocabulary" in caption.value for caption in app.caption)
    assert any("unknown-word id 2 times:" in warning.value for warning in app.warning)
    app.text_area(key="reviews_text").input("zzqxv").run()
    assert any("unknown-word id 1 time:" in warning.value for warning in app.warning)


def test_reviews_model_selector_seed():
    app = open_page("app_pages/reviews.py")
    app.selectbox(key="reviews_config").set_value("seed").run()
    assert not app.exception
    assert any("padding steps" in caption.value for caption in app.caption)


def test_retrain_swaps_session_model(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_DEMO_USER_MODELS", str(tmp_path / "models"))
    app = open_page()
    app.session_state["digits_loaded_pixels"] = one_stroke()
    app.run()
    app.slider(key="digits_epochs").set_value(1)
    app.select_slider(key="digits_limit").set_value(500)
    next(button for button in app.button if button.label == "Retrain").click().run()
    assert not app.exception
    job = app.session_state["digits_job"]
    assert job.wait(300)
    assert job.state == "done", job.error
    app.run()
    assert not app.exception
    session_model = app.session_state["session_models"]["digits"]
    assert session_model.label.startswith(f"retrained {tasks.TASKS['digits'].default_config} (1 epoch,")
    assert app.selectbox(key="digits_config").value == "this session's model"
    assert len(session_model.replay) == 2

    # A name with a path in it is rejected; a plain name is saved with its card.
    app.text_input(key="digits_save_name").input("../escape").run()
    app.button(key="digits_save").click().run()
    assert any("invalid model name" in error.value for error in app.error)
    app.text_input(key="digits_save_name").input("talk-demo").run()
    app.button(key="digits_save").click().run()
    assert (tmp_path / "models" / "digits-talk-demo.keras").is_file()
    assert (tmp_path / "models" / "digits-talk-demo.json").is_file()
    assert not list((tmp_path / "models").glob(".*"))  # no temporary file left behind
    assert any(message.value.endswith("digits-talk-demo.keras.") for message in app.success)
    app.button(key="digits_save").click().run()
    assert any("replacing the earlier model" in message.value for message in app.success)

    # Saving where no folder can be made reports the error and keeps the session's model.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the models folder should be")
    monkeypatch.setenv("LSTM_DEMO_USER_MODELS", str(blocker / "models"))
    app.button(key="digits_save").click().run()
    assert not app.exception
    assert any("nothing was overwritten" in error.value for error in app.error)
    monkeypatch.setenv("LSTM_DEMO_USER_MODELS", str(tmp_path / "models"))

    default = app.session_state["digits_config"]
    next(button for button in app.button if button.label == "Back to the pretrained model").click().run()
    assert not app.exception
    assert "digits" not in app.session_state["session_models"]
    assert app.selectbox(key="digits_config").value != "this session's model"

    app.selectbox(key="digits_saved_choice").set_value("digits-talk-demo").run()
    app.button(key="digits_load").click().run()
    assert not app.exception
    assert app.session_state["session_models"]["digits"].label == "saved model digits-talk-demo"
    assert app.selectbox(key="digits_config").value == "this session's model"
    assert default == "this session's model"


def test_pages_render_without_tensorflow():
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file({APP!r}, default_timeout=60)
        app.run()
        pixels = np.zeros((28, 28), np.float32); pixels[4:24, 13:15] = 1.0
        app.session_state["digits_loaded_pixels"] = pixels
        app.run()
        assert not app.exception
        assert len(app.get("plotly_chart")) > 0
        app.switch_page("app_pages/reviews.py"); app.run()
        assert not app.exception
        assert len(app.get("plotly_chart")) > 0
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras", "tflearn"))
        print("LOADED", loaded)
        sys.exit(1 if loaded else 0)
    """)
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]


def test_one_session_trains_other_predicts(data_dir):
    trainer = open_page()
    trainer.session_state["digits_loaded_pixels"] = one_stroke()
    trainer.run()
    trainer.slider(key="digits_epochs").set_value(3)
    trainer.select_slider(key="digits_limit").set_value(2000)
    next(button for button in trainer.button if button.label == "Retrain").click().run()
    job = trainer.session_state["digits_job"]
    try:
        viewer = open_page("app_pages/reviews.py")
        for review in ("a wonderful film", "dull and far too long", "not bad at all"):
            viewer.text_area(key="reviews_text").input(review).run()
            assert not viewer.exception
            assert big_prediction(viewer)[0] in ("negative", "positive")
        assert job.is_active, "training ended before the other session finished predicting"

        second = open_page()
        next(button for button in second.button if button.label == "Retrain").click().run()
        assert not second.exception
        assert any("Busy" in warning.value for warning in second.sidebar.warning)
        assert "digits" not in second.session_state["session_models"]
    finally:
        job.cancel()
        assert job.wait(120)
    trainer.run()
    assert job.state == "cancelled"
    assert "digits" not in trainer.session_state["session_models"]


def test_long_review_importance_off():
    app = open_page("app_pages/reviews.py")
    assert app.toggle(key="reviews_occlusion").value is True
    long_review = " ".join(["a good film with a weak ending"] * 30)  # 210 words, all read by the default model
    app.text_area(key="reviews_text").input(long_review).run()
    assert not app.exception
    assert app.toggle(key="reviews_occlusion_long").value is False
    assert "reviews_importance" not in [chart.key for chart in app.get("plotly_chart")]
    app.toggle(key="reviews_occlusion_long").set_value(True).run()
    assert not app.exception
    assert "reviews_importance" in [chart.key for chart in app.get("plotly_chart")]
