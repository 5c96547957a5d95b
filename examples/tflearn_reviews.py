"""The TFLearn tutorial's reviews network: word embedding, one LSTM, softmax over negative and positive.

This is the tutorial script with as few changes as possible:

- `lstm_demo.tflearn_compat.install()` runs before ``import tflearn``, because
  TFLearn 0.5.0 does not import on TensorFlow 2.21 and Pillow 13 as released.
- ``imdb.pkl`` is not the LISA lab's download but the file that
  ``python -m lstm_demo.imdb_pickle --out build/imdb.pkl`` writes from the local
  aclImdb reviews with the project's tokenizer. The script stops with an error
  when the file is missing instead of letting TFLearn download one.
- Options set the number of epochs and subsets for quick runs, and the last
  line is ``RESULT {...}``: JSON with the seconds per epoch and the accuracy on
  the real test set (25,000 reviews unless ``--test-limit`` is given).

The tutorial names the parts that ``load_data`` returns ``train, test, _``.
Its ``test`` is the 10 % validation split of the training reviews. The third
part, which the tutorial ignores, is the real test set, and this script
evaluates it after training. The tutorial calls ``model.fit`` without
``n_epoch``, so TFLearn's default of 10 epochs applies, and ``--epochs`` keeps
that default.

Run from the repository root:

    python -m lstm_demo.imdb_pickle --out build/imdb.pkl
    python examples/tflearn_reviews.py [--epochs 10] [--limit N] [--test-limit N] [--pickle build/imdb.pkl]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

# Lets the script import lstm_demo from a checkout, without installing the package.
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY_ROOT))

from lstm_demo import tflearn_compat  # noqa: E402

tflearn_compat.install()

import tflearn  # noqa: E402
from tflearn.data_utils import to_categorical, pad_sequences  # noqa: E402
from tflearn.datasets import imdb  # noqa: E402

DEFAULT_PICKLE = REPOSITORY_ROOT / "build" / "imdb.pkl"
SUBSET_SEED = 0  # picks the --limit and --test-limit subsets


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--epochs", type=int, default=10, help="training epochs (default: 10, TFLearn's default that the tutorial uses)"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="train on N training reviews picked at random (default: all)"
    )
    parser.add_argument(
        "--test-limit", type=int, default=None, help="evaluate on N test reviews picked at random (default: all)"
    )
    parser.add_argument(
        "--pickle",
        type=Path,
        default=DEFAULT_PICKLE,
        help="imdb.pkl written by `python -m lstm_demo.imdb_pickle` (default: build/imdb.pkl)",
    )
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    for option, value in (("--limit", args.limit), ("--test-limit", args.test_limit)):
        if value is not None and value < 1:
            parser.error(f"{option} must be at least 1, got {value}")
    if not args.pickle.is_file():
        parser.error(
            f"pickle {args.pickle} not found: write it with "
            f"`python -m lstm_demo.imdb_pickle --out {args.pickle}`"
        )
    return args


def random_subset(sequences: list, labels: list, limit: int | None) -> tuple[list, list]:
    """Keep `limit` samples picked at random, because load_data sorts by length and the first ones are the shortest."""
    if limit is None or limit >= len(sequences):
        return sequences, labels
    rows = np.random.default_rng(SUBSET_SEED).permutation(len(sequences))[:limit]
    return [sequences[row] for row in rows], [labels[row] for row in rows]


args = parse_args()

# IMDB Dataset loading
# NOTE: load_data unpickles the file, and unpickling can run arbitrary code.
# That is acceptable only because lstm_demo.imdb_pickle wrote this file in this
# project. Never pass a pickle from anywhere else, such as the original download.
train, test, real_test = imdb.load_data(path=str(args.pickle), n_words=10000,
                                        valid_portion=0.1)
trainX, trainY = train
testX, testY = test
realTestX, realTestY = real_test
# NOTE: subsets are for quick runs only. The tutorial trains on all of trainX.
trainX, trainY = random_subset(trainX, trainY, args.limit)
realTestX, realTestY = random_subset(realTestX, realTestY, args.test_limit)

# Data preprocessing
# Sequence padding
trainX = pad_sequences(trainX, maxlen=100, value=0.)
testX = pad_sequences(testX, maxlen=100, value=0.)
realTestX = pad_sequences(realTestX, maxlen=100, value=0.)
# Converting labels to binary vectors
trainY = to_categorical(trainY, 2)
testY = to_categorical(testY, 2)
realTestY = to_categorical(realTestY, 2)

# tutorial-network: begin
# Network building
net = tflearn.input_data([None, 100])
net = tflearn.embedding(net, input_dim=10000, output_dim=128)
net = tflearn.lstm(net, 128, dropout=0.8)
net = tflearn.fully_connected(net, 2, activation='softmax')
net = tflearn.regression(net, optimizer='adam', learning_rate=0.001,
                         loss='categorical_crossentropy')

# Training
model = tflearn.DNN(net, tensorboard_verbose=0)
# tutorial-network: end
started = time.perf_counter()
model.fit(trainX, trainY, n_epoch=args.epochs, validation_set=(testX, testY), show_metric=True,
          batch_size=32)
seconds_per_epoch = (time.perf_counter() - started) / args.epochs

test_accuracy = float(model.evaluate(realTestX, realTestY)[0])
result = {
    "script": "tflearn_reviews",
    "epochs": args.epochs,
    "train_size": len(trainX),
    "validation_size": len(testX),
    "test_size": len(realTestX),
    "seconds_per_epoch": round(seconds_per_epoch, 1),
    "test_accuracy": round(test_accuracy, 4),
}
print(f"\nRESULT {json.dumps(result)}", flush=True)
