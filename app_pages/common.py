"""UI shared by the pages: cached models, the model selector, the sidebar retraining, the inspector views.

Functions named `*_ui` draw widgets and return what the user chose. Models are
loaded once per process with `st.cache_resource`; a session's retrained or
saved model lives in its own `st.session_state` and never changes the cached one.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from lstm_demo import artifacts, export, figures, inspector, memory, tasks, text
from lstm_demo.jobs import BusyError, TrainingJob
from lstm_demo.preprocess import canvas_to_digit

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
CANVAS_SIZE = 280  # 10x the MNIST image, so the 20-pixel box is about 200 canvas pixels
BRUSH_WIDTH = 18  # about 2 MNIST pixels after scaling, like MNIST's pen strokes
SESSION_MODEL = "this session's model"
SORT_CHOICES = {
    "unit number": None,
    "most active (mean |value|)": "active",
    "most variable (std over steps)": "variable",
    "most changed by this input (total change)": "changed",
}
GATE_CHART_UNITS = 12  # grouped bars stay readable for about this many units
PREDICTION_KEY = "big_prediction"  # its container gets the CSS class st-key-big_prediction
PREDICTION_STYLE = (
    "<style>"
    f"div[class*='st-key-{PREDICTION_KEY}'] h1 {{font-weight: 700; line-height: 1.1; white-space: nowrap;}}"
    f"div.st-key-{PREDICTION_KEY} h1 {{font-size: 4rem;}}"
    f"div.st-key-{PREDICTION_KEY}_presenter h1 {{font-size: 5.5rem;}}"
    "</style>"
)


# ---------------------------------------------------------------- models


@st.cache_resource(show_spinner="Loading the pretrained model...")
def load_pretrained_cached(task: str, config_name: str) -> tasks.LoadedModel:
    """Load a pretrained model once per server process (read-only, shared by all sessions)."""
    return tasks.load_pretrained(task, config_name)


def _session_models() -> dict:
    return st.session_state.setdefault("session_models", {})


def presenter_mode() -> bool:
    return bool(st.session_state.get("presenter", False))


def chart(figure, key: str | None = None) -> None:
    st.plotly_chart(figure, width="stretch", config=PLOTLY_CONFIG, key=key)


def model_selector_ui(task: tasks.Task) -> tasks.LoadedModel | None:
    """Pick the configuration (or this session's own model) and return it, or None with an error shown.

    In presenter mode the selector moves to the sidebar, out of the projected view.
    """
    with st.sidebar if presenter_mode() else st.container():
        return _model_selector(task)


def _model_selector(task: tasks.Task) -> tasks.LoadedModel | None:
    override = _session_models().get(task.name)
    names = list(task.configs)
    default = names.index(task.default_config)
    options = names + ([SESSION_MODEL] if override else [])
    key = f"{task.name}_config"
    if st.session_state.pop(f"{task.name}_select_session_model", False):
        st.session_state[key] = SESSION_MODEL
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    if key not in st.session_state:
        st.session_state[key] = options[-1] if override else names[default]
    choice = st.selectbox(
        "Model",
        options,
        key=key,
        format_func=lambda name: name if name == SESSION_MODEL else f"{name} (pretrained)",
        help="; ".join(f"{name}: {config.description}" for name, config in task.configs.items()),
    )
    if choice == SESSION_MODEL:
        st.caption(f"Using {override.label}.")
        return override
    try:
        return load_pretrained_cached(task.name, choice)
    except artifacts.ModelFileError as error:
        st.error(f"The {task.title.lower()} model '{choice}' cannot be loaded: {error}")
        return None


# ---------------------------------------------------------------- drawing


def digit_from_canvas_ui(key: str) -> tuple[np.ndarray | None, str | None]:
    """Draw the canvas (undo and clear are in its toolbar) and return its (28, 28) digit, or None and a hint."""
    # Imported here because streamlit-drawable-canvas 0.13 fails to import outside `streamlit run`,
    # and this module is also imported by tests that only check what the app loads.
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(
        stroke_width=BRUSH_WIDTH,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    prepared = canvas_to_digit(result.image_data)
    if prepared.is_empty:
        return None, prepared.message
    if prepared.message:
        st.warning(prepared.message)
    return prepared.pixels, None


# ---------------------------------------------------------------- training in the sidebar


def _job_key(task: tasks.Task) -> str:
    return f"{task.name}_job"


def training_sidebar_ui(task: tasks.Task, model: tasks.LoadedModel | None, watch_input: np.ndarray | None) -> None:
    """Epoch slider, options, Retrain, progress, and switching back to the pretrained model."""
    if presenter_mode():
        return
    sidebar = st.sidebar
    sidebar.header(f"Retrain the {task.title.lower()} model")
    job: TrainingJob | None = st.session_state.get(_job_key(task))
    running = job is not None and job.is_active
    with sidebar.form(f"{task.name}_train_form", border=False):
        epochs = st.slider("Epochs", 1, 20, 1, key=f"{task.name}_epochs", disabled=running)
        default_limit = 5000 if task.name == "digits" else 2000
        limit = st.select_slider(
            "Training-set size", options=[500, 1000, 2000, 5000, 10000, 20000, 60000 if task.name == "digits" else 25000],
            value=default_limit, key=f"{task.name}_limit", disabled=running,
            help="Samples used for training (10 % of them held out for validation).",
        )
        names = list(task.configs)
        current = names.index(model.config.name) if model is not None and model.config.name in names else 0
        config_name = st.selectbox("Configuration", names, index=current, key=f"{task.name}_train_config",
                                   disabled=running)
        learning_rate = st.select_slider(
            "Learning rate", options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2], value=1e-3, key=f"{task.name}_lr", disabled=running
        )
        seed = st.number_input("Random seed", 0, 2**31 - 1, 1234, key=f"{task.name}_seed", disabled=running)
        start = st.radio("Start from", ["random weights", "pretrained weights"], key=f"{task.name}_start",
                         horizontal=True, disabled=running)
        submitted = st.form_submit_button("Retrain", type="primary", disabled=running)
    if submitted:
        _start_job(task, config_name, epochs, limit, learning_rate, int(seed), start == "pretrained weights", watch_input)
    _progress_fragment(task)
    if _session_models().get(task.name) is not None:
        if sidebar.button("Back to the pretrained model", key=f"{task.name}_back"):
            _session_models().pop(task.name, None)
            job = st.session_state.get(_job_key(task))
            if job is not None and not job.is_active:
                st.session_state.pop(_job_key(task), None)  # its summary and curves describe the dropped model
            st.rerun()
    _saved_models_ui(task)


def _start_job(task, config_name, epochs, limit, learning_rate, seed, from_pretrained, watch_input) -> None:
    try:
        pretrained = load_pretrained_cached(task.name, config_name)
    except artifacts.ModelFileError as error:
        if from_pretrained:
            st.sidebar.error(f"Cannot start from the pretrained weights: {error}")
            return
        pretrained = None  # from random weights; reviews then build their vocabulary from the data
    config = task.configs[config_name].with_changes(learning_rate=learning_rate, seed=seed)
    initial_weights = None
    if from_pretrained:
        from lstm_demo import models  # imports TensorFlow: only when training

        initial_weights = models.load_model(pretrained.keras_file).get_weights()
    if watch_input is not None and np.shape(watch_input)[0] != config.sequence_length:
        watch_input = None  # the watched input was prepared for another configuration
    vocabulary = pretrained.vocabulary if pretrained else None
    job = TrainingJob(config, epochs, limit=limit, vocabulary=vocabulary, initial_weights=initial_weights,
                      watch_input=watch_input)
    try:
        job.start()
    except BusyError as error:
        st.sidebar.warning(f"Busy: {error}.")
        return
    st.session_state[_job_key(task)] = job


def _progress_fragment(task: tasks.Task) -> None:
    job: TrainingJob | None = st.session_state.get(_job_key(task))
    if job is None:
        return
    interval = 1.0 if job.is_active else None

    @st.fragment(run_every=interval)
    def progress_view():
        current: TrainingJob = st.session_state.get(_job_key(task))
        if current is None:
            return
        elapsed = time.perf_counter() - current.started_at
        latest = current.latest
        if current.is_active:
            if current.state == "preparing":
                status = "Preparing the data..."
            elif latest is not None and latest.fraction >= 1.0:
                status = "Evaluating on the test set..."
            else:
                status = f"Epoch {latest.epoch if latest else 1}/{current.epochs}"
            if latest and latest.loss is not None:
                status += f", training loss {latest.loss:.3f}, accuracy {latest.accuracy:.1%}"
            # The first batches include graph tracing, so the estimate settles after a few seconds.
            remaining = latest.remaining_s if latest and latest.elapsed_s > 3 and latest.fraction < 1.0 else None
            status += f" | {elapsed:.0f} s elapsed" + (f", about {remaining:.0f} s left" if remaining is not None else "")
            st.progress(current.fraction, text=status)
            if st.button("Cancel training", key=f"{task.name}_cancel"):
                current.cancel()
        elif current.state == "done" and not st.session_state.get(f"{task.name}_job_swapped"):
            _swap_in(task, current)
            st.session_state[f"{task.name}_job_swapped"] = True
            st.rerun()
        elif current.state == "done":
            card = current.result.card
            accuracy = card.get("test_accuracy")
            st.success(
                f"Retrained {card['epochs']} epoch{'s' if card['epochs'] != 1 else ''} on {card['train_size']} samples "
                f"in {card['training_seconds']:.0f} s"
                + (f"; test accuracy {accuracy:.1%} on {card['test_size']} test samples." if accuracy is not None else ".")
            )
        elif current.state == "cancelled":
            st.info("Training cancelled; the previous model is still in use.")
        elif current.state == "failed":
            st.error(f"Training failed: {current.error}")
        if current.batch_events or current.epoch_events:
            # Stacked, because side by side the two charts were too cramped in the sidebar.
            curves = figures.training_curves(current.batch_events, current.epoch_events, stacked=True)
            st.plotly_chart(curves, width="stretch", config=PLOTLY_CONFIG, key=f"{task.name}_curves")
        if current.state != "done" and not current.is_active and st.button("Dismiss", key=f"{task.name}_dismiss"):
            st.session_state.pop(_job_key(task), None)
            st.rerun()
        if interval and not current.is_active:
            st.rerun()  # stop polling: rerun the page once the job has ended

    with st.sidebar:
        progress_view()


def _swap_in(task: tasks.Task, job: TrainingJob) -> None:
    result = job.result
    epochs = result.card["epochs"]
    label = f"retrained {result.config.name} ({epochs} epoch{'s' if epochs != 1 else ''}, {result.card['train_size']} samples)"
    loaded = tasks.from_keras_model(result.model, result.config, result.card, label, vocabulary=result.vocabulary)
    loaded.training_result = result
    loaded.replay = list(job.replay)
    _session_models()[task.name] = loaded
    st.session_state[f"{task.name}_select_session_model"] = True


def _saved_models_ui(task: tasks.Task) -> None:
    """Save this session's model under a name, or load one saved earlier."""
    sidebar = st.sidebar
    current = _session_models().get(task.name)
    with sidebar.expander("Saved models"):
        if current is not None and getattr(current, "training_result", None) is not None:
            name = st.text_input("Name", key=f"{task.name}_save_name", max_chars=64, placeholder="my-model")
            if st.button("Save this session's model", key=f"{task.name}_save"):
                _save(task, current, name)
        saved = artifacts.list_saved_models(task.name)
        if not saved:
            st.caption(f"No saved {task.name} models in {artifacts.user_models_dir()}.")
            return
        labels = {files.stem: files for files in saved}
        choice = st.selectbox("Load a saved model", list(labels), key=f"{task.name}_saved_choice")
        if st.button("Load", key=f"{task.name}_load"):
            try:
                _session_models()[task.name] = tasks.load_files(labels[choice], label=f"saved model {choice}")
                st.session_state[f"{task.name}_select_session_model"] = True
                st.rerun()
            except artifacts.ModelFileError as error:
                st.error(str(error))


def _save(task: tasks.Task, current: tasks.LoadedModel, name: str) -> None:
    from lstm_demo.train import save_result

    try:
        artifacts.check_model_name(name)
    except ValueError as error:
        st.error(str(error))
        return
    files = artifacts.ModelFiles(artifacts.user_models_dir(), f"{task.name}-{name}")
    replaced = files.model.exists()
    try:
        save_result(current.training_result, files)
    except OSError as error:
        st.error(f"Saving to {files.folder} failed ({error.strerror or error}); nothing was overwritten.")
        return
    st.success(f"Saved as {files.model}" + (", replacing the earlier model of that name." if replaced else "."))


# ---------------------------------------------------------------- inspector views


def unit_order(values: np.ndarray, sort: str | None, count: int) -> np.ndarray:
    """Units to show, (count,) indices, ranked by the chosen criterion over (timesteps, units) values."""
    if sort == "active":
        score = np.abs(values).mean(axis=0)
    elif sort == "variable":
        score = values.std(axis=0)
    elif sort == "changed":
        score = np.abs(np.diff(values, axis=0)).sum(axis=0) + np.abs(values[0])
    else:
        return np.arange(min(count, values.shape[1]))
    return np.argsort(-score, kind="stable")[:count]


def view_controls_ui(task: tasks.Task, model: tasks.LoadedModel, trace: inspector.Trace) -> dict:
    """Layer, quantity, unit sorting and count; stored in the URL by the page."""
    quantities = model.inspector.quantities
    for key, options in ((f"{task.name}_quantity", quantities), (f"{task.name}_layer", range(len(trace.layers)))):
        if key in st.session_state and st.session_state[key] not in options:
            del st.session_state[key]  # a value from the URL or another model that this model lacks
    cell_title = memory.CELL_TITLES[model.inspector.cell]
    columns = st.columns(4)
    layer = columns[0].selectbox("Layer", range(len(trace.layers)), key=f"{task.name}_layer",
                                 format_func=lambda index: f"{index + 1}: {trace.layer_names[index]} ({cell_title})")
    quantity = columns[1].selectbox("Quantity", quantities, key=f"{task.name}_quantity",
                                    format_func=lambda name: inspector.QUANTITY_NAMES[name])
    sort_label = columns[2].selectbox("Sort units by", list(SORT_CHOICES), key=f"{task.name}_sort")
    units = trace.layers[layer]["h"].shape[1]
    count = columns[3].slider("Units shown", 8, units, min(units, 64), step=8, key=f"{task.name}_count")
    return {"layer": layer, "quantity": quantity, "sort": SORT_CHOICES[sort_label], "count": count}


def step_slider_ui(task: tasks.Task, length: int) -> int:
    """Draw the slider of the step to highlight. A new input of another length starts at its last step."""
    key = f"{task.name}_step"
    from_url = st.session_state.pop(f"{key}_from_url", False)  # a bookmarked step is kept once
    if length <= 1:
        return 1
    length_key = f"{key}_length"
    new_length = st.session_state.get(length_key) != length
    st.session_state[length_key] = length
    current = st.session_state.get(key)
    # Streamlit treats a slider with another range as a new widget, which would start at its minimum.
    if current is None or not 1 <= current <= length or (new_length and not from_url):
        st.session_state[key] = length
    return st.slider(f"Step (highlights the {task.step_name} being read everywhere)", 1, length, key=key)


def internals_ui(
    task: tasks.Task,
    model: tasks.LoadedModel,
    trace: inspector.Trace,
    labels: list[str],
    step: int,
    controls: dict,
    input_image: np.ndarray | None = None,
    tokens: list[str] | None = None,
    oov: np.ndarray | None = None,
) -> None:
    """Heatmap of the chosen quantity, per-step probabilities, gates at the step, one unit's trace."""
    length = trace.length
    layer = trace.layers[controls["layer"]]
    values = layer[controls["quantity"]][:length]  # (steps read, units)
    order = unit_order(values, controls["sort"], controls["count"])
    title = (f"{inspector.QUANTITY_NAMES[controls['quantity']]} of layer {controls['layer'] + 1}, "
             f"{len(order)} of {values.shape[1]} units")
    image = None if input_image is None else input_image[:length]
    words = None if tokens is None else tokens[:length]
    chart(figures.state_heatmap(values, labels, title, order, step, controls["quantity"], image, large=presenter_mode(),
                                words=words), key=f"{task.name}_heatmap")
    chart(figures.step_probability_lines(trace.step_probabilities[:length], task.class_names, labels, step,
                                         large=presenter_mode(), words=words), key=f"{task.name}_steps")
    if presenter_mode():
        return

    left, right = st.columns(2)
    with left:
        gate_names = tuple(name for name in model.inspector.quantities if name not in ("h", "c"))
        if gate_names:
            # The first of the units the heatmap shows, in its order.
            chart(figures.gates_at_step(layer, step, order[:GATE_CHART_UNITS], gate_names), key=f"{task.name}_gates")
        chart(figures.probability_bar(task.class_names, trace.step_probabilities[step - 1],
                                      title=f"Probabilities after step {step}"), key=f"{task.name}_step_bar")
    with right:
        unit = st.selectbox("Unit", order, key=f"{task.name}_unit", format_func=lambda unit: f"unit {unit}")
        chart(figures.unit_trace(values, int(unit), labels, controls["quantity"], step), key=f"{task.name}_unit_trace")
    if tokens is not None:
        chart(figures.word_strip(tokens[:length], values[:, int(unit)], f"Words coloured by unit {unit}",
                                 controls["quantity"], oov=oov, step=step), key=f"{task.name}_unit_words")


def comparison_ui(task: tasks.Task, trace_a: inspector.Trace, trace_b: inspector.Trace, labels_a: list[str],
                  controls: dict, step: int) -> None:
    """Difference of the chosen quantity between two inputs, step by step (B minus A)."""
    layer, quantity = controls["layer"], controls["quantity"]
    values_a = trace_a.layers[layer][quantity][: trace_a.length]
    values_b = trace_b.layers[layer][quantity][: trace_b.length]
    steps = min(len(values_a), len(values_b))
    if steps == 0:
        st.info("Both inputs need at least one step to compare.")
        return
    difference = values_b[:steps] - values_a[:steps]
    order = unit_order(difference, "active", controls["count"])
    chart(figures.state_heatmap(difference, labels_a, f"B minus A: {inspector.QUANTITY_NAMES[quantity]}, layer {layer + 1}"
                                + (f" (first {steps} steps)" if len(values_a) != len(values_b) else ""),
                                order, min(step, steps), quantity=quantity), key=f"{task.name}_difference")
    unit = int(order[0])
    chart(figures.unit_trace(values_a, unit, labels_a, quantity, step, comparison=values_b), key=f"{task.name}_compare_unit")


def replay_ui(task: tasks.Task, model: tasks.LoadedModel, labels: list[str]) -> None:
    """Replay how the watched input's per-step prediction and states changed over the epochs."""
    if not model.replay:
        return
    with st.expander("Training replay: how the network learned to read this input", expanded=not presenter_mode()):
        epochs = [snapshot.epoch for snapshot in model.replay]
        epoch = st.select_slider("Epoch (0 = before training)", options=epochs, value=epochs[-1], key=f"{task.name}_replay_epoch")
        snapshot = model.replay[epochs.index(epoch)]
        length = snapshot.length
        left, right = st.columns(2)
        with left:
            chart(figures.step_probability_lines(snapshot.step_probabilities[:length], task.class_names, labels,
                                                 title=f"Per-step prediction after epoch {epoch}"), key=f"{task.name}_replay_steps")
        with right:
            chart(figures.state_heatmap(snapshot.hidden[:length], labels, f"Last layer h after epoch {epoch}",
                                        unit_order(snapshot.hidden[:length], "active", 48)), key=f"{task.name}_replay_heatmap")
        st.caption("The input recorded is the one shown when training started.")


def big_prediction(label: str, probability: float) -> None:
    """Show the predicted class in large type, and its probability.

    Plain Markdown sized by `PREDICTION_STYLE`, which the app adds once per
    run. HTML in the Markdown makes the browser load one more script before
    it shows the element. On a cold start that script came after Plotly's,
    so the prediction showed about 1 s later.
    """
    key = f"{PREDICTION_KEY}_presenter" if presenter_mode() else PREDICTION_KEY
    with st.container(key=key):
        # Class names come from the task registry, never from user text.
        st.markdown(f"# {label}\n\nprobability {probability:.1%}", anchors=False)


def network_code_ui(task: tasks.Task, model: tasks.LoadedModel) -> None:
    """Show the tutorial's TFLearn network beside the Keras code of the model shown."""
    try:
        from lstm_demo import tutorial_code
    except ImportError:
        return
    with st.expander("Network code: the TFLearn tutorial and this Keras model"):
        left, right = st.columns(2)
        with left:
            st.caption("TFLearn tutorial")
            st.code(tutorial_code.tflearn_network_code(task.name), language="python")
        with right:
            st.caption(f"Keras 3: {model.config.name}")
            st.code(tutorial_code.keras_network_code(model.config), language="python")


# ---------------------------------------------------------------- shareable views


def restore_view_from_url(task: tasks.Task) -> None:
    """On a session's first visit to the page, copy the view in the URL into the widgets' state."""
    flag = f"{task.name}_url_restored"
    if st.session_state.get(flag):
        return
    st.session_state[flag] = True
    params = st.query_params
    for name in ("layer", "step"):
        try:
            if name in params:
                st.session_state[f"{task.name}_{name}"] = int(params[name]) - (1 if name == "layer" else 0)
                if name == "step":
                    st.session_state[f"{task.name}_step_from_url"] = True  # see `step_slider_ui`
        except ValueError:
            pass  # a hand-edited URL with a bad number keeps the default view
    if params.get("quantity") in inspector.QUANTITY_NAMES:
        st.session_state[f"{task.name}_quantity"] = params["quantity"]
    if params.get("model") in task.configs:
        st.session_state[f"{task.name}_config"] = params["model"]


def store_view_in_url(task: tasks.Task, controls: dict, step: int, model: tasks.LoadedModel, **extra) -> None:
    """Keep the view in the URL so that a bookmark opens it again."""
    values = {"layer": controls["layer"] + 1, "quantity": controls["quantity"], "step": step}
    # A session's own model cannot be reopened from a URL, so only pretrained ones are named there.
    values["model"] = model.config.name if model.label.startswith("pretrained") else None
    values.update(extra)
    for name, value in values.items():
        if value is None:
            st.query_params.pop(name, None)
        elif st.query_params.get(name) != str(value):
            st.query_params[name] = str(value)


def gallery_ui(task: tasks.Task, entries: list[dict], on_pick) -> None:
    """Draw a strip of real test examples. Picking one calls `on_pick(entry)`."""
    if not entries or presenter_mode():
        return
    with st.expander(f"Gallery: real test examples ({len(entries)})", expanded=False):
        per_row = 13 if task.name == "digits" else 3
        for start in range(0, len(entries), per_row):
            columns = st.columns(per_row)
            for column, entry in zip(columns, entries[start : start + per_row]):
                with column:
                    if task.name == "digits":
                        st.image(np.asarray(entry["pixels"], dtype=np.uint8), width=48)
                        label = f"{entry['label']}" + (" ✗" if entry["title"].startswith("mistake") else "")
                    else:
                        st.caption(entry["title"])
                        words = text.normalize(entry["text"]).split()  # without the reviews' <br /> tags
                        label = " ".join(words[:8]) + (" …" if len(words) > 8 else "")
                    st.button(label, key=f"{task.name}_gallery_{entry['id']}", help=entry["title"],
                              on_click=on_pick, args=(entry,), width="stretch")


def export_ui(task: tasks.Task, trace: inspector.Trace, step_inputs: list[str], controls: dict) -> None:
    """Download the input and its per-step values as CSV (charts have a PNG button in their toolbar)."""
    if presenter_mode():
        return
    content = export.trace_to_csv(trace, step_inputs, task.class_names, controls["layer"], controls["quantity"])
    st.download_button("Download per-step values (CSV)", content, file_name=f"{task.name}-steps.csv",
                       mime="text/csv", key=f"{task.name}_csv")
