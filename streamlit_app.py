"""lstm_demo: see how an LSTM reads a drawn digit or a typed review, step by step.

This file only routes: each page lives in its own file under app_pages/, and the
models, inspection and figures live in the lstm_demo package.
Run with: streamlit run streamlit_app.py
"""

from pathlib import Path

import pandas  # noqa: F401
import streamlit as st

from app_pages.common import PREDICTION_STYLE

# NOTE: Streamlit imports pandas lazily inside elements (the canvas and the why-LSTM tables among them). When
# twenty sessions opened a cold server at once, one failed with "partially initialized module 'pandas'"
# (benchmarks/load_test.py). Importing it first thing narrows that window; opening a page once before
# the audience arrives, as the README's pre-warm step advises, closes it.

# A page icon of its own keeps Streamlit from using the page's Material icon as the favicon,
# which it fetches from fonts.gstatic.com (Streamlit 1.67): the app must work offline. An image
# rather than an emoji, because an emoji makes Streamlit load its emoji catalogue (about 0.1 s of
# the cold start).
st.set_page_config(page_title="lstm_demo: inside an LSTM", page_icon=Path(__file__).parent / "app_pages" / "icon.png",
                   layout="wide",
                   initial_sidebar_state="collapsed" if st.query_params.get("presenter") == "1" else "auto")

if "presenter" not in st.session_state:
    st.session_state["presenter"] = st.query_params.get("presenter") == "1"
presenter = st.sidebar.toggle("Presenter mode", key="presenter", help="Larger fonts and charts, fewer panels, for a projector.")
st.html(PREDICTION_STYLE)  # a style-only block takes no room on the page
if presenter:
    st.query_params["presenter"] = "1"
    # Streamlit has no font-size setting per session, so presenter mode enlarges text with CSS.
    st.markdown(
        "<style>html {font-size: 118%;} .block-container {padding-top: 1.5rem;}</style>",
        unsafe_allow_html=True,
    )
else:
    st.query_params.pop("presenter", None)

pages = [
    st.Page("app_pages/digits.py", title="Digits", icon=":material/draw:", url_path="digits", default=True),
    st.Page("app_pages/reviews.py", title="Reviews", icon=":material/reviews:", url_path="reviews"),
    st.Page("app_pages/why_lstm.py", title="Why LSTM", icon=":material/history:", url_path="why-lstm"),
]
st.navigation(pages).run()
