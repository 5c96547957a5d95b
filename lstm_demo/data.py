"""Load MNIST and IMDB from local files, downloading them to a user cache if needed.

Where the files come from, in order:

1. an explicit ``data_dir`` argument (the CLI's ``--data-dir``);
2. the environment variable ``LSTM_DEMO_DATA_DIR``;
3. a per-user cache folder (``$XDG_CACHE_HOME/lstm_demo`` or ``~/.cache/lstm_demo``),
   filled by downloading from the official sources with a checksum check.

Each of these folders contains ``mnist/`` (the four IDX ``.gz`` files) and
``imdb/`` (an ``aclImdb/`` folder or a ``.tar.gz`` of it). Files are only read
here, never written next to the data: a read-only data folder works. Turning
text into ids is `lstm_demo.text`; this module returns raw reviews.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import sys
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

DATA_DIR_VARIABLE = "LSTM_DEMO_DATA_DIR"

MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
# The files of LeCun et al., mirrored by Google because the original site is often down.
MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
# MD5 sums of the official files, as published with torchvision's MNIST loader.
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_ARCHIVE = "aclImdb_v1.tar.gz"
IMDB_MD5 = "7c2ac02c03563afcf9b574c7e56c153a"

SPLITS = ("train", "test")
REVIEW_LABELS = ("neg", "pos")  # class 0 = negative, class 1 = positive


class DataError(RuntimeError):
    """A data set is missing, damaged or could not be downloaded."""


# ---------------------------------------------------------------- locations


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lstm_demo"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """Return the data folder to use and whether files may be downloaded into it.

    Only the per-user cache is filled by downloads; a folder named by the
    caller or by ``LSTM_DEMO_DATA_DIR`` must already hold the files.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser(), False
    from_environment = os.environ.get(DATA_DIR_VARIABLE)
    if from_environment:
        return Path(from_environment).expanduser(), False
    return default_cache_dir(), True


def _how_to_point_at_local_files() -> str:
    return (
        f"pass data_dir (--data-dir on the command line) or set {DATA_DIR_VARIABLE} "
        "to a folder holding mnist/ and imdb/"
    )


# ---------------------------------------------------------------- downloads


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _terminal_progress(done: int, total: int | None) -> None:
    if total:
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done / total:6.1%}")
    else:
        sys.stderr.write(f"\r  {done / 1e6:8.1f} MB")
    sys.stderr.flush()


def download(
    url: str,
    destination: Path,
    md5: str,
    progress: Callable[[int, int | None], None] | None = _terminal_progress,
) -> Path:
    """Download `url` to `destination` through a temporary file, checking its MD5 sum."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    print(f"Downloading {url} to {destination}", file=sys.stderr)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise DataError(
            f"download of {url} failed ({error}); {_how_to_point_at_local_files()}"
        ) from error
    finally:
        if progress:
            sys.stderr.write("\n")
    actual = _md5(partial)
    if actual != md5:
        partial.unlink(missing_ok=True)
        raise DataError(
            f"download of {url} has MD5 {actual}, expected {md5}; the file was deleted. "
            f"Retry, or {_how_to_point_at_local_files()}"
        )
    os.replace(partial, destination)
    return destination


# ---------------------------------------------------------------- MNIST


@dataclass(frozen=True)
class Split:
    """Inputs and integer labels of one part of a data set."""

    x: np.ndarray
    y: np.ndarray  # (samples,) int64 class ids

    def __len__(self) -> int:
        return len(self.y)


def read_idx(path: Path) -> np.ndarray:
    """Read a gzip-compressed IDX file of unsigned bytes into an array."""
    try:
        with gzip.open(path, "rb") as file:
            content = file.read()
    except (OSError, EOFError) as error:
        raise DataError(f"cannot read IDX file {path}: {error}; the file may be truncated") from error
    if len(content) < 4:
        raise DataError(f"IDX file {path} is too short ({len(content)} bytes) to hold a header")
    zero, dtype_code, ndim = struct.unpack(">HBB", content[:4])
    if zero != 0 or dtype_code != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes (header {content[:4].hex()})")
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise DataError(f"IDX file {path} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", content[4:header_size])
    expected = int(np.prod(shape))
    body = len(content) - header_size
    if body != expected:
        raise DataError(
            f"IDX file {path} declares shape {shape} ({expected} bytes) but contains {body} bytes; "
            "the file is truncated or damaged"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


def mnist_folder(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the folder with the four MNIST files, downloading them into the cache if allowed."""
    root, may_download = resolve_data_dir(data_dir)
    folder = root / "mnist"
    missing = [name for name in MNIST_FILES if not (folder / name).is_file()]
    if missing and may_download:
        for name in missing:
            download(MNIST_URL + name, folder / name, MNIST_MD5[name])
        missing = []
    if missing:
        raise DataError(
            f"no MNIST files in {folder}: missing {', '.join(missing)} "
            f"(expected {', '.join(MNIST_FILES)}); {_how_to_point_at_local_files()}"
        )
    return folder


def load_mnist(data_dir: str | os.PathLike | None = None) -> dict[str, Split]:
    """Load MNIST as uint8 images (samples, 28, 28) and int64 labels, keyed by "train" and "test"."""
    folder = mnist_folder(data_dir)
    splits = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataError(f"{folder}/{prefix}-images-idx3-ubyte.gz has shape {images.shape}, expected (n, 28, 28)")
        if len(images) != len(labels):
            raise DataError(
                f"MNIST {split} split in {folder} has {len(images)} images but {len(labels)} labels"
            )
        splits[split] = Split(images, labels)
    return splits


# ---------------------------------------------------------------- IMDB


def imdb_source(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the aclImdb folder or tarball to read, downloading the archive into the cache if allowed."""
    root, may_download = resolve_data_dir(data_dir)
    folder = root / "imdb"
    if (folder / "aclImdb").is_dir():
        return folder / "aclImdb"
    archives = sorted(folder.glob("*.tar.gz")) if folder.is_dir() else []
    preferred = [path for path in archives if path.name == IMDB_ARCHIVE]
    if preferred or archives:
        return (preferred or archives)[0]
    if may_download:
        return download(IMDB_URL, folder / IMDB_ARCHIVE, IMDB_MD5)
    raise DataError(
        f"no IMDB reviews in {folder}: expected an aclImdb/ folder or a .tar.gz of it "
        f"(such as {IMDB_ARCHIVE}); {_how_to_point_at_local_files()}"
    )


def _review_key(split: str, label: str, file_name: str) -> tuple | None:
    """Sort key (split, label, review id, rating) of a review file name like 123_8.txt."""
    stem = file_name[:-4] if file_name.endswith(".txt") else None
    if stem is None or "_" not in stem:
        return None
    review_id, rating = stem.split("_", 1)
    if not (review_id.isdigit() and rating.isdigit()):
        return None
    return (split, label, int(review_id), int(rating))


def _read_reviews_from_folder(folder: Path) -> dict[tuple, str]:
    reviews = {}
    for split in SPLITS:
        for label in REVIEW_LABELS:
            label_folder = folder / split / label
            if not label_folder.is_dir():
                raise DataError(f"IMDB folder {label_folder} is missing; expected the aclImdb layout")
            for path in label_folder.glob("*.txt"):
                key = _review_key(split, label, path.name)
                if key:
                    reviews[key] = path.read_text(encoding="utf-8", errors="replace")
    return reviews


def _read_reviews_from_archive(archive: Path) -> dict[tuple, str]:
    reviews = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                # aclImdb/<split>/<label>/<id>_<rating>.txt; unsup/ and other files are skipped.
                if not member.isfile() or len(parts) != 4 or parts[0] != "aclImdb":
                    continue
                _, split, label, file_name = parts
                if split not in SPLITS or label not in REVIEW_LABELS:
                    continue
                key = _review_key(split, label, file_name)
                if key:
                    reviews[key] = tar.extractfile(member).read().decode("utf-8", errors="replace")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"cannot read IMDB archive {archive}: {error}; the file may be truncated") from error
    return reviews


@dataclass(frozen=True)
class ReviewSplit:
    """Raw review texts of one split, with labels (0 negative, 1 positive) and star ratings."""

    texts: list[str]
    y: np.ndarray  # (samples,) int64
    ratings: np.ndarray  # (samples,) int64, 1..10

    def __len__(self) -> int:
        return len(self.y)


def load_imdb(data_dir: str | os.PathLike | None = None) -> dict[str, ReviewSplit]:
    """Load the labelled IMDB reviews, keyed by "train" and "test", in a fixed order.

    Reviews are sorted by label, then review id, so that every run gets the same order.
    """
    source = imdb_source(data_dir)
    reviews = _read_reviews_from_folder(source) if source.is_dir() else _read_reviews_from_archive(source)
    splits = {}
    for split in SPLITS:
        keys = sorted(key for key in reviews if key[0] == split)
        for label in REVIEW_LABELS:
            if not any(key[1] == label for key in keys):
                raise DataError(
                    f"no {split}/{label} reviews in {source}: expected files like "
                    f"aclImdb/{split}/{label}/0_3.txt"
                )
        splits[split] = ReviewSplit(
            texts=[reviews[key] for key in keys],
            y=np.array([REVIEW_LABELS.index(key[1]) for key in keys], dtype=np.int64),
            ratings=np.array([key[3] for key in keys], dtype=np.int64),
        )
    return splits


def subsample(count: int, limit: int | None, seed: int) -> np.ndarray:
    """Pick `limit` of `count` indices at random, the same ones for the same seed, in increasing order."""
    indices = np.arange(count)
    if limit is None or limit >= count:
        return indices
    return np.sort(np.random.default_rng(seed).choice(count, size=limit, replace=False))
