"""Digits page: draw a digit, see what the LSTM reads row by row and what it predicts."""

import numpy as np
import streamlit as st

from lstm_demo import figures, gallery, inspector, tasks
from app_pages import common

TASK = tasks.TASKS["digits"]
@st.cache_data
def load_gallery_entries() -> list[dict]:
    return gallery.load_gallery()["digits"]


def pick_example(entry: dict) -> None:
    st.session_state["digits_loaded_pixels"] = np.asarray(entry["pixels"], dtype=np.float32) / 255.0
    st.session_state["digits_example"] = entry["id"]


def clear_example() -> None:
    st.session_state.pop("digits_loaded_pixels", None)
    st.session_state.pop("digits_example", None)
    st.query_params.pop("example", None)


def example_from_url(entries: list[dict]) -> None:
    """Load the gallery example a bookmarked URL names, once per session, so that clearing it sticks."""
    if st.session_state.get("digits_url_example_read"):
        return
    st.session_state["digits_url_example_read"] = True
    wanted = st.query_params.get("example")
    if not wanted:
        return
    for entry in entries:
        if entry["id"] == wanted:
            pick_example(entry)
            return
    st.query_params.pop("example", None)
    st.warning(f"The URL names gallery example {wanted!r}, which does not exist. Pick one from the gallery.")


def drawing_changed(pixels: np.ndarray | None) -> bool:
    """Return whether the canvas shows another drawing than at the previous run."""
    fingerprint = None if pixels is None else hash(pixels.tobytes())
    changed = st.session_state.get("digits_canvas_fingerprint") != fingerprint
    st.session_state["digits_canvas_fingerprint"] = fingerprint
    return changed


def main() -> None:
    st.title("How an LSTM reads a digit")
    if not common.presenter_mode():
        st.caption("The network reads the 28x28 image one row per step, top to bottom, and answers after the last row.")
    common.restore_view_from_url(TASK)
    entries = load_gallery_entries()
    example_from_url(entries)
    model = common.model_selector_ui(TASK)
    common.gallery_ui(TASK, entries, pick_example)

    draw_column, input_column, result_column = st.columns([1.35, 1.1, 1])
    with draw_column:
        st.subheader("Draw a digit")
        pixels, hint = common.digit_from_canvas_ui("canvas")
    changed = drawing_changed(pixels)  # called on every run, so that it remembers the last drawing
    if pixels is not None and changed:
        clear_example()  # a new stroke replaces the example
    loaded = st.session_state.get("digits_loaded_pixels")
    if loaded is not None:
        # An example picked after the last stroke is shown, until the next stroke.
        pixels, hint = loaded, None
        with draw_column:
            example = st.session_state.get("digits_example")
            st.caption(f"Showing gallery example {example}; draw on the canvas to replace it." if example
                       else "Showing a loaded image; draw on the canvas to replace it.")
            if st.button("Clear the example", key="digits_clear_example"):
                clear_example()
                st.rerun()
    if model is None:
        common.training_sidebar_ui(TASK, None, None)
        return
    if pixels is None:
        with input_column:
            st.info(hint or "Draw a digit on the canvas.")
        common.training_sidebar_ui(TASK, model, None)
        return

    model_input = tasks.digit_input(pixels, model.config)
    trace = model.inspector.trace(model_input)
    predicted = trace.predicted
    with result_column:
        # The prediction goes out before any chart, because on a cold start the browser loads Plotly first.
        common.big_prediction(TASK.class_names[predicted], float(trace.probabilities[predicted]))
    step = common.step_slider_ui(TASK, trace.length)
    importance = None
    if not common.presenter_mode():
        importance = inspector.occlusion_rows(model.inspector, model_input)[: len(pixels)]
    with input_column:
        common.chart(figures.digit_image(pixels, step=step, importance=importance,
                                         large=common.presenter_mode()), key="digits_input")
        if importance is not None:
            st.caption("Bars: how much the predicted probability drops when that row is blanked (occlusion).")
    with result_column:
        common.chart(figures.probability_bar(TASK.class_names, trace.probabilities, large=common.presenter_mode()),
                     key="digits_probabilities")

    labels = figures.step_labels(TASK.step_name, None, trace.length)
    controls = common.view_controls_ui(TASK, model, trace)
    common.store_view_in_url(TASK, controls, step, model, example=st.session_state.get("digits_example"))
    common.internals_ui(TASK, model, trace, labels, step, controls, input_image=model_input)
    common.replay_ui(TASK, model, labels)
    row_values = [" ".join(f"{value:.2f}" for value in row) for row in model_input[: trace.length]]
    common.export_ui(TASK, trace, row_values, controls)

    if not common.presenter_mode():
        with st.expander("Compare with a second drawing"):
            st.caption("Draw digit B; the chart shows B's states minus A's at every row.")
            pixels_b, hint_b = common.digit_from_canvas_ui("canvas_b")
            if pixels_b is None:
                st.info(hint_b or "Draw a second digit.")
            else:
                trace_b = model.inspector.trace(tasks.digit_input(pixels_b, model.config))
                st.write(f"A: **{TASK.class_names[trace.predicted]}**, B: **{TASK.class_names[trace_b.predicted]}**")
                common.comparison_ui(TASK, trace, trace_b, labels, controls, step)
        common.network_code_ui(TASK, model)
    common.training_sidebar_ui(TASK, model, model_input)


main()
