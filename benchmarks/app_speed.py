"""Measure the app's speed: inspector latency against Keras, cold start, warm reruns, training time.

Run from the repository root (the data sets are needed for the training part):

    LSTM_DEMO_DATA_DIR=../shared/data python benchmarks/app_speed.py [--skip-training]

Writes benchmarks/results/app_speed.json and prints a Markdown summary;
BENCHMARKS.md collects the tables. Every number comes from one run on one
machine, reported with its CPU, core count and library versions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from lstm_demo import config, gallery, tasks, text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "app_speed.json"
REVIEW_100 = " ".join(("a truly wonderful film with great acting and a story that never lets go " * 8).split()[:100])


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_calls(function, repeats: int) -> dict:
    function()  # warm-up
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(timings), 3), "p95_ms": round(percentile(timings, 0.95), 3)}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import keras
    import streamlit
    import tensorflow as tf

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "streamlit": streamlit.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def model_inputs(task: str, loaded: tasks.LoadedModel) -> np.ndarray:
    if task == "digits":
        pixels = np.asarray(gallery.load_gallery()["digits"][0]["pixels"], dtype=np.float32) / 255.0
        return tasks.digit_input(pixels, loaded.config)
    encoded = text.encode(REVIEW_100, loaded.vocabulary, loaded.config.maxlen)
    assert encoded.length == min(100, loaded.config.maxlen)
    return encoded.ids


def inspector_against_keras(repeats: int) -> list[dict]:
    """Latency of one input: the NumPy inspector (all internals) against Keras' ways to predict."""
    import tensorflow as tf

    from lstm_demo import models

    rows = []
    for task, configs in config.CONFIGS.items():
        for name in configs:
            try:
                loaded = tasks.load_pretrained(task, name)
            except Exception as error:  # a configuration that does not ship yet
                print(f"skipping {task}/{name}: {error}", file=sys.stderr)
                continue
            x = model_inputs(task, loaded)
            batch = x[None]
            keras_model = models.load_model(loaded.keras_file)
            compiled = tf.function(keras_model, reduce_retracing=True)
            row = {
                "task": task,
                "config": name,
                "parameters": int(keras_model.count_params()),
                "test_accuracy": loaded.card.get("test_accuracy"),
                "seconds_per_epoch": loaded.card.get("seconds_per_epoch"),
                "epochs": loaded.card.get("epochs"),
                "inspector": time_calls(lambda: loaded.inspector.trace(x), repeats),
                "model_predict": time_calls(lambda: keras_model.predict(batch, verbose=0), max(20, repeats // 10)),
                "model_call": time_calls(lambda: keras_model(batch, training=False), max(20, repeats // 10)),
                "predict_on_batch": time_calls(lambda: keras_model.predict_on_batch(batch), max(20, repeats // 10)),
                "tf_function": time_calls(lambda: compiled(batch), max(20, repeats // 10)),
            }
            row["speedup_vs_predict"] = round(row["model_predict"]["p50_ms"] / row["inspector"]["p50_ms"], 1)
            rows.append(row)
            print(f"{task}/{name}: inspector {row['inspector']['p50_ms']} ms, predict {row['model_predict']['p50_ms']} ms",
                  file=sys.stderr)
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cold_start(runs: int) -> dict:
    """Measure the seconds from starting the server to the first prediction, and to the first chart, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    example = gallery.load_gallery()["digits"][0]["id"]
    to_prediction = []
    to_chart = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-background-networking"])
        for _ in range(runs):
            port = free_port()
            started = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.address", "127.0.0.1",
                 "--server.port", str(port), "--server.headless", "true"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            try:
                while True:
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                        break
                    except OSError:
                        time.sleep(0.05)
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/?example={example}")
                # The big prediction is followed by a line "probability NN.N%".
                page.get_by_text(re.compile(r"^probability \d")).first.wait_for(timeout=60_000)
                to_prediction.append(time.perf_counter() - started)
                page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=60_000)
                to_chart.append(time.perf_counter() - started)
                page.close()
            finally:
                server.terminate()
                server.wait(20)
        browser.close()
    return {
        "runs": runs,
        "p50_s": round(statistics.median(to_prediction), 2),
        "max_s": round(max(to_prediction), 2),
        "first_chart_p50_s": round(statistics.median(to_chart), 2),
    }


def warm_reruns(repeats: int) -> dict:
    """AppTest rerun time of each page after a new input (models already loaded)."""
    from streamlit.testing.v1 import AppTest

    entries = gallery.load_gallery()
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.run()
    digit_timings = []
    for index in range(repeats):
        entry = entries["digits"][index % len(entries["digits"])]
        button = app.button(key=f"digits_gallery_{entry['id']}")
        started = time.perf_counter()
        button.click().run()
        digit_timings.append((time.perf_counter() - started) * 1000)
    app.switch_page("app_pages/reviews.py")
    app.run()
    review_timings = []
    for index in range(repeats):
        started = time.perf_counter()
        app.text_area(key="reviews_text").input(f"a good film number {index} with a weak ending").run()
        review_timings.append((time.perf_counter() - started) * 1000)
    return {
        "digits_p50_ms": round(statistics.median(digit_timings), 1),
        "reviews_p50_ms": round(statistics.median(review_timings), 1),
    }


def training_speed() -> dict:
    """Seconds for one digits epoch on 10,000 images and one on the full training set, seed configuration."""
    from lstm_demo import train

    results = {}
    for label, limit in (("digits_10000_images_s", 10_000 / 0.9), ("digits_full_epoch_s", None)):
        prepared = train.prepare(config.DIGITS_SEED, limit=None if limit is None else int(round(limit)), test_limit=10)
        result = train.train(config.DIGITS_SEED, prepared, epochs=1, evaluate_test=False)
        results[label] = result.card["training_seconds"]
        results[label.replace("_s", "_samples")] = result.card["train_size"]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=300, help="timed calls per inspector measurement")
    parser.add_argument("--skip-training", action="store_true", help="leave out the training measurements")
    args = parser.parse_args()

    # The app imports TensorFlow only to retrain, so the reruns are measured first, as a user meets them,
    # then again once TensorFlow and the Keras models are loaded, as after a retraining.
    warm = warm_reruns(20)
    results = {"machine": machine(), "latency": inspector_against_keras(args.repeats)}
    results["warm_rerun"] = warm
    results["warm_rerun_after_tensorflow"] = warm_reruns(20)
    results["cold_start"] = cold_start(5)
    if not args.skip_training:
        results["training"] = training_speed()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
