"""The TFLearn tutorial scripts, the imdb.pkl converter, and keeping TFLearn out of the package and the app.

The scripts run in subprocesses, because ``import tflearn`` switches the whole
process to TensorFlow graph mode.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_demo import data, imdb_pickle, text

ROOT = Path(__file__).resolve().parent.parent
RESULT_LINE = re.compile(r"RESULT (\{.*\})\s*$")
# A script needs under 30 s of CPU time here, but took over 200 s on 2 cores shared with other jobs.
SCRIPT_TIMEOUT_S = 600


def run_script(arguments, data_dir, timeout=SCRIPT_TIMEOUT_S):
    """Run a Python command from the repository root and return its output, failing the test on an error."""
    environment = dict(os.environ, LSTM_DEMO_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{arguments} exited with {completed.returncode}:\n{output[-4000:]}"
    return output


def read_result(output):
    """Parse the JSON of the last RESULT line that a tutorial script prints."""
    results = [RESULT_LINE.search(line) for line in output.splitlines()]
    results = [match for match in results if match]
    assert results, f"no RESULT line in the output:\n{output[-4000:]}"
    return json.loads(results[-1].group(1))


# ---------------------------------------------------------------- tutorial scripts


def test_digits_script_one_epoch(data_dir):
    output = run_script(
        ["examples/tflearn_digits.py", "--epochs", "1", "--limit", "640", "--test-limit", "500"], data_dir
    )
    result = read_result(output)
    assert result["epochs"] == 1
    assert result["train_size"] == 576
    assert result["validation_size"] == 64
    assert result["test_size"] == 500
    assert result["seconds_per_epoch"] > 0
    assert 0.0 <= result["test_accuracy"] <= 1.0


def test_reviews_script_one_epoch(data_dir, tmp_path):
    pickle_path = tmp_path / "imdb.pkl"
    imdb_pickle.build_pickle(pickle_path, data_dir, limit=300)
    output = run_script(
        ["examples/tflearn_reviews.py", "--epochs", "1", "--pickle", str(pickle_path), "--test-limit", "200"],
        data_dir,
    )
    result = read_result(output)
    assert result["epochs"] == 1
    assert result["train_size"] == 270
    assert result["validation_size"] == 30
    assert result["test_size"] == 200
    assert result["seconds_per_epoch"] > 0
    assert 0.0 <= result["test_accuracy"] <= 1.0


def test_reviews_script_missing_pickle(tmp_path):
    completed = subprocess.run(
        [sys.executable, "examples/tflearn_reviews.py", "--pickle", str(tmp_path / "imdb.pkl")],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3"),
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
    )
    assert completed.returncode == 2
    assert "python -m lstm_demo.imdb_pickle --out" in completed.stderr


# ---------------------------------------------------------------- imdb.pkl converter


def tiny_splits():
    train = data.ReviewSplit(
        texts=[
            "A great film, great acting!<br />Great.",
            "Dull plot; the acting was dull.",
            "It's great, isn't it?",
        ],
        y=np.array([1, 0, 1]),
        ratings=np.array([9, 2, 8]),
    )
    test = data.ReviewSplit(
        texts=["Great, but an unseen word.", ""],
        y=np.array([1, 0]),
        ratings=np.array([7, 1]),
    )
    return {"train": train, "test": test}


def decode(sequence, vocabulary):
    return [vocabulary.token_of(token_id) for token_id in sequence]


def expected_tokens(review, vocabulary):
    return [token if vocabulary.id_of(token) != text.OOV_ID else text.OOV_TOKEN for token in text.tokenize(review)]


def test_converter_round_trip(tmp_path):
    splits = tiny_splits()
    train, test, vocabulary = imdb_pickle.convert(splits)
    path = tmp_path / "imdb.pkl"
    imdb_pickle.write_pickle(path, train, test)
    read_train, read_test = imdb_pickle.read_pickle(path)

    assert read_train == train
    assert read_test == test
    assert vocabulary.words[0] == "great"  # the most frequent word gets the smallest word id, 2
    assert vocabulary.id_of("great") == 2
    for pickled, split in ((read_train, splits["train"]), (read_test, splits["test"])):
        assert pickled.labels == split.y.tolist()
        for sequence, review in zip(pickled.sequences, split.texts):
            assert decode(sequence, vocabulary) == expected_tokens(review, vocabulary)
    assert read_test.sequences[1] == []
    assert text.OOV_ID in read_test.sequences[0]  # "unseen" is not a training word


def test_converter_pickle_layout(tmp_path):
    train, test, _ = imdb_pickle.convert(tiny_splits())
    path = tmp_path / "imdb.pkl"
    imdb_pickle.write_pickle(path, train, test)

    import pickle

    # Reading our own file: the converter above wrote it in this test.
    with open(path, "rb") as file:
        objects = [pickle.load(file), pickle.load(file)]
        assert file.read() == b""
    for pickled in objects:
        assert type(pickled) is tuple
        assert len(pickled) == 2
        sequences, labels = pickled
        assert type(sequences) is list
        assert type(labels) is list
        assert all(type(sequence) is list for sequence in sequences)
        assert all(type(token_id) is int for sequence in sequences for token_id in sequence)
        assert all(type(label) is int for label in labels)
        assert len(sequences) == len(labels)


def test_converter_vocab_size_respected():
    vocab_size = 5
    train, test, vocabulary = imdb_pickle.convert(tiny_splits(), vocab_size=vocab_size)
    assert vocabulary.size == vocab_size
    assert vocabulary.words == ["great", "acting", "dull"]
    for sequence in train.sequences + test.sequences:
        assert all(0 < token_id < vocab_size for token_id in sequence)


def test_converter_rejects_tiny_vocab_size():
    with pytest.raises(ValueError, match="vocab_size must be at least 3"):
        imdb_pickle.convert(tiny_splits(), vocab_size=2)


def test_converter_command_line_real_data(data_dir, imdb, tmp_path):
    path = tmp_path / "imdb.pkl"
    run_script(
        ["-m", "lstm_demo.imdb_pickle", "--out", str(path), "--limit", "200", "--vocab-size", "1000"], data_dir
    )
    train, test = imdb_pickle.read_pickle(path)
    vocabulary = text.Vocabulary.load(imdb_pickle.vocabulary_path(path))

    assert len(train.sequences) == len(test.sequences) == 200
    assert vocabulary.size == 1000
    assert max(max(sequence) for sequence in train.sequences + test.sequences if sequence) < 1000
    assert set(train.labels) == {0, 1}
    rows = data.subsample(len(imdb["train"]), 200, imdb_pickle.DEFAULT_SEED)
    for sequence, row in zip(train.sequences[:20], rows[:20]):
        review = imdb["train"].texts[row]
        assert decode(sequence, vocabulary) == expected_tokens(review, vocabulary)
    assert train.labels == imdb["train"].y[rows].tolist()


# ---------------------------------------------------------------- TFLearn stays out of the package and the app


def is_project_module(name):
    top_level = name.partition(".")[0]
    return (ROOT / top_level).is_dir() or (ROOT / f"{top_level}.py").is_file()


def app_imports():
    """Project modules that streamlit_app.py and its pages import, read from their source without running them.

    Returns the modules named in import statements, and the names imported by
    `from X import Y` as candidates that are modules only sometimes (`from app_pages import common`).
    Third-party packages are left out: some, such as streamlit_drawable_canvas,
    only import inside `streamlit run`.
    """
    sources = [ROOT / "streamlit_app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    modules = set()
    candidates = set()
    for source in sources:
        if not source.is_file():
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
                candidates.update(f"{node.module}.{alias.name}" for alias in node.names)
    modules = {name for name in modules if is_project_module(name)}
    candidates = {name for name in candidates if is_project_module(name)} - modules
    return sorted(modules), sorted(candidates)


CHECK_NO_TFLEARN = """
import importlib, json, pkgutil, sys
import lstm_demo

modules, candidates = json.loads(sys.argv[1])
imported = []
for module in pkgutil.iter_modules(lstm_demo.__path__):
    if module.name != "tflearn_compat":
        importlib.import_module("lstm_demo." + module.name)
        imported.append("lstm_demo." + module.name)
for name in modules:
    importlib.import_module(name)
    imported.append(name)
for name in candidates:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        continue  # an attribute such as a function, not a module
    imported.append(name)
eager = None
if "tensorflow" in sys.modules:
    eager = sys.modules["tensorflow"].executing_eagerly()
loaded = sorted(name for name in sys.modules if name == "tflearn" or name.startswith("tflearn."))
print(json.dumps({"imported": imported, "tflearn": loaded, "eager": eager}))
"""


def test_package_and_app_never_import_tflearn():
    environment = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(
        [sys.executable, "-c", CHECK_NO_TFLEARN, json.dumps(app_imports())],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "lstm_demo.models" in report["imported"]
    if (ROOT / "app_pages" / "common.py").is_file():
        assert "app_pages.common" in report["imported"]
    assert "lstm_demo.tflearn_compat" not in report["imported"]
    assert report["tflearn"] == []
    assert report["eager"] in (None, True)
