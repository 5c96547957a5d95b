"""Plotly figures of predictions and network internals; pure functions of arrays, no UI.

Every figure has a title, axis labels and hover text naming the timestep, the
unit, the value and what was read at that step (an image row or a word).
Words reach these figures only as tokens of `lstm_demo.text.tokenize`, which
hold letters, digits and apostrophes; they are HTML-escaped all the same
because Plotly renders a subset of HTML in text.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_demo.inspector import QUANTITY_NAMES

HIGHLIGHT = "#ff4b4b"
DIVERGING = "RdBu_r"
FONT_SIZE = 13


def _layout(figure: go.Figure, title: str, height: int, large: bool = False) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        font={"size": FONT_SIZE + (6 if large else 0)},
        hoverlabel={"font_size": FONT_SIZE},
    )
    return figure


def step_labels(task_step_name: str, tokens: list[str] | None, timesteps: int) -> list[str]:
    """Hover text per timestep: "row 3" or "word 5: 'great'"."""
    if tokens is None:
        return [f"{task_step_name} {t + 1}" for t in range(timesteps)]
    labels = []
    for t in range(timesteps):
        word = tokens[t] if t < len(tokens) else "<pad>"
        labels.append(f"{task_step_name} {t + 1}: {html.escape(word)}")
    return labels


def probability_bar(class_names, probabilities: np.ndarray, title: str = "Class probabilities", large: bool = False) -> go.Figure:
    probabilities = np.asarray(probabilities, dtype=float)
    predicted = int(np.argmax(probabilities))
    colors = [HIGHLIGHT if index == predicted else "#8aa1c1" for index in range(len(class_names))]
    figure = go.Figure(
        go.Bar(
            x=list(class_names),
            y=probabilities,
            marker_color=colors,
            text=[f"{value:.0%}" for value in probabilities],
            textposition="outside",
            hovertemplate="class %{x}<br>probability %{y:.3f}<extra></extra>",
        )
    )
    figure.update_yaxes(title="probability", range=[0, 1.15])
    figure.update_xaxes(title="class", type="category")
    return _layout(figure, title, 320 if not large else 420, large)


def _highlight_step(figure: go.Figure, step: int | None, **position) -> None:
    if step is not None:
        figure.add_vline(x=step, line_color=HIGHLIGHT, line_width=2, **position)


def state_heatmap(
    values: np.ndarray,
    labels: list[str],
    title: str,
    unit_order: np.ndarray | None = None,
    step: int | None = None,
    quantity: str = "h",
    input_image: np.ndarray | None = None,
    large: bool = False,
) -> go.Figure:
    """Heatmap of one quantity: x = timestep (1-based), y = unit, values (timesteps, units).

    `input_image` (timesteps, features), when given, is drawn above with the
    same x axis, so the row read at each step lines up with the states.
    """
    values = np.asarray(values)
    timesteps, units = values.shape
    order = np.arange(units) if unit_order is None else np.asarray(unit_order)
    shown = values[:, order].T  # (shown units, timesteps)
    x = np.arange(1, timesteps + 1)
    custom = np.array([[label for label in labels[:timesteps]]] * len(order))
    gate = quantity in ("i", "f", "o", "z", "r")
    colorscale = "Viridis" if gate else DIVERGING
    zrange = {"zmin": 0.0, "zmax": 1.0} if gate else {"zmid": 0.0}
    heatmap = go.Heatmap(
        z=shown,
        x=x,
        y=[f"unit {unit}" for unit in order],
        customdata=custom,
        colorscale=colorscale,
        colorbar={"title": quantity},
        hovertemplate="%{customdata}<br>step %{x}, %{y}<br>value %{z:.3f}<extra></extra>",
        **zrange,
    )
    height = max(320, min(900, 14 * len(order) + 140))
    if input_image is None:
        figure = go.Figure(heatmap)
        figure.update_xaxes(title="timestep")
        figure.update_yaxes(title="unit", autorange="reversed", showticklabels=len(order) <= 40)
        _highlight_step(figure, step)
        return _layout(figure, title, height, large)

    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.25, 0.75], vertical_spacing=0.03)
    figure.add_trace(
        go.Heatmap(
            z=np.asarray(input_image).T,  # (features, timesteps): column t is the row read at step t
            x=x,
            colorscale="gray",
            showscale=False,
            customdata=np.array([labels[:timesteps]] * input_image.shape[1]),
            hovertemplate="%{customdata}<br>pixel %{y}: %{z:.2f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(heatmap, row=2, col=1)
    figure.update_yaxes(title="input row<br>(pixels)", showticklabels=False, row=1, col=1)
    figure.update_yaxes(title="unit", autorange="reversed", showticklabels=len(order) <= 40, row=2, col=1)
    figure.update_xaxes(title="timestep (image row read)", row=2, col=1)
    if step is not None:
        for row in (1, 2):
            figure.add_vline(x=step, line_color=HIGHLIGHT, line_width=2, row=row, col=1)
    return _layout(figure, title, height + 120, large)


def step_probability_lines(
    step_probabilities: np.ndarray,
    class_names,
    labels: list[str],
    step: int | None = None,
    title: str = "Prediction if the input stopped at each step",
    large: bool = False,
) -> go.Figure:
    """One line per class: the output layer applied to the last layer's h at each step."""
    step_probabilities = np.asarray(step_probabilities)
    x = np.arange(1, len(step_probabilities) + 1)
    figure = go.Figure()
    for index, name in enumerate(class_names):
        figure.add_trace(
            go.Scatter(
                x=x,
                y=step_probabilities[:, index],
                mode="lines",
                name=str(name),
                customdata=labels[: len(x)],
                hovertemplate=f"class {html.escape(str(name))}<br>%{{customdata}}<br>probability %{{y:.3f}}<extra></extra>",
            )
        )
    figure.update_xaxes(title="timestep")
    figure.update_yaxes(title="probability", range=[0, 1.02])
    _highlight_step(figure, step)
    return _layout(figure, title, 340, large)


def unit_trace(values: np.ndarray, unit: int, labels: list[str], quantity: str, step: int | None = None, comparison: np.ndarray | None = None) -> go.Figure:
    """Line of one unit's value over time, optionally beside the same unit for a second input."""
    x = np.arange(1, len(values) + 1)
    figure = go.Figure(
        go.Scatter(x=x, y=values[:, unit], mode="lines+markers", name="input A", customdata=labels[: len(x)],
                   hovertemplate="%{customdata}<br>value %{y:.3f}<extra></extra>")
    )
    if comparison is not None:
        x_b = np.arange(1, len(comparison) + 1)
        figure.add_trace(go.Scatter(x=x_b, y=comparison[:, unit], mode="lines+markers", name="input B",
                                    hovertemplate="step %{x}<br>value %{y:.3f}<extra></extra>"))
    figure.update_xaxes(title="timestep")
    figure.update_yaxes(title=f"{QUANTITY_NAMES.get(quantity, quantity)}")
    _highlight_step(figure, step)
    return _layout(figure, f"Unit {unit}: {QUANTITY_NAMES.get(quantity, quantity)} over time", 300)


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
        marked = f"<i>{word}?</i>" if oov is not None and oov[position] else word
        if step is not None and position + 1 == step:
            marked = f"<b>[{marked}]</b>"
        text_grid[line, column] = marked
        hover[line, column] = f"word {position + 1}: {word}" + (" (out of vocabulary)" if oov is not None and oov[position] else "")
    scale = {"colorscale": DIVERGING, "zmid": 0.0} if diverging else {"colorscale": "Oranges", "zmin": 0.0}
    figure = go.Figure(
        go.Heatmap(
            z=z,
            text=text_grid,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}<br>" + html.escape(value_name) + " %{z:.3f}<extra></extra>",
            colorbar={"title": value_name},
            xgap=2,
            ygap=2,
            **scale,
        )
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed")
    return _layout(figure, title, 80 + 34 * lines)


def digit_image(pixels: np.ndarray, step: int | None = None, importance: np.ndarray | None = None,
                title: str = "What the model sees (28x28)", large: bool = False) -> go.Figure:
    """The 28x28 model input, with the row read at `step` outlined and, optionally, row importance beside it."""
    pixels = np.asarray(pixels)
    rows = pixels.shape[0]
    labels = np.array([[f"row {r + 1}, column {c + 1}" for c in range(pixels.shape[1])] for r in range(rows)])
    columns = 2 if importance is not None else 1
    figure = make_subplots(rows=1, cols=columns, shared_yaxes=True, column_widths=[0.7, 0.3] if columns == 2 else [1.0],
                           horizontal_spacing=0.03)
    figure.add_trace(
        go.Heatmap(z=pixels, x=np.arange(1, pixels.shape[1] + 1), y=np.arange(1, rows + 1), colorscale="gray",
                   showscale=False, customdata=labels, hovertemplate="%{customdata}<br>ink %{z:.2f}<extra></extra>"),
        row=1, col=1,
    )
    if importance is not None:
        figure.add_trace(
            go.Bar(x=importance, y=np.arange(1, rows + 1), orientation="h", marker_color=HIGHLIGHT,
                   hovertemplate="row %{y}<br>probability drop when blanked %{x:.3f}<extra></extra>", name="importance"),
            row=1, col=2,
        )
        figure.update_xaxes(title="drop", row=1, col=2)
    if step is not None and step <= rows:
        figure.add_shape(type="rect", x0=0.5, x1=pixels.shape[1] + 0.5, y0=step - 0.5, y1=step + 0.5,
                         line={"color": HIGHLIGHT, "width": 2}, row=1, col=1)
    figure.update_yaxes(autorange="reversed", title="row (timestep)", row=1, col=1)
    figure.update_xaxes(title="column", row=1, col=1, constrain="domain")
    figure.update_yaxes(scaleanchor="x", scaleratio=1, row=1, col=1)
    figure.update_layout(showlegend=False)
    return _layout(figure, title, 360 if not large else 460, large)


def gates_at_step(layer: dict[str, np.ndarray], step: int, units: np.ndarray, gate_names: tuple[str, ...]) -> go.Figure:
    """Gate values of the chosen units at one step, one group of bars per gate."""
    figure = go.Figure()
    for name in gate_names:
        if name in layer:
            figure.add_trace(go.Bar(x=[f"u{unit}" for unit in units], y=layer[name][step - 1, units], name=QUANTITY_NAMES[name],
                                    hovertemplate=f"{QUANTITY_NAMES[name]}<br>%{{x}}: %{{y:.3f}}<extra></extra>"))
    figure.update_layout(barmode="group")
    figure.update_xaxes(title="unit")
    figure.update_yaxes(title="value")
    return _layout(figure, f"Gates at step {step}", 320)


def training_curves(batch_events, epoch_events, large: bool = False) -> go.Figure:
    """Loss and accuracy per batch (training) and per epoch (training and validation)."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    if batch_events:
        batches = max(1, batch_events[0].batches)
        x = [(event.epoch - 1) + event.batch / batches for event in batch_events]
        figure.add_trace(go.Scatter(x=x, y=[event.loss for event in batch_events], name="training loss (batch)", mode="lines",
                                    line={"width": 1, "color": "#8aa1c1"}), row=1, col=1)
        figure.add_trace(go.Scatter(x=x, y=[event.accuracy for event in batch_events], name="training accuracy (batch)", mode="lines",
                                    line={"width": 1, "color": "#8aa1c1"}), row=1, col=2)
    if epoch_events:
        x = [event.epoch for event in epoch_events]
        for key, name, color in (("loss", "training", "#1f77b4"), ("val_loss", "validation", HIGHLIGHT)):
            y = [getattr(event, key) for event in epoch_events]
            figure.add_trace(go.Scatter(x=x, y=y, name=f"{name} loss (epoch)", mode="lines+markers", line={"color": color}), row=1, col=1)
        for key, name, color in (("accuracy", "training", "#1f77b4"), ("val_accuracy", "validation", HIGHLIGHT)):
            y = [getattr(event, key) for event in epoch_events]
            figure.add_trace(go.Scatter(x=x, y=y, name=f"{name} accuracy (epoch)", mode="lines+markers", line={"color": color}), row=1, col=2)
    figure.update_xaxes(title="epoch")
    return _layout(figure, "Training curves", 320, large)


def accuracy_against_delay(rows: list[dict]) -> go.Figure:
    """Test accuracy per cell type against the number of blank steps after the image."""
    figure = go.Figure()
    for cell in sorted({row["cell"] for row in rows}):
        points = sorted((row["delay"], row["test_accuracy"]) for row in rows if row["cell"] == cell)
        figure.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers", name=cell,
                                    hovertemplate=f"{cell}<br>delay %{{x}} steps<br>test accuracy %{{y:.3f}}<extra></extra>"))
    figure.update_xaxes(title="blank steps after the image (delay)")
    figure.update_yaxes(title="test accuracy", range=[0, 1.02])
    return _layout(figure, "Test accuracy against delay", 360)


def gradient_through_time(norms: dict[str, np.ndarray], image_steps: int) -> go.Figure:
    """Size of the gradient of the predicted probability with respect to each step's input, log scale."""
    figure = go.Figure()
    for cell, values in norms.items():
        x = np.arange(1, len(values) + 1)
        figure.add_trace(go.Scatter(x=x, y=np.maximum(values, 1e-30), mode="lines", name=cell,
                                    hovertemplate=f"{cell}<br>step %{{x}}<br>|gradient| %{{y:.2e}}<extra></extra>"))
    figure.add_vrect(x0=0.5, x1=image_steps + 0.5, fillcolor="#cccccc", opacity=0.25, line_width=0,
                     annotation_text="image rows", annotation_position="top left")
    figure.update_xaxes(title="input step")
    figure.update_yaxes(title="|d p(predicted) / d input|", type="log", exponentformat="power")
    return _layout(figure, "How much each input step can still move the answer", 380)
