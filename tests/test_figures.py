"""Figures: every builder gives a valid Plotly figure with a title, axis labels and hover text."""

import numpy as np
import plotly.graph_objects as go
import pytest

from lstm_demo import figures
from lstm_demo.train import TrainingProgress

RNG = np.random.default_rng(0)
LABELS = figures.step_labels("word", ["good", "<b>bold</b>"], 3)


def built_figures():
    batch = [TrainingProgress("batch", 1, 2, b, 4, 1.0, loss=1.0 / b, accuracy=0.1 * b) for b in range(1, 5)]
    epoch = [TrainingProgress("epoch", 1, 2, 4, 4, 1.0, loss=0.5, accuracy=0.8, val_loss=0.6, val_accuracy=0.7)]
    return {
        "bar": figures.probability_bar(("negative", "positive"), np.array([0.3, 0.7])),
        "lines": figures.step_probability_lines(RNG.random((3, 2)), ("negative", "positive"), LABELS, step=2),
        "heatmap": figures.state_heatmap(RNG.normal(size=(3, 8)), LABELS, "h", np.arange(4), 2, "h"),
        "heatmap_gate": figures.state_heatmap(RNG.random((3, 8)), LABELS, "f", None, 1, "f"),
        "heatmap_input": figures.state_heatmap(RNG.normal(size=(28, 8)), figures.step_labels("row", None, 28), "h",
                                               None, 5, "h", input_image=RNG.random((28, 28))),
        "unit": figures.unit_trace(RNG.normal(size=(3, 8)), 2, LABELS, "c", 1, comparison=RNG.normal(size=(2, 8))),
        "gates": figures.gates_at_step({"i": RNG.random((3, 8)), "f": RNG.random((3, 8))}, 2, np.arange(3), ("i", "f")),
        "words": figures.word_strip(["good", "bad", "zzq"], np.array([0.1, -0.2, 0.0]), "words", "h",
                                    oov=np.array([False, False, True]), step=2),
        "digit": figures.digit_image(RNG.random((28, 28)), step=3, importance=RNG.random(28)),
        "curves": figures.training_curves(batch, epoch),
        "curves_stacked": figures.training_curves(batch, epoch, stacked=True),
        "delay": figures.accuracy_against_delay([{"cell": "lstm", "delay": 0, "test_accuracy": 0.9}]),
        "gradient": figures.gradient_through_time({"lstm": RNG.random(30)}, 28),
        "forget": figures.forget_gate_through_time(RNG.random((2, 30)), ["rnn_1", "rnn_2"], 28),
    }


@pytest.mark.parametrize("name", list(built_figures()))
def test_figure_valid_and_labelled(name):
    figure = built_figures()[name]
    specification = figure.to_dict()
    go.Figure(specification)  # Plotly validates every property here and raises on a wrong one
    assert specification["layout"]["title"]["text"]
    assert specification["data"]
    for trace in specification["data"]:
        assert "hovertemplate" in trace or trace["type"] == "heatmap" and "text" in trace or name.startswith("curves")
    for axis, settings in specification["layout"].items():
        if axis.startswith(("xaxis", "yaxis")) and settings.get("visible", True):
            assert settings.get("title", {}).get("text"), f"{name}: {axis} has no title"


def test_colour_scales_are_lists():
    # Figures skip validation, which is where Plotly would turn a scale name into a list.
    for name, figure in built_figures().items():
        for trace in figure.to_dict()["data"]:
            assert not isinstance(trace.get("colorscale"), str), name


def test_words_name_short_review_steps():
    figure = figures.step_probability_lines(RNG.random((3, 2)), ("n", "p"), LABELS, words=["not", "<b>", "good"])
    assert figure.to_dict()["layout"]["xaxis"]["ticktext"] == ["not", "&lt;b&gt;", "good"]


def test_word_markup_escaped():
    labels = figures.step_labels("word", ["<script>"], 1)
    assert labels == ["word 1: &lt;script&gt;"]
    strip = figures.word_strip(["<img src=x>"], np.array([0.5]), "t", "h").to_dict()
    assert "<img" not in str(strip["data"][0]["text"])


def test_word_strip_scale_ends_labelled():
    colorbar = figures.word_strip(["good", "bad"], np.array([0.03, -0.041]), "t", "h").to_dict()["data"][0]["colorbar"]
    assert list(colorbar["tickvals"]) == [-0.041, 0.0, 0.041]
    assert list(colorbar["ticktext"]) == ["-0.041", "0", "0.041"]
    importance = figures.word_strip(["good"], np.array([0.5]), "t", "drop", diverging=False).to_dict()
    assert list(importance["data"][0]["colorbar"]["tickvals"]) == [0.0, 0.5]


def test_stacked_curves_loss_above():
    layout = built_figures()["curves_stacked"].to_dict()["layout"]
    assert layout["yaxis"]["domain"][0] > layout["yaxis2"]["domain"][1]  # loss above accuracy
    assert layout["xaxis"]["matches"] == "x2"


def test_predicted_class_highlighted():
    bar = figures.probability_bar(tuple("0123456789"), np.eye(10)[7]).to_dict()
    colors = bar["data"][0]["marker"]["color"]
    assert colors[7] == figures.HIGHLIGHT
    assert colors.count(figures.HIGHLIGHT) == 1
