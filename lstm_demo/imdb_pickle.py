"""Build the ``imdb.pkl`` file that TFLearn's IMDB loader reads, from the aclImdb reviews.

The TFLearn tutorial downloads ``imdb.pkl``, a file made by the LISA lab in
2015. This module writes a file of the same layout from the local aclImdb data
with the project's own tokenizer (`lstm_demo.text`), so the tutorial script
runs offline and reads the same words as the Keras models.

Layout that ``tflearn.datasets.imdb.load_data`` (TFLearn 0.5.0) expects: two
objects pickled one after the other into one file, first the training set,
then the test set. Each is a tuple ``(sequences, labels)``:

- ``sequences``: a list with one list of int word ids per review, covering the
  whole review, not padded.
- ``labels``: a list of ints, 0 for negative and 1 for positive.

Word ids: 0 is padding (never used inside a review), 1 is out of vocabulary,
2.. are the training words by frequency, most frequent first. ``load_data``
maps every id >= ``n_words`` to 1, so by default this file keeps an id for every
training word, as the original file did, and ``n_words`` picks the vocabulary
size. ``load_data(maxlen=...)`` drops reviews of ``maxlen`` or more tokens
instead of cutting them. The tutorial does not pass ``maxlen`` and cuts reviews
with ``pad_sequences`` instead. The ids differ from those of the original file,
whose tokenizer kept punctuation as words.

Command line:

    python -m lstm_demo.imdb_pickle --out PATH [--data-dir D] [--limit N] [--vocab-size N]

It also writes the vocabulary next to the pickle (``PATH`` with the suffix
``.vocab.json``, read by `lstm_demo.text.Vocabulary.load`) so ids can be turned
back into words.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from lstm_demo import data, text

DEFAULT_SEED = 1234  # picks the --limit subset


@dataclass(frozen=True)
class PickledSplit:
    """One split as ``load_data`` reads it: whole reviews as word ids, with their labels."""

    sequences: list[list[int]]  # one list of ids per review, any length
    labels: list[int]  # 0 negative, 1 positive

    def as_tuple(self) -> tuple[list[list[int]], list[int]]:
        return (self.sequences, self.labels)


def vocabulary_path(pickle_path: str | Path) -> Path:
    """Return where the vocabulary of a pickle goes: ``imdb.pkl`` -> ``imdb.vocab.json``."""
    return Path(pickle_path).with_suffix(".vocab.json")


def encode_review(review: str, vocabulary: text.Vocabulary) -> list[int]:
    """Turn every token of a review into its id, without cutting or padding."""
    return [vocabulary.id_of(token) for token in text.tokenize(review)]


def encode_split(split: data.ReviewSplit, vocabulary: text.Vocabulary) -> PickledSplit:
    return PickledSplit(
        sequences=[encode_review(review, vocabulary) for review in split.texts],
        labels=[int(label) for label in split.y],
    )


def subsample_split(split: data.ReviewSplit, limit: int | None, seed: int) -> data.ReviewSplit:
    """Keep `limit` reviews picked at random (the same ones for the same seed), or all of them."""
    rows = data.subsample(len(split), limit, seed)
    return data.ReviewSplit(
        texts=[split.texts[row] for row in rows],
        y=split.y[rows],
        ratings=split.ratings[rows],
    )


def convert(
    splits: dict[str, data.ReviewSplit], vocab_size: int | None = None
) -> tuple[PickledSplit, PickledSplit, text.Vocabulary]:
    """Encode the "train" and "test" splits with a vocabulary built from the training reviews.

    `vocab_size` counts the padding and out-of-vocabulary ids. None keeps every
    word of the training reviews, as the original ``imdb.pkl`` did.
    """
    if vocab_size is not None and vocab_size < 3:
        raise ValueError(f"vocab_size must be at least 3 (padding, out of vocabulary, one word), got {vocab_size}")
    # Counter.most_common returns every word when asked for more than there are.
    size = vocab_size if vocab_size is not None else sys.maxsize
    vocabulary = text.Vocabulary.build(splits["train"].texts, size)
    train = encode_split(splits["train"], vocabulary)
    test = encode_split(splits["test"], vocabulary)
    return train, test, vocabulary


def write_pickle(path: str | Path, train: PickledSplit, test: PickledSplit) -> None:
    """Pickle the training set, then the test set, into one file, as ``load_data`` reads them."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        pickle.dump(train.as_tuple(), file, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(test.as_tuple(), file, protocol=pickle.HIGHEST_PROTOCOL)


def read_pickle(path: str | Path) -> tuple[PickledSplit, PickledSplit]:
    """Read back the two splits that `write_pickle` wrote.

    NOTE: unpickling can run arbitrary code from the file. Reading it is
    acceptable only because this project wrote the file itself with
    `write_pickle`. Never point this, or ``tflearn.datasets.imdb.load_data``,
    at a pickle from anywhere else, such as the original download.
    """
    with open(path, "rb") as file:
        train = pickle.load(file)
        test = pickle.load(file)
    return PickledSplit(*train), PickledSplit(*test)


def build_pickle(
    out: str | Path,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    vocab_size: int | None = None,
    seed: int = DEFAULT_SEED,
) -> tuple[PickledSplit, PickledSplit, text.Vocabulary]:
    """Load the reviews, encode them and write the pickle and its vocabulary to `out`.

    `limit` keeps that many reviews of each split, picked at random.
    """
    splits = data.load_imdb(data_dir)
    splits = {name: subsample_split(split, limit, seed) for name, split in splits.items()}
    train, test, vocabulary = convert(splits, vocab_size)
    write_pickle(out, train, test)
    vocabulary.save(vocabulary_path(out))
    return train, test, vocabulary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_demo.imdb_pickle",
        description="Write the imdb.pkl file of the TFLearn tutorial from the local aclImdb reviews.",
    )
    parser.add_argument("--out", required=True, help="pickle file to write, for example build/imdb.pkl")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with imdb/ (default: $LSTM_DEMO_DATA_DIR, then the download cache)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="keep this many reviews of each split, picked at random (default: all)"
    )
    parser.add_argument(
        "--vocab-size",
        type=int,
        default=None,
        help="ids per vocabulary, padding and out-of-vocabulary included (default: every training word)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed of the --limit subset (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be at least 1, got {args.limit}")
    if args.vocab_size is not None and args.vocab_size < 3:
        parser.error(f"--vocab-size must be at least 3, got {args.vocab_size}")

    try:
        train, test, vocabulary = build_pickle(args.out, args.data_dir, args.limit, args.vocab_size, args.seed)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.out} ({len(train.labels)} training, {len(test.labels)} test reviews) "
        f"and {vocabulary_path(args.out)} ({vocabulary.size} ids)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
