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
