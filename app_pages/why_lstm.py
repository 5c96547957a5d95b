"""Why LSTM page: SimpleRNN, GRU and LSTM networks read a digit followed by rows of noise.

The page shows the shipped models' test accuracy against the number of noise
rows and each network's prediction for the viewer's digit. Below, it shows how
strongly each input step still moves that prediction (the gradient through
time) and the LSTM's forget gate along the same steps, for the trained weights
or those training started from. Gradients need TensorFlow, which this page
imports only when it first computes one; the digits and reviews pages never
import it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from lstm_demo import artifacts, figures, memory, tasks
from lstm_demo.config import MEMORY_CELLS, MEMORY_CONFIGS, memory_config_name
from lstm_demo.jobs import BusyError, TrainingJob
from lstm_demo.preprocess import MNIST_SIZE
from app_pages import common

DEFAULT_EXAMPLE_LABEL = 4
SESSION_NETWORKS = "why_lstm_networks"  # (cell, delay) -> Network retrained in this session
JOB_KEY = "why_lstm_job"
# The same canvas as the digits page. Importing app_pages.digits would run that page, so the settings are repeated.


@dataclass
class Network:
    """One memory-task network: the NumPy copy for predictions and internals, the Keras model for gradients."""

    cell: str
    delay: int
    loaded: tasks.LoadedModel
    keras_model: object | None = None  # set for networks retrained in this session or built before training
    retrained: bool = False


# ---------------------------------------------------------------- models


@st.cache_resource(show_spinner="Loading the memory-task model...")
def load_network(cell: str, delay: int) -> tasks.LoadedModel:
    return tasks.load_files(memory.memory_files(cell, delay))


@st.cache_resource(show_spinner="Loading TensorFlow and the model, for the gradients...")
def load_keras_network(cell: str, delay: int):
    from lstm_demo import models  # imports TensorFlow

    return models.load_model(memory.memory_files(cell, delay).model)


@st.cache_resource(show_spinner="Building the networks as they were before training...")
def load_initial_network(cell: str, delay: int) -> Network:
    config = MEMORY_CONFIGS["digits"][memory_config_name(cell, delay)]
    model = memory.initial_model(config)
    return Network(cell, delay, tasks.from_keras_model(model, config, {}, "before training"), model)


@st.cache_data(show_spinner="Computing gradients through time...", max_entries=64)
def pretrained_step_norms(cell: str, delay: int, sequence: np.ndarray) -> np.ndarray:
    return memory.input_gradient(load_keras_network(cell, delay), sequence).step_norms


@st.cache_data
def load_examples() -> list[dict]:
    return memory.load_examples()


def session_networks() -> dict:
    return st.session_state.setdefault(SESSION_NETWORKS, {})


def networks_for(delay: int) -> list[Network] | None:
    """Load the three networks at `delay`, preferring those retrained in this session; None after showing an error."""
    networks = []
    for cell in MEMORY_CELLS:
        retrained = session_networks().get((cell, delay))
        if retrained is not None:
            networks.append(retrained)
            continue
        try:
            networks.append(Network(cell, delay, load_network(cell, delay)))
        except artifacts.ModelFileError as error:
            st.error(f"The {memory.CELL_TITLES[cell]} model for delay {delay} cannot be loaded: {error}")
            return None
    return networks


def step_norms(network: Network, sequence: np.ndarray) -> np.ndarray:
    if network.keras_model is not None:
        return memory.input_gradient(network.keras_model, sequence).step_norms
    return pretrained_step_norms(network.cell, network.delay, sequence)


# ---------------------------------------------------------------- input


def digit_input_ui() -> tuple[np.ndarray | None, str]:
    """Pixels (28, 28) of an example or a drawing, and a description of the digit (or a hint when empty)."""
    examples = load_examples()
    sources = (["Example digit"] if examples else []) + ["Draw"]
    source = st.radio("Input", sources, horizontal=True, key="why_lstm_source")
    if source == "Draw":
        pixels, hint = common.digit_from_canvas_ui("why_lstm_canvas")
        return pixels, hint or "your drawing"
    labels = [example["label"] for example in examples]
    choice = st.selectbox(
        "Example",
        range(len(examples)),
        # The shipped GRU and LSTM read this 4 correctly at every delay and the SimpleRNN up to delay 30,
        # so the default example shows the accuracy chart's pattern rather than an exception to it.
        index=labels.index(DEFAULT_EXAMPLE_LABEL) if DEFAULT_EXAMPLE_LABEL in labels else 0,
        key="why_lstm_example",
        format_func=lambda index: f"a {examples[index]['label']} (MNIST test image {examples[index]['index']})",
    )
    pixels = examples[choice]["pixels"]
    st.image(pixels, width=140, clamp=True)
    return pixels, f"a {examples[choice]['label']} from the MNIST test set"


# ---------------------------------------------------------------- views


INTRODUCTION = """
The usual argument for the LSTM: a plain recurrent network (SimpleRNN)
forgets, because the gradient that trains it shrinks at every step it travels
back in time, and the LSTM's gated cell state was designed to carry
information further. This page lets you test that on three networks of the
same size (two recurrent layers of 128 units, then a softmax over the ten
digits) that differ only in their recurrent cell: SimpleRNN, GRU and LSTM.

Each network reads the digit one row per step, then a number of rows of
random noise (the *delay*), and gives its answer only after the last one. To
answer correctly, it has to carry what it saw in the image across all the
noise steps, and keep the noise out of its memory. One network of each cell
type was trained for each delay, briefly, so the charts show what these
networks do, not the best each cell type can do. The GRU and LSTM started
with gate biases that make their units keep their state over spans of 1 to
the sequence's length ("chrono" initialisation, Tallec and Ollivier 2018); the
SimpleRNN has no gate to set.
"""


def accuracy_ui(rows: list[dict]) -> None:
    titled = [{**row, "cell": memory.CELL_TITLES[row["cell"]]} for row in rows]
    common.chart(figures.accuracy_against_delay(titled), key="why_lstm_accuracy")
    sizes = sorted({(row["train_size"], row["epochs"], row["test_size"]) for row in rows})
    settings = "; ".join(f"{train:,} training images, {epochs} epochs, {test:,} test images" for train, epochs, test in sizes)
    st.caption(f"Accuracy on the MNIST test set, from the model cards in pretrained/ ({settings}). "
               "Chance level is about 10 %. Each model was trained briefly; longer training could change these numbers.")
    longest = max(row["delay"] for row in rows)
    longest_rows = [row for row in rows if row["delay"] == longest]
    at_longest = ", ".join(f"{memory.CELL_TITLES[row['cell']]} {row['test_accuracy']:.0%}" for row in longest_rows)
    best = max(longest_rows, key=lambda row: row["test_accuracy"])
    st.markdown(f"With {longest} noise rows after the image: {at_longest}. "
                f"The best at this delay is the {memory.CELL_TITLES[best['cell']]}.")
    with st.expander("Table and training commands"):
        st.dataframe(
            [{"cell": memory.CELL_TITLES[row["cell"]], "delay": row["delay"], "test accuracy": row["test_accuracy"],
              "training seconds": row["training_seconds"], "command": row["command"]} for row in rows],
            hide_index=True,
            width="stretch",
        )


def answers_ui(networks: list[Network], traces: list, description: str) -> None:
    columns = st.columns(len(networks))
    for column, network, trace in zip(columns, networks, traces):
        with column:
            title = memory.CELL_TITLES[network.cell] + (" (retrained here)" if network.retrained else "")
            predicted = trace.predicted
            st.metric(title, str(predicted), help=f"Predicted digit for {description} after the last noise row.")
            st.caption(f"probability {trace.probabilities[predicted]:.0%}")


def gradient_ui(networks: list[Network], sequence: np.ndarray) -> None:
    norms = {}
    for network in sorted(networks, key=lambda network: memory.CELL_TITLES[network.cell]):
        norms[memory.CELL_TITLES[network.cell]] = step_norms(network, sequence)
    common.chart(figures.gradient_through_time(norms, image_steps=MNIST_SIZE), key="why_lstm_gradient")
    st.caption(
        "Each line is one network. Its height at a step is the size (L2 norm) of the gradient of the probability "
        "of that network's answer with respect to the input row at that step: how much a small change to that row "
        "would move the answer. The grey band marks the image rows; the rows after it are noise. The vertical "
        "scale is logarithmic (powers of ten), and values below 1e-30, including gradients that underflow to zero "
        "in 32-bit floats, are drawn at 1e-30. A network that is nearly certain of its answer has small gradients "
        "at every step, because its probability can hardly rise further, so compare how each line changes along "
        "the steps more than the heights of different lines."
    )


def forget_gate_ui(lstm_trace, delay: int, weights: str) -> None:
    means = memory.mean_forget_gate(lstm_trace)
    layer_names = [f"layer {index + 1}" for index in range(len(means))]
    common.chart(figures.forget_gate_through_time(means, layer_names, image_steps=MNIST_SIZE),
                 key="why_lstm_forget")
    st.caption(
        f"The LSTM (delay {delay}, {weights} weights) updates each unit's cell state as c = f * c_previous + i * g. Where the forget "
        "gate f is near 1, the unit keeps most of its previous cell state; near 0, it drops it. "
        f"The lines are the mean of f over the {lstm_trace.layers[0]['f'].shape[1]} units of each layer."
    )


# ---------------------------------------------------------------- retraining in the sidebar


def training_sidebar_ui(delay: int) -> None:
    """Retrain one cell type at the page's delay on a small subset, with progress, and go back to the shipped models."""
    sidebar = st.sidebar
    sidebar.header("Retrain one network")
    sidebar.caption(f"Trains a fresh network on MNIST at the delay chosen on the page ({delay} noise rows) "
                    "and uses it on this page in place of the shipped one.")
    job: TrainingJob | None = st.session_state.get(JOB_KEY)
    running = job is not None and job.is_active
    with sidebar.form("why_lstm_train_form", border=False):
        cell = st.selectbox("Cell type", MEMORY_CELLS, index=len(MEMORY_CELLS) - 1, key="why_lstm_train_cell",
                            format_func=memory.CELL_TITLES.get, disabled=running)
        epochs = st.slider("Epochs", 1, 15, 5, key="why_lstm_epochs", disabled=running)
        # NOTE: the default, 2,000 images, is a third of the shipped models' training set, so a run takes tens of seconds.
        limit = st.select_slider("Training-set size", options=[500, 1000, 2000, 4000, 6000], value=2000,
                                 key="why_lstm_limit", disabled=running,
                                 help="MNIST training images used (10 % of them held out for validation).")
        submitted = st.form_submit_button("Retrain", type="primary", disabled=running)
    if submitted:
        start_job(cell, delay, epochs, limit)
    progress_fragment()
    if session_networks() and sidebar.button("Back to the shipped models", key="why_lstm_back"):
        session_networks().clear()
        st.rerun()


def start_job(cell: str, delay: int, epochs: int, limit: int) -> None:
    config = MEMORY_CONFIGS["digits"][memory_config_name(cell, delay)]
    job = TrainingJob(config, epochs, limit=limit)
    try:
        job.start()
    except BusyError as error:
        st.sidebar.warning(f"Busy: {error}.")
        return
    st.session_state[JOB_KEY] = job
    st.session_state.pop("why_lstm_job_swapped", None)


def swap_in(job: TrainingJob) -> None:
    result = job.result
    config = result.config
    label = f"retrained {config.name} ({result.card['epochs']} epochs, {result.card['train_size']} samples)"
    loaded = tasks.from_keras_model(result.model, config, result.card, label)
    session_networks()[(config.cell, config.delay)] = Network(config.cell, config.delay, loaded, result.model, True)


def job_status_text(job: TrainingJob) -> str:
    latest = job.latest
    if job.state == "preparing":
        status = "Preparing the data..."
    else:
        status = f"Epoch {latest.epoch if latest else 1}/{job.epochs}"
    if latest and latest.loss is not None:
        status += f", loss {latest.loss:.3f}, accuracy {latest.accuracy:.1%}"
    status += f" | {time.perf_counter() - job.started_at:.0f} s elapsed"
    if latest and latest.remaining_s is not None:
        status += f", about {latest.remaining_s:.0f} s left"
    return status


def progress_fragment() -> None:
    job: TrainingJob | None = st.session_state.get(JOB_KEY)
    if job is None:
        return
    interval = 1.0 if job.is_active else None

    @st.fragment(run_every=interval)
    def progress_view():
        current: TrainingJob = st.session_state[JOB_KEY]
        if current.is_active:
            st.progress(current.fraction, text=job_status_text(current))
            if st.button("Cancel training", key="why_lstm_cancel"):
                current.cancel()
        elif current.state == "done" and not st.session_state.get("why_lstm_job_swapped"):
            swap_in(current)
            st.session_state["why_lstm_job_swapped"] = True
            st.rerun()
        elif current.state == "done":
            card = current.result.card
            st.success(f"Retrained {memory.CELL_TITLES[current.config.cell]} at delay {current.config.delay}: "
                       f"{card['epochs']} epoch(s) on {card['train_size']} images in {card['training_seconds']:.0f} s; "
                       f"test accuracy {card['test_accuracy']:.1%} on {card['test_size']} test images.")
        elif current.state == "cancelled":
            st.info("Training cancelled; the page still uses the previous network.")
        elif current.state == "failed":
            st.error(f"Training failed: {current.error}")
        if current.batch_events or current.epoch_events:
            common.chart(figures.training_curves(current.batch_events, current.epoch_events), key="why_lstm_curves")
        if interval and not current.is_active:
            st.rerun()  # the job has ended: rerun the whole page once, which stops the polling

    with st.sidebar:
        progress_view()


# ---------------------------------------------------------------- page


def inside_ui(networks: list[Network], sequence: np.ndarray, delay: int) -> None:
    """Gradient through time of the three networks and the LSTM's forget gate, trained or before training."""
    st.subheader("Inside: which steps can still move the answer")
    weights = st.radio(
        "Weights", ["trained", "before training"], horizontal=True, key="why_lstm_weights",
        help="Before training: the random weights each network started training from (the same seed as training).",
    )
    if weights == "before training":
        networks = [load_initial_network(cell, delay) for cell in MEMORY_CELLS]
    gradient_ui(networks, sequence)
    lstm = networks[MEMORY_CELLS.index("lstm")]
    forget_gate_ui(lstm.loaded.inspector.trace(sequence), delay, weights)


def main() -> None:
    st.title("Why LSTM: how long can a network remember?")
    st.markdown(INTRODUCTION)
    rows = memory.accuracy_table()
    delays = memory.delays_with_all_cells(rows)
    if not delays:
        st.error("No memory-task models found in pretrained/: train them with the commands in pretrained/README.md.")
        return
    accuracy_ui(rows)

    st.subheader("Your digit, read by each network")
    input_column, control_column = st.columns([1, 2])
    with input_column:
        pixels, description = digit_input_ui()
    with control_column:
        delay = st.select_slider("Noise rows after the image (delay)", options=delays,
                                 value=30 if 30 in delays else delays[-1], key="why_lstm_delay")
        networks = networks_for(delay)
        if networks is not None and pixels is None:
            st.info(description)
        elif networks is not None:
            sequence = tasks.digit_input(pixels, networks[0].loaded.config)  # (28 + delay, 28)
            answers_ui(networks, [network.loaded.inspector.trace(sequence) for network in networks], description)
    if networks is not None and pixels is not None:
        inside_ui(networks, sequence, delay)
    training_sidebar_ui(delay)


main()
