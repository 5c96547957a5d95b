"""The "Why LSTM" page through Streamlit's AppTest: charts from the cards, predictions, gradients, retraining."""

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from lstm_demo import artifacts, memory

APP = str(ROOT / "streamlit_app.py")
PAGE = "app_pages/why_lstm.py"


def open_why_lstm() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=300)
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert not app.exception
    return app


def chart_specs(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def values(array) -> list:
    """A data array of a Plotly JSON figure: a plain list, or NumPy data encoded as {"dtype", "bdata"}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]).newbyteorder("<")).tolist()
    return list(array)


def chart_titled(app: AppTest, title: str) -> dict:
    matches = [spec for spec in chart_specs(app) if spec["layout"]["title"]["text"] == title]
    assert len(matches) == 1, f"expected one chart titled {title!r}"
    return matches[0]


def test_page_renders_example():
    app = open_why_lstm()
    assert [metric.label for metric in app.metric] == ["SimpleRNN", "GRU", "LSTM"]
    assert all(metric.value in "0123456789" for metric in app.metric)
    gradient = chart_titled(app, "How much each input step can still move the answer")
    delay = app.select_slider(key="why_lstm_delay").value
    assert sorted(trace["name"] for trace in gradient["data"]) == ["GRU", "LSTM", "SimpleRNN"]
    assert all(len(values(trace["y"])) == 28 + delay for trace in gradient["data"])
    forget = chart_titled(app, "LSTM forget gate along the same steps")
    assert len(forget["data"]) == 2


def test_default_example_and_best_cell():
    app = open_why_lstm()
    examples = memory.load_examples()
    assert examples[app.selectbox(key="why_lstm_example").value]["label"] == 4
    rows = memory.accuracy_table()
    longest = max(row["delay"] for row in rows)
    best = max((row for row in rows if row["delay"] == longest), key=lambda row: row["test_accuracy"])
    sentences = [markdown.value for markdown in app.markdown if markdown.value.startswith(f"With {longest} noise rows")]
    assert len(sentences) == 1
    assert sentences[0].endswith(f"The best at this delay is the {memory.CELL_TITLES[best['cell']]}.")


def test_accuracy_chart_equals_cards():
    app = open_why_lstm()
    figure = chart_titled(app, "Test accuracy against delay")
    charted = {}
    for trace in figure["data"]:
        for delay, accuracy in zip(values(trace["x"]), values(trace["y"])):
            charted[(trace["name"], delay)] = accuracy
    expected = {}
    for path in artifacts.PRETRAINED_DIR.glob("memory-*-delay*.json"):
        card = json.loads(path.read_text())
        expected[(memory.CELL_TITLES[card["config"]["cell"]], card["config"]["delay"])] = card["test_accuracy"]
    assert len(expected) >= 9
    assert charted == expected


def test_delay_and_example_change():
    app = open_why_lstm()
    app.select_slider(key="why_lstm_delay").set_value(100).run()
    assert not app.exception
    app.selectbox(key="why_lstm_example").set_value(7).run()
    assert not app.exception
    gradient = chart_titled(app, "How much each input step can still move the answer")
    assert all(len(values(trace["y"])) == 128 for trace in gradient["data"])
    assert len(app.metric) == 3


def test_weights_before_training():
    app = open_why_lstm()
    trained = chart_titled(app, "How much each input step can still move the answer")
    app.radio(key="why_lstm_weights").set_value("before training").run()
    assert not app.exception
    initial = chart_titled(app, "How much each input step can still move the answer")
    assert [trace["name"] for trace in initial["data"]] == [trace["name"] for trace in trained["data"]]
    assert values(initial["data"][0]["y"]) != values(trained["data"][0]["y"])
    assert len(chart_titled(app, "LSTM forget gate along the same steps")["data"]) == 2
    assert [metric.label for metric in app.metric] == ["SimpleRNN", "GRU", "LSTM"]


def test_empty_canvas_hint():
    app = open_why_lstm()
    app.radio(key="why_lstm_source").set_value("Draw").run()
    assert not app.exception
    assert [info.value for info in app.info] == ["Draw a digit on the canvas."]
    assert len(app.get("plotly_chart")) == 1  # only the accuracy chart
    assert len(app.metric) == 0


def test_retrain_replaces_one_network(data_dir):
    app = open_why_lstm()
    app.select_slider(key="why_lstm_delay").set_value(0).run()
    app.selectbox(key="why_lstm_train_cell").set_value("simple_rnn")
    app.slider(key="why_lstm_epochs").set_value(1)
    app.select_slider(key="why_lstm_limit").set_value(500)
    next(button for button in app.button if button.label == "Retrain").click().run()
    assert not app.exception
    job = app.session_state["why_lstm_job"]
    assert job.wait(300)
    assert job.state == "done", job.error
    app.run()
    assert not app.exception
    assert [metric.label for metric in app.metric] == ["SimpleRNN (retrained here)", "GRU", "LSTM"]
    assert job.result.card["train_size"] == 450
    assert len(chart_titled(app, "How much each input step can still move the answer")["data"]) == 3

    next(button for button in app.button if button.label == "Back to the shipped models").click().run()
    assert not app.exception
    assert [metric.label for metric in app.metric] == ["SimpleRNN", "GRU", "LSTM"]


def test_memory_models_not_in_digits_selector():
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception
    options = app.selectbox(key="digits_config").options
    assert "seed (pretrained)" in options
    assert not any(option.startswith("memory-") for option in options)
