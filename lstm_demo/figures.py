"""Plotly figures of predictions and network internals; pure functions of arrays, no UI.

Every figure has a title, axis labels and hover text naming the timestep, the
unit, the value and what was read at that step (an image row or a word).
Words reach these figures only as tokens of `lstm_demo.text.tokenize`, which
contain letters, digits and apostrophes. They are HTML-escaped all the same
because Plotly renders a subset of HTML in text.

Figures are written as plain Plotly specifications and wrapped without
Plotly's per-property validation: validating a heatmap took about 200 ms
against 13 ms without (plotly 7.1, measured on the 2-core development
machine), which matters on every rerun. The tests build each figure again
with validation on, so a wrong property still fails there.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from lstm_demo.inspector import QUANTITY_NAMES

HIGHLIGHT = "#d33f49"
NEUTRAL = "#8aa1c1"
# Colour scales are passed as lists: without validation Plotly does not turn names into lists,
# and the browser side accepts only a few names (a "gray" heatmap was drawn in blue and red).
DIVERGING = get_colorscale("RdBu_r")
GRAY = get_colorscale("gray")
VIRIDIS = get_colorscale("Viridis")
ORANGES = get_colorscale("Oranges")
FONT_SIZE = 14
GATES = ("i", "f", "o", "z", "r")


# ---------------------------------------------------------------- building blocks


def _figure(traces: list[dict], layout: dict, title: str, height: int, large: bool = False) -> go.Figure:
    """Wrap a specification in a Figure, with the title, size and fonts every chart shares."""
    layout = {
        "title": {"text": title, "x": 0.0, "xanchor": "left"},
        "height": height + (100 if large else 0),
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "font": {"size": FONT_SIZE + (6 if large else 0)},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        **layout,
    }
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")):
            axis.setdefault("tickfont", {"color": "#31333f"})
    # NOTE: `_validate=False` is Plotly's own switch (used by plotly.express) and not public API.
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


def _axis(title: str, **options) -> dict:
    return {"title": {"text": title}, **options}


def _step_line(step: int | None, xref: str = "x", yref: str = "paper", y0: float = 0.0, y1: float = 1.0) -> list[dict]:
    if step is None:
        return []
    return [{"type": "line", "xref": xref, "yref": yref, "x0": step, "x1": step, "y0": y0, "y1": y1,
             "line": {"color": HIGHLIGHT, "width": 2}}]


def _shaded_image_rows(image_steps: int) -> tuple[list[dict], list[dict]]:
    shape = {"type": "rect", "xref": "x", "yref": "paper", "x0": 0.5, "x1": image_steps + 0.5, "y0": 0, "y1": 1,
             "fillcolor": "#cccccc", "opacity": 0.25, "line": {"width": 0}, "layer": "below"}
    note = {"text": "image rows", "xref": "x", "yref": "paper", "x": 1, "y": 1, "xanchor": "left",
            "yanchor": "bottom", "showarrow": False}
    return [shape], [note]


def _word_ticks(words: list[str] | None) -> dict:
    """Axis settings that name each step by its word, for reviews short enough to read them."""
    if not words or len(words) > 40:
        return {}
    return {"tickmode": "array", "tickvals": list(range(1, len(words) + 1)),
            "ticktext": [html.escape(word) for word in words], "tickangle": -45}


def step_labels(task_step_name: str, tokens: list[str] | None, timesteps: int) -> list[str]:
    """Hover text per timestep: "row 3" or "word 5: great"."""
    if tokens is None:
        return [f"{task_step_name} {t + 1}" for t in range(timesteps)]
    labels = []
    for t in range(timesteps):
        word = tokens[t] if t < len(tokens) else "<pad>"
        labels.append(f"{task_step_name} {t + 1}: {html.escape(word)}")
    return labels


# ---------------------------------------------------------------- predictions


def probability_bar(class_names, probabilities: np.ndarray, title: str = "Class probabilities", large: bool = False) -> go.Figure:
    probabilities = np.asarray(probabilities, dtype=float)
    predicted = int(np.argmax(probabilities))
    bar = {
        "type": "bar",
        "x": [str(name) for name in class_names],
        "y": probabilities.tolist(),
        "marker": {"color": [HIGHLIGHT if index == predicted else NEUTRAL for index in range(len(class_names))]},
        "text": [f"{value:.0%}" for value in probabilities],
        "textposition": "outside",
        "textfont": {"size": FONT_SIZE - 2},
        "cliponaxis": False,
        "hovertemplate": "class %{x}<br>probability %{y:.3f}<extra></extra>",
    }
    layout = {"xaxis": _axis("class", type="category"), "yaxis": _axis("probability", range=[0, 1.15])}
    return _figure([bar], layout, title, 320, large)


def step_probability_lines(
    step_probabilities: np.ndarray,
    class_names,
    labels: list[str],
    step: int | None = None,
    title: str = "Prediction if the input stopped at each step",
    large: bool = False,
    words: list[str] | None = None,
) -> go.Figure:
    """Plot one line per class: the output layer applied to the last layer's h at each step.

    `words`, for reviews, names the steps on the x axis when there are at most 40.
    """
    step_probabilities = np.asarray(step_probabilities)
    x = np.arange(1, len(step_probabilities) + 1)
    traces = []
    for index, name in enumerate(class_names):
        traces.append({
            "type": "scatter",
            "x": x,
            "y": step_probabilities[:, index],
            "mode": "lines",
            "name": str(name),
            "customdata": labels[: len(x)],
            "hovertemplate": f"class {html.escape(str(name))}<br>%{{customdata}}<br>probability %{{y:.3f}}<extra></extra>",
        })
    layout = {"xaxis": _axis("timestep", **_word_ticks(words)), "yaxis": _axis("probability", range=[0, 1.02]),
              "shapes": _step_line(step)}
    return _figure(traces, layout, title, 340, large)


# ---------------------------------------------------------------- internals


def state_heatmap(
    values: np.ndarray,
    labels: list[str],
    title: str,
    unit_order: np.ndarray | None = None,
    step: int | None = None,
    quantity: str = "h",
    input_image: np.ndarray | None = None,
    large: bool = False,
    words: list[str] | None = None,
) -> go.Figure:
    """Heatmap of one quantity: x = timestep (1-based), y = unit, values (timesteps, units).

    `input_image` (timesteps, features), when given, is drawn above with the
    same x axis, so the row read at each step lines up with the states.
    """
    values = np.asarray(values)
    timesteps, units = values.shape
    order = np.arange(units) if unit_order is None else np.asarray(unit_order)
    x = np.arange(1, timesteps + 1)
    gate = quantity in GATES
    heatmap = {
        "type": "heatmap",
        "z": values[:, order].T,  # (shown units, timesteps)
        "x": x,
        "y": [f"unit {unit}" for unit in order],
        "customdata": np.array([labels[:timesteps]] * len(order)),
        "colorscale": VIRIDIS if gate else DIVERGING,
        "colorbar": {"title": {"text": quantity}},
        "hovertemplate": "%{customdata}<br>step %{x}, %{y}<br>value %{z:.3f}<extra></extra>",
        **({"zmin": 0.0, "zmax": 1.0} if gate else {"zmid": 0.0}),
    }
    height = max(320, min(900, 14 * len(order) + 140))
    unit_axis = _axis("unit", autorange="reversed")
    if len(order) > 40:
        shown = [f"unit {unit}" for unit in order[::8]]
        unit_axis.update(tickmode="array", tickvals=shown, ticktext=shown)
    if input_image is None:
        layout = {"xaxis": _axis("timestep", **_word_ticks(words)), "yaxis": unit_axis, "shapes": _step_line(step)}
        return _figure([heatmap], layout, title, height, large)

    image = np.asarray(input_image)
    pixels = {
        "type": "heatmap",
        "z": image.T,  # (features, timesteps): column t is the row read at step t
        "x": x,
        "colorscale": GRAY,
        "showscale": False,
        "customdata": np.array([labels[:timesteps]] * image.shape[1]),
        "hovertemplate": "%{customdata}<br>pixel %{y}: %{z:.2f}<extra></extra>",
        "xaxis": "x",
        "yaxis": "y2",
    }
    heatmap.update(xaxis="x", yaxis="y")
    layout = {
        "xaxis": _axis("timestep (image row read)", anchor="y"),
        "yaxis": {**unit_axis, "domain": [0.0, 0.74]},
        "yaxis2": _axis("input row<br>(pixels)", domain=[0.77, 1.0], showticklabels=False, anchor="x"),
        "shapes": _step_line(step, yref="paper"),
    }
    return _figure([pixels, heatmap], layout, title, height + 120, large)


def unit_trace(values: np.ndarray, unit: int, labels: list[str], quantity: str, step: int | None = None,
               comparison: np.ndarray | None = None) -> go.Figure:
    """Line of one unit's value over time, optionally beside the same unit for a second input."""
    name = QUANTITY_NAMES.get(quantity, quantity)
    x = np.arange(1, len(values) + 1)
    traces = [{"type": "scatter", "x": x, "y": values[:, unit], "mode": "lines+markers", "name": "input A",
               "customdata": labels[: len(x)], "hovertemplate": "%{customdata}<br>value %{y:.3f}<extra></extra>"}]
    if comparison is not None:
        traces.append({"type": "scatter", "x": np.arange(1, len(comparison) + 1), "y": comparison[:, unit],
                       "mode": "lines+markers", "name": "input B",
                       "hovertemplate": "step %{x}<br>value %{y:.3f}<extra></extra>"})
    layout = {"xaxis": _axis("timestep"), "yaxis": _axis(name), "shapes": _step_line(step)}
    return _figure(traces, layout, f"Unit {unit}: {name} over time", 300)


def gates_at_step(layer: dict[str, np.ndarray], step: int, units: np.ndarray, gate_names: tuple[str, ...]) -> go.Figure:
    """Gate values of the chosen units at one step, one group of bars per gate."""
    traces = []
    for name in gate_names:
        if name in layer:
            traces.append({"type": "bar", "x": [f"u{unit}" for unit in units], "y": layer[name][step - 1, units],
                           "name": QUANTITY_NAMES[name],
                           "hovertemplate": f"{QUANTITY_NAMES[name]}<br>%{{x}}: %{{y:.3f}}<extra></extra>"})
    layout = {"barmode": "group", "xaxis": _axis("unit"), "yaxis": _axis("value")}
    return _figure(traces, layout, f"Gates at step {step}: the first {len(units)} units in the chosen order", 320)


def word_strip(tokens: list[str], values: np.ndarray, title: str, value_name: str, oov: np.ndarray | None = None,
               per_line: int = 12, diverging: bool = True, step: int | None = None) -> go.Figure:
    """Words in reading order, in a grid, each cell coloured by a value (a unit's state, an importance)."""
    count = len(tokens)
    lines = max(1, int(np.ceil(count / per_line)))
    z = np.full((lines, per_line), np.nan)
    text_grid = np.full((lines, per_line), "", dtype=object)
    hover = np.full((lines, per_line), "", dtype=object)
    for position, token in enumerate(tokens):
        line, column = divmod(position, per_line)
        z[line, column] = values[position]
        word = html.escape(token)
        is_oov = oov is not None and bool(oov[position])
        marked = f"<i>{word}?</i>" if is_oov else word
        if step is not None and position + 1 == step:
            marked = f"<b>[{marked}]</b>"
        text_grid[line, column] = marked
        hover[line, column] = f"word {position + 1}: {word}" + (" (out of vocabulary)" if is_oov else "")
    scale = {"colorscale": DIVERGING, "zmid": 0.0} if diverging else {"colorscale": ORANGES, "zmin": 0.0}
    strip = {
        "type": "heatmap",
        "z": z,
        "text": text_grid,
        "texttemplate": "%{text}",
        "customdata": hover,
        "hovertemplate": "%{customdata}<br>" + html.escape(value_name) + " %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": value_name, "side": "right"}, "thickness": 14, "len": 1.0, "lenmode": "fraction",
                     **_strip_ticks(values, diverging)},
        "textfont": {"size": 13},
        "xgap": 2,
        "ygap": 2,
        **scale,
    }
    layout = {"xaxis": {"visible": False}, "yaxis": {"visible": False, "autorange": "reversed"}}
    # At least two lines' height, so that the colour bar beside a single line stays readable.
    return _figure([strip], layout, title, 110 + 34 * max(lines, 2))


def _strip_ticks(values: np.ndarray, diverging: bool) -> dict:
    """Return colour bar ticks at the ends of the scale and at 0, because Plotly's own ticks overlapped on a short bar."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    if largest == 0.0:
        return {}
    ticks = [-largest, 0.0, largest] if diverging else [0.0, largest]
    return {"tickvals": ticks, "ticktext": [f"{tick:.2g}" for tick in ticks]}


def digit_image(pixels: np.ndarray, step: int | None = None, importance: np.ndarray | None = None,
                title: str = "What the model sees (28x28)", large: bool = False) -> go.Figure:
    """Show the 28x28 model input, with the row read at `step` outlined and, optionally, row importance beside it."""
    pixels = np.asarray(pixels)
    rows, columns = pixels.shape
    row_numbers = np.arange(1, rows + 1)
    labels = np.array([[f"row {r + 1}, column {c + 1}" for c in range(columns)] for r in range(rows)])
    image_width = 0.72 if importance is not None else 1.0
    traces = [{"type": "heatmap", "z": pixels, "x": np.arange(1, columns + 1), "y": row_numbers, "colorscale": GRAY,
               "showscale": False, "customdata": labels, "hovertemplate": "%{customdata}<br>ink %{z:.2f}<extra></extra>"}]
    layout = {
        "showlegend": False,
        "xaxis": _axis("column", domain=[0.0, image_width - 0.02], range=[0.5, columns + 0.5], constrain="domain"),
        "yaxis": _axis("row (timestep)", range=[rows + 0.5, 0.5], scaleanchor="x", scaleratio=1, constrain="domain"),
        "shapes": [],
    }
    if importance is not None:
        traces.append({"type": "bar", "x": np.asarray(importance), "y": row_numbers, "orientation": "h",
                       "marker": {"color": HIGHLIGHT}, "xaxis": "x2", "yaxis": "y",
                       "hovertemplate": "row %{y}<br>probability drop when blanked %{x:.3f}<extra></extra>"})
        # Two upright ticks with one decimal, so that small drops read as 0.3 % rather than as three "0%" ticks.
        layout["xaxis2"] = _axis("drop in p", domain=[image_width, 1.0], anchor="y", tickformat=".1~%", nticks=2,
                                 tickangle=0)
    if step is not None and step <= rows:
        layout["shapes"].append({"type": "rect", "xref": "x", "yref": "y", "x0": 0.5, "x1": columns + 0.5,
                                 "y0": step - 0.5, "y1": step + 0.5, "line": {"color": HIGHLIGHT, "width": 2}})
    return _figure(traces, layout, title, 360, large)


# ---------------------------------------------------------------- training


def training_curves(batch_events, epoch_events, large: bool = False, stacked: bool = False) -> go.Figure:
    """Loss and accuracy per batch (training) and per epoch (training and validation).

    Side by side, or with `stacked` loss above accuracy, for a narrow column such as the sidebar.
    """
    traces = []
    if batch_events:
        batches = max(1, batch_events[0].batches)
        x = [(event.epoch - 1) + event.batch / batches for event in batch_events]
        for key, axes in (("loss", ("x", "y")), ("accuracy", ("x2", "y2"))):
            traces.append({"type": "scatter", "x": x, "y": [getattr(event, key) for event in batch_events],
                           "name": f"training {key} (batch)", "mode": "lines", "line": {"width": 1, "color": NEUTRAL},
                           "xaxis": axes[0], "yaxis": axes[1]})
    if epoch_events:
        x = [event.epoch for event in epoch_events]
        for key, name, color, axes in (
            ("loss", "training loss", "#1f77b4", ("x", "y")),
            ("val_loss", "validation loss", HIGHLIGHT, ("x", "y")),
            ("accuracy", "training accuracy", "#1f77b4", ("x2", "y2")),
            ("val_accuracy", "validation accuracy", HIGHLIGHT, ("x2", "y2")),
        ):
            traces.append({"type": "scatter", "x": x, "y": [getattr(event, key) for event in epoch_events],
                           "name": f"{name} (epoch)", "mode": "lines+markers", "line": {"color": color},
                           "xaxis": axes[0], "yaxis": axes[1]})
    if stacked:
        layout = {
            "xaxis": _axis("epoch", anchor="y", matches="x2"),
            "yaxis": _axis("loss", domain=[0.6, 1.0]),
            "xaxis2": _axis("epoch", anchor="y2"),
            "yaxis2": _axis("accuracy", domain=[0.0, 0.4], anchor="x2"),
            "legend": {"orientation": "h", "y": -0.25},
        }
        return _figure(traces, layout, "Training curves", 560, large)
    layout = {
        "xaxis": _axis("epoch", domain=[0.0, 0.45]),
        "yaxis": _axis("loss"),
        "xaxis2": _axis("epoch", domain=[0.55, 1.0], anchor="y2"),
        "yaxis2": _axis("accuracy", anchor="x2"),
        "legend": {"orientation": "h", "y": -0.3},
    }
    return _figure(traces, layout, "Training curves", 360, large)


# ---------------------------------------------------------------- why LSTM


def accuracy_against_delay(rows: list[dict]) -> go.Figure:
    """Test accuracy per cell type against the number of filler steps after the image."""
    traces = []
    for cell in sorted({row["cell"] for row in rows}):
        points = sorted((row["delay"], row["test_accuracy"]) for row in rows if row["cell"] == cell)
        traces.append({"type": "scatter", "x": [point[0] for point in points], "y": [point[1] for point in points],
                       "mode": "lines+markers", "name": cell,
                       "hovertemplate": f"{cell}<br>delay %{{x}} steps<br>test accuracy %{{y:.3f}}<extra></extra>"})
    layout = {"xaxis": _axis("noise rows after the image (delay)"), "yaxis": _axis("test accuracy", range=[0, 1.02])}
    return _figure(traces, layout, "Test accuracy against delay", 360)


def gradient_through_time(norms: dict[str, np.ndarray], image_steps: int) -> go.Figure:
    """Size of the gradient of the predicted probability with respect to each step's input, log scale."""
    traces = []
    for cell, values in norms.items():
        traces.append({"type": "scatter", "x": np.arange(1, len(values) + 1), "y": np.maximum(values, 1e-30),
                       "mode": "lines", "name": cell,
                       "hovertemplate": f"{cell}<br>step %{{x}}<br>|gradient| %{{y:.2e}}<extra></extra>"})
    shapes, notes = _shaded_image_rows(image_steps)
    layout = {
        "xaxis": _axis("input step"),
        "yaxis": _axis("|d p(predicted) / d input|", type="log", exponentformat="power"),
        "shapes": shapes,
        "annotations": notes,
    }
    return _figure(traces, layout, "How much each input step can still move the answer", 380)


def forget_gate_through_time(means: np.ndarray, layer_names: list[str], image_steps: int) -> go.Figure:
    """Mean forget gate of each LSTM layer at each step, means (layers, timesteps), on a 0-1 scale."""
    means = np.asarray(means)
    x = np.arange(1, means.shape[1] + 1)
    traces = []
    for name, values in zip(layer_names, means):
        label = html.escape(name)
        traces.append({"type": "scatter", "x": x, "y": values, "mode": "lines", "name": label,
                       "hovertemplate": f"{label}<br>step %{{x}}<br>mean f %{{y:.3f}}<extra></extra>"})
    shapes, notes = _shaded_image_rows(image_steps)
    layout = {
        "xaxis": _axis("input step"),
        "yaxis": _axis("mean forget gate f over units", range=[0, 1.02]),
        "shapes": shapes,
        "annotations": notes,
    }
    return _figure(traces, layout, "LSTM forget gate along the same steps", 340)
