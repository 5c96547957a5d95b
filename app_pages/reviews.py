"""Reviews page: type a movie review, see the tokens the LSTM reads and its state word by word."""

import html

import numpy as np
import streamlit as st

from lstm_demo import figures, gallery, inspector, tasks, text
from app_pages import common

TASK = tasks.TASKS["reviews"]
MAX_CHARACTERS = 200_000  # longer pastes are cut here before tokenising; the model reads at most maxlen tokens anyway
EXAMPLES = {
    "Positive": "One of the best films I have seen this year. The acting is wonderful and the story kept me hooked to the end.",
    "Negative": "A boring, badly written mess. The plot makes no sense and I wanted my two hours back.",
    "Negated": "This movie was not good at all. I did not enjoy it and the jokes were not funny.",
    "Mixed": "The first half is slow and the dialogue is weak, but the ending is beautiful and the music is great.",
    "Not bad at all": "not bad at all",
}


MAX_URL_TEXT = 1500  # characters of a typed review kept in the URL; longer ones are not shareable
OCCLUSION_AUTO_WORDS = 120  # word importance is computed without asking up to this many words read


@st.cache_data
def load_gallery_entries() -> list[dict]:
    return gallery.load_gallery()["reviews"]


def pick_example(entry: dict) -> None:
    st.session_state["reviews_text"] = entry["text"]
    st.session_state["reviews_example"] = "(type your own)"
    st.session_state["reviews_example_loaded"] = "(type your own)"


def review_ui() -> str:
    """Example picker and text area; returns the review text."""
    if "reviews_text" not in st.session_state and st.query_params.get("text"):
        st.session_state["reviews_text"] = st.query_params["text"][:MAX_URL_TEXT]
        st.session_state["reviews_example_loaded"] = "(type your own)"
    example = st.selectbox("Start from an example", ["(type your own)", *EXAMPLES], key="reviews_example")
    if st.session_state.get("reviews_example_loaded") != example:
        st.session_state["reviews_example_loaded"] = example
        if example in EXAMPLES:
            st.session_state["reviews_text"] = EXAMPLES[example]
    st.session_state.setdefault("reviews_text", EXAMPLES["Positive"])
    return st.text_area("Review (updates when you leave the box or press Ctrl+Enter)", key="reviews_text", height=100)


def tokens_ui(encoded: text.EncodedText) -> None:
    """Show the tokens the model receives, marking out-of-vocabulary words and the cut."""
    parts = []
    for token, is_oov in zip(encoded.read_tokens, encoded.oov):
        word = html.escape(token)  # tokens hold letters, digits and apostrophes; escaped all the same
        if is_oov:
            parts.append(f"<span style='color:#888;text-decoration:line-through' title='out of vocabulary'>{word}</span>")
        else:
            parts.append(word)
    summary = f"{encoded.length} tokens read, {int(encoded.oov.sum())} out of vocabulary (struck through)"
    if encoded.truncated:
        parts.append(f"<span style='color:#ff4b4b'>✂ {encoded.truncated} more tokens cut off</span>")
        summary += f", {encoded.truncated} cut off after the first {encoded.length}"
    st.caption(summary + ".")
    st.markdown("<div class='token-line' style='line-height:1.9'>" + " ".join(parts) + "</div>", unsafe_allow_html=True)


def read_review(model: tasks.LoadedModel, review: str,
                empty_hint: str = "Type a review, or pick an example above.") -> tuple[text.EncodedText | None, str | None]:
    """Encode the review, or return a hint when there is nothing the model can read."""
    if not review.strip():
        return None, empty_hint
    if len(review) > MAX_CHARACTERS:
        review = review[:MAX_CHARACTERS]
    encoded = tasks.encode_review(model, review)
    if encoded.is_empty:
        return None, "The review holds no words the model can read (only punctuation, emoji or symbols). Add some words."
    return encoded, None


def main() -> None:
    st.title("How an LSTM reads a review")
    if not common.presenter_mode():
        st.caption("The network reads one word per step and answers after the last word it reads.")
    common.restore_view_from_url(TASK)
    model = common.model_selector_ui(TASK)
    common.gallery_ui(TASK, load_gallery_entries(), pick_example)
    review = review_ui()
    if len(review) > MAX_CHARACTERS:
        st.warning(f"The review has {len(review):,} characters; only the first {MAX_CHARACTERS:,} are read.")
    if model is None:
        common.training_sidebar_ui(TASK, None, None)
        return
    encoded, hint = read_review(model, review)
    if encoded is None:
        st.query_params.pop("text", None)
        st.info(hint)
        common.training_sidebar_ui(TASK, model, None)
        return

    trace = tasks.trace_review(model, encoded)
    if not model.config.mask_padding and encoded.length < model.config.maxlen:
        st.caption(
            f"This model reads all {model.config.maxlen} steps: after the {encoded.length} words come "
            f"{model.config.maxlen - encoded.length} padding steps, shown in the charts as `<pad>`."
        )
    tokens = encoded.read_tokens + [text.PAD_TOKEN] * (trace.length - encoded.length)
    oov = np.concatenate([encoded.oov, np.zeros(trace.length - encoded.length, bool)])
    tokens_ui(encoded)
    if encoded.oov.all():
        st.warning(
            "Every word is out of vocabulary, so the model reads only the unknown-word id "
            f"{encoded.length} time{'' if encoded.length == 1 else 's'}: its answer says nothing about this text."
        )

    left, right = st.columns([1.5, 2])
    with left:
        predicted = trace.predicted
        common.big_prediction(TASK.class_names[predicted], float(trace.probabilities[predicted]))
    with right:
        common.chart(figures.probability_bar(TASK.class_names, trace.probabilities, large=common.presenter_mode()),
                     key="reviews_probabilities")

    step = common.step_slider_ui(TASK, trace.length)
    labels = figures.step_labels(TASK.step_name, tokens, trace.length)
    controls = common.view_controls_ui(TASK, model, trace)
    common.store_view_in_url(TASK, controls, step, model, text=review if len(review) <= MAX_URL_TEXT else None)
    common.internals_ui(TASK, model, trace, labels, step, controls, tokens=tokens, oov=oov)
    common.replay_ui(TASK, model, labels)
    common.export_ui(TASK, trace, tokens, controls)

    if not common.presenter_mode():
        with st.expander("What mattered: remove one word at a time"):
            # One pass per word read: about 0.05 s for 100 words and 2 s for 500 on 2 cores, so long
            # reviews have a switch of their own, off until the user turns it on.
            short = encoded.length <= OCCLUSION_AUTO_WORDS
            if st.toggle("Compute word importance" if short else "Compute word importance (a few seconds for this length)",
                         key="reviews_occlusion" if short else "reviews_occlusion_long", value=short):
                importance = inspector.occlusion_words(model.inspector, encoded.ids, encoded.length)
                common.chart(figures.word_strip(encoded.read_tokens, importance,
                                                f"Drop in p({TASK.class_names[predicted]}) when the word is removed",
                                                "drop", oov=encoded.oov), key="reviews_importance")
        with st.expander("Compare with a second review"):
            review_b = st.text_area("Review B", "not good", key="reviews_text_b", height=80)
            encoded_b, hint_b = read_review(model, review_b, "Type review B to compare it with the review above.")
            if encoded_b is None:
                st.info(hint_b)
            else:
                trace_b = tasks.trace_review(model, encoded_b)
                st.write(f"A: **{TASK.class_names[trace.predicted]}**, B: **{TASK.class_names[trace_b.predicted]}**")
                common.comparison_ui(TASK, trace, trace_b, labels, controls, step)
        common.network_code_ui(TASK, model)
    common.training_sidebar_ui(TASK, model, encoded.ids)


main()
