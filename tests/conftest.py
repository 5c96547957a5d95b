"""Shared fixtures: where the real data sets are, and skipping tests that need them."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _data_dir() -> Path | None:
    configured = os.environ.get("LSTM_DEMO_DATA_DIR")
    return Path(configured) if configured else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder with the real mnist/ and imdb/ data sets; tests needing it skip when it is not set."""
    folder = _data_dir()
    if folder is None:
        pytest.skip("LSTM_DEMO_DATA_DIR is not set; set it to the folder holding mnist/ and imdb/")
    if not folder.is_dir():
        pytest.skip(f"LSTM_DEMO_DATA_DIR={folder} is not a folder (relative paths start from {Path.cwd()})")
    return folder


@pytest.fixture(scope="session")
def mnist(data_dir):
    from lstm_demo import data

    return data.load_mnist(data_dir)


@pytest.fixture(scope="session")
def imdb(data_dir):
    from lstm_demo import data

    return data.load_imdb(data_dir)


def big_prediction(app) -> tuple[str, bool] | None:
    """The label an AppTest run shows as its big prediction and whether it is presenter-sized, or None.

    `app_pages.common.big_prediction` writes a Markdown heading into a
    container keyed "big_prediction" ("big_prediction_presenter" in presenter mode).
    """
    from streamlit.testing.v1.element_tree import Block

    def blocks(node):
        for child in getattr(node, "children", {}).values():
            if isinstance(child, Block):
                yield child
                yield from blocks(child)

    for block in blocks(app.main):
        key = getattr(block.proto, "id", "").rsplit("-", 1)[-1]
        if key in ("big_prediction", "big_prediction_presenter"):
            heading = block.markdown[0].value
            assert heading.startswith("# "), heading
            assert "\n\nprobability " in heading, heading
            return heading[2:].split("\n", 1)[0], key.endswith("_presenter")
    return None
