"""Loaders: the real data sets, tiny files written here, and clear errors on damaged input."""

import gzip
import io
import struct
import tarfile

import numpy as np
import pytest

from lstm_demo import data

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def write_tiny_mnist(folder, train=6, test=4):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (train, 28, 28)))
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(train) % 10)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (test, 28, 28)))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(test) % 10)


def write_reviews(root, reviews):
    for (split, label, name), content in reviews.items():
        folder = root / "aclImdb" / split / label
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content)


TINY_REVIEWS = {
    ("train", "pos", "0_9.txt"): "Great film!",
    ("train", "neg", "1_2.txt"): "Awful.",
    ("test", "pos", "2_8.txt"): "Loved it",
    ("test", "neg", "3_1.txt"): "Hated it",
}


def test_mnist_shapes_and_counts(mnist):
    assert mnist["train"].x.shape == (60000, 28, 28)
    assert mnist["test"].x.shape == (10000, 28, 28)
    assert mnist["train"].x.dtype == np.uint8
    assert mnist["train"].y.dtype == np.int64
    assert np.bincount(mnist["train"].y).tolist() == MNIST_TRAIN_COUNTS
    assert len(mnist["test"].y) == 10000


def test_imdb_sizes_and_labels(imdb):
    assert len(imdb["train"]) == 24996
    assert len(imdb["test"]) == 24996
    assert np.bincount(imdb["train"].y).tolist() == [12498, 12498]
    assert np.bincount(imdb["test"].y).tolist() == [12500, 12496]
    assert imdb["train"].ratings.min() >= 1
    assert imdb["train"].ratings.max() <= 10
    assert all(rating <= 4 for rating in imdb["train"].ratings[imdb["train"].y == 0])


def test_mnist_tiny_files(tmp_path):
    write_tiny_mnist(tmp_path / "mnist")
    loaded = data.load_mnist(tmp_path)
    assert loaded["train"].x.shape == (6, 28, 28)
    assert loaded["test"].y.tolist() == [0, 1, 2, 3]


def test_mnist_truncated_file_error(tmp_path):
    write_tiny_mnist(tmp_path / "mnist")
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    content = gzip.decompress(path.read_bytes())
    with gzip.open(path, "wb") as file:
        file.write(content[: len(content) // 2])
    with pytest.raises(data.DataError, match="truncated"):
        data.load_mnist(tmp_path)


def test_mnist_cut_gzip_error(tmp_path):
    write_tiny_mnist(tmp_path / "mnist")
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(data.DataError, match="t10k-images"):
        data.load_mnist(tmp_path)


def test_mnist_missing_files_named(tmp_path):
    (tmp_path / "mnist").mkdir()
    with pytest.raises(data.DataError) as error:
        data.load_mnist(tmp_path)
    message = str(error.value)
    assert str(tmp_path / "mnist") in message
    assert "train-images-idx3-ubyte.gz" in message
    assert "LSTM_DEMO_DATA_DIR" in message


def test_imdb_folder_layout(tmp_path):
    write_reviews(tmp_path / "imdb", TINY_REVIEWS)
    loaded = data.load_imdb(tmp_path)
    assert loaded["train"].texts == ["Awful.", "Great film!"]
    assert loaded["train"].y.tolist() == [0, 1]
    assert loaded["test"].ratings.tolist() == [1, 8]


def test_imdb_tarball_layout(tmp_path):
    source = tmp_path / "source"
    write_reviews(source, TINY_REVIEWS)
    (tmp_path / "imdb").mkdir()
    with tarfile.open(tmp_path / "imdb" / "reviews.tar.gz", "w:gz") as tar:
        tar.add(source / "aclImdb", arcname="aclImdb")
    loaded = data.load_imdb(tmp_path)
    assert loaded["test"].texts == ["Hated it", "Loved it"]


def test_imdb_empty_review_folder_error(tmp_path):
    reviews = {key: value for key, value in TINY_REVIEWS.items() if key[:2] != ("test", "neg")}
    write_reviews(tmp_path / "imdb", reviews)
    (tmp_path / "imdb" / "aclImdb" / "test" / "neg").mkdir()
    with pytest.raises(data.DataError, match="no test/neg reviews"):
        data.load_imdb(tmp_path)


def test_imdb_missing_source_error(tmp_path):
    with pytest.raises(data.DataError, match="no IMDB reviews"):
        data.load_imdb(tmp_path)


def test_imdb_truncated_tarball_error(tmp_path):
    source = tmp_path / "source"
    write_reviews(source, {("train", "pos", f"{i}_9.txt"): "word " * 2000 for i in range(20)})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(source / "aclImdb", arcname="aclImdb")
    (tmp_path / "imdb").mkdir()
    (tmp_path / "imdb" / "aclImdb_v1.tar.gz").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(data.DataError, match="aclImdb_v1.tar.gz"):
        data.load_imdb(tmp_path)


def test_data_dir_order(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_DEMO_DATA_DIR", str(tmp_path / "from-env"))
    assert data.resolve_data_dir(tmp_path / "explicit") == (tmp_path / "explicit", False)
    assert data.resolve_data_dir() == (tmp_path / "from-env", False)
    monkeypatch.delenv("LSTM_DEMO_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.resolve_data_dir() == (tmp_path / "cache" / "lstm_demo", True)


def test_failed_download_names_url(tmp_path, monkeypatch):
    # Port 9 on loopback refuses connections, so the download fails without leaving the machine.
    monkeypatch.setattr(data, "MNIST_URL", "http://127.0.0.1:9/mnist/")
    monkeypatch.delenv("LSTM_DEMO_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(data.DataError) as error:
        data.load_mnist()
    assert "http://127.0.0.1:9/mnist/train-images-idx3-ubyte.gz" in str(error.value)
    assert "LSTM_DEMO_DATA_DIR" in str(error.value)
    assert not list((tmp_path / "lstm_demo" / "mnist").glob("*.part"))


def test_download_checksum_mismatch(tmp_path):
    import http.server
    import threading

    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "file.bin").write_bytes(b"not the real file")
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=str(tmp_path / "served"))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/file.bin"
        with pytest.raises(data.DataError, match="MD5"):
            data.download(url, tmp_path / "out" / "file.bin", "0" * 32, progress=None)
        assert not (tmp_path / "out" / "file.bin").exists()
        good = data._md5(tmp_path / "served" / "file.bin")
        assert data.download(url, tmp_path / "out" / "file.bin", good, progress=None).read_bytes() == b"not the real file"
    finally:
        server.shutdown()
