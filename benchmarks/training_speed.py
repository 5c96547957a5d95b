"""Measure what makes one digits training epoch faster on the CPU: the options people usually try.

    LSTM_DEMO_DATA_DIR=../shared/data python benchmarks/training_speed.py [--images 10000]

Each variant trains the seed digits network (LSTM 128 -> LSTM 128 -> Dense 10,
batch 64, Adam) for one epoch on the same images, after a short warm-up that
pays for tracing and compilation, and reports seconds per epoch and the
training accuracy reached. Each variant runs in its own Python process,
because TensorFlow's thread pools and Keras' dtype policy can be set only
before the first model is built. Writes benchmarks/results/training_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = ROOT / "benchmarks" / "results" / "training_speed.json"

VARIANTS = {
    "baseline: NumPy arrays passed to fit (what lstm_demo.train uses)": {},
    "steps_per_execution=16": {"steps_per_execution": 16},
    "unroll=True": {"unroll": True},
    "jit_compile=True (XLA)": {"jit_compile": True},
    "tf.data pipeline with prefetch": {"tf_data": True},
    "1 inter-op thread, 2 intra-op threads": {"threads": (1, 2)},
    "1 inter-op thread, 1 intra-op thread": {"threads": (1, 1)},
    "mixed_bfloat16 dtype policy": {"policy": "mixed_bfloat16"},
}


def build(unroll: bool):
    import keras

    inputs = keras.Input((28, 28))
    hidden = keras.layers.LSTM(128, return_sequences=True, unroll=unroll)(inputs)
    hidden = keras.layers.LSTM(128, unroll=unroll)(hidden)
    # The softmax stays in float32 under a mixed policy, as Keras advises for outputs.
    outputs = keras.layers.Dense(10, activation="softmax", dtype="float32")(hidden)
    return keras.Model(inputs, outputs)


def run_variant(options: dict, x, y) -> dict:
    import keras
    import tensorflow as tf

    if "threads" in options:
        inter_op, intra_op = options["threads"]
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
    if "policy" in options:
        keras.mixed_precision.set_global_policy(options["policy"])
    keras.utils.set_random_seed(0)
    model = build(options.get("unroll", False))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=options.get("jit_compile", False),
                  steps_per_execution=options.get("steps_per_execution", 1))
    if options.get("tf_data"):
        data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(y), seed=0).batch(64).prefetch(tf.data.AUTOTUNE)
        warm_up = tf.data.Dataset.from_tensor_slices((x[:640], y[:640])).batch(64)
        model.fit(warm_up, epochs=1, verbose=0)
        started = time.perf_counter()
        history = model.fit(data, epochs=1, verbose=0)
    else:
        model.fit(x[:640], y[:640], batch_size=64, epochs=1, verbose=0)
        started = time.perf_counter()
        history = model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=True)
    return {"seconds": round(time.perf_counter() - started, 1), "accuracy": round(history.history["accuracy"][-1], 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10_000, help="training images per epoch")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ (default: $LSTM_DEMO_DATA_DIR)")
    parser.add_argument("--variant", choices=list(VARIANTS), help="run only this variant and print its result as JSON")
    args = parser.parse_args()

    if args.variant:
        from lstm_demo import data
        from lstm_demo.preprocess import images_to_sequences

        mnist = data.load_mnist(args.data_dir)["train"]
        x = images_to_sequences(mnist.x[: args.images])
        y = mnist.y[: args.images]
        print(json.dumps(run_variant(VARIANTS[args.variant], x, y)))
        return 0

    results = {"images": args.images, "load_average_start": os.getloadavg()[0], "variants": {}}
    for name in VARIANTS:
        command = [sys.executable, __file__, "--variant", name, "--images", str(args.images)]
        if args.data_dir:
            command += ["--data-dir", args.data_dir]
        finished = subprocess.run(command, capture_output=True, text=True, check=True)
        results["variants"][name] = json.loads(finished.stdout.strip().splitlines()[-1])
        print(name, results["variants"][name], file=sys.stderr)
    results["load_average_end"] = os.getloadavg()[0]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
