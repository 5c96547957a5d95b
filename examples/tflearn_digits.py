"""The TFLearn tutorial's digits network: two LSTMs read each MNIST image as 28 rows of 28 pixels.

This is the tutorial script with as few changes as possible:

- `lstm_demo.tflearn_compat.install()` runs before ``import tflearn``, because
  TFLearn 0.5.0 does not import on TensorFlow 2.21 and Pillow 13 as released.
- The four MNIST files come from the local data folder (``--data-dir``, then
  ``$LSTM_DEMO_DATA_DIR``, then the lstm_demo download cache) instead of
  TFLearn's download into ``./mnist/``.
- Options set the number of epochs and subsets for quick runs, and the last
  line is ``RESULT {...}``: JSON with the seconds per epoch and the accuracy
  on the MNIST test images (10,000 unless ``--test-limit`` is given).

TFLearn's ``mnist.load_data`` keeps 55,000 of the 60,000 training images: it
sets the first 5,000 aside as a validation set that it does not return. The
tutorial's ``validation_set=0.1`` then holds out 10 % of those 55,000.

Run from the repository root:

    python examples/tflearn_digits.py [--epochs 1] [--limit N] [--test-limit N] [--data-dir D]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

# Lets the script import lstm_demo from a checkout, without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lstm_demo import data, tflearn_compat  # noqa: E402

tflearn_compat.install()

import tflearn  # noqa: E402
import tflearn.datasets.mnist as mnist  # noqa: E402

VALIDATION_FRACTION = 0.1  # the tutorial's validation_set=0.1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (default: 1, as in the tutorial)")
    parser.add_argument(
        "--limit", type=int, default=None, help="train on the first N of TFLearn's 55,000 training images (default: all)"
    )
    parser.add_argument(
        "--test-limit", type=int, default=None, help="evaluate on the first N of the 10,000 test images (default: all)"
    )
    parser.add_argument(
        "--data-dir", default=None, help="folder with mnist/ (default: $LSTM_DEMO_DATA_DIR, then the download cache)"
    )
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    # 10 training images leave 1 for the validation split.
    if args.limit is not None and args.limit < 10:
        parser.error(f"--limit must be at least 10, got {args.limit}")
    if args.test_limit is not None and args.test_limit < 1:
        parser.error(f"--test-limit must be at least 1, got {args.test_limit}")
    return args


args = parse_args()
try:
    mnist_folder = data.mnist_folder(args.data_dir)
except data.DataError as error:
    sys.exit(f"error: {error}")

# Data loading and preprocessing: 28 timesteps of 28 pixels per image.
X, Y, testX, testY = mnist.load_data(data_dir=str(mnist_folder), one_hot=True)
X = np.reshape(X, (-1, 28, 28))  # (samples, rows, pixels)
testX = np.reshape(testX, (-1, 28, 28))
# NOTE: subsets are for quick runs only. The tutorial trains on all of X.
X, Y = X[: args.limit], Y[: args.limit]
testX, testY = testX[: args.test_limit], testY[: args.test_limit]

# tutorial-network: begin
net = tflearn.input_data([None, 28, 28])
net = tflearn.lstm(net, 128, return_seq=True)
net = tflearn.lstm(net, 128)
net = tflearn.fully_connected(net, 10, activation='softmax')
net = tflearn.regression(net, optimizer='adam',
                         loss='categorical_crossentropy', name="output1")
model = tflearn.DNN(net, tensorboard_verbose=2)
# tutorial-network: end

started = time.perf_counter()
model.fit(X, Y, n_epoch=args.epochs, validation_set=VALIDATION_FRACTION, show_metric=True, snapshot_step=100)
seconds_per_epoch = (time.perf_counter() - started) / args.epochs

test_accuracy = float(model.evaluate(testX, testY)[0])
# TFLearn's Trainer shuffles, trains on the first int(n * 0.9) samples and validates on the rest.
train_size = int(len(X) * (1 - VALIDATION_FRACTION))
result = {
    "script": "tflearn_digits",
    "epochs": args.epochs,
    "train_size": train_size,
    "validation_size": len(X) - train_size,
    "test_size": len(testX),
    "seconds_per_epoch": round(seconds_per_epoch, 1),
    "test_accuracy": round(test_accuracy, 4),
}
print(f"\nRESULT {json.dumps(result)}", flush=True)
