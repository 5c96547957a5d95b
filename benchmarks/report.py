"""Write BENCHMARKS.md from the JSON results in benchmarks/results/.

    python benchmarks/report.py

Run it after benchmarks/app_speed.py, training_speed.py, load_test.py and
tflearn_vs_keras.py; a missing result file leaves its section out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
OUTPUT = ROOT / "BENCHMARKS.md"


def read(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.is_file() else None


def percent(value) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def machine_section(speed: dict) -> list[str]:
    machine = speed["machine"]
    return [
        "## Machine",
        "",
        f"{machine['cpu']}, {machine['cores']} cores; Python {machine['python']}, NumPy {machine['numpy']}, "
        f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}, Streamlit {machine['streamlit']}; "
        f"measured on {machine['date']}.",
        "",
    ]


def latency_section(speed: dict) -> list[str]:
    lines = [
        "## One prediction with every internal: the NumPy inspector against Keras",
        "",
        "p50 of repeated calls on one input (a test digit; a review of exactly 100 tokens). The inspector",
        "returns h, c and all gates of every step; the Keras calls return only the probabilities.",
        "",
        "| model | parameters | test accuracy | inspector | model.predict | model(x) | predict_on_batch | tf.function | inspector speed-up over predict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in speed["latency"]:
        lines.append(
            f"| {row['task']} {row['config']} | {row['parameters']:,} | {percent(row['test_accuracy'])} "
            f"| {row['inspector']['p50_ms']:.2f} ms | {row['model_predict']['p50_ms']:.1f} ms "
            f"| {row['model_call']['p50_ms']:.1f} ms | {row['predict_on_batch']['p50_ms']:.1f} ms "
            f"| {row['tf_function']['p50_ms']:.1f} ms | {row['speedup_vs_predict']:.0f}x |"
        )
    rerun = speed["warm_rerun"]
    cold = speed["cold_start"]
    lines += [
        "",
        "## The app",
        "",
        "| measurement | result | target |",
        "| --- | --- | --- |",
        f"| cold start: server start to first prediction in Chromium (p50 of {cold['runs']}) | {cold['p50_s']} s | 3 s |",
    ]
    if "first_chart_p50_s" in cold:
        lines.append(f"| cold start: server start to first chart in Chromium (p50) | {cold['first_chart_p50_s']} s | none |")
    lines += [
        f"| warm rerun of the digits page after a new input (AppTest, p50) | {rerun['digits_p50_ms']} ms | 150 ms |",
        f"| warm rerun of the reviews page after a new input (AppTest, p50) | {rerun['reviews_p50_ms']} ms | 150 ms |",
    ]
    after = speed.get("warm_rerun_after_tensorflow")
    if after:
        lines += [
            f"| the same, digits, once TensorFlow and the Keras models are loaded (as after a retraining) "
            f"| {after['digits_p50_ms']} ms | 150 ms |",
            f"| the same, reviews, once TensorFlow and the Keras models are loaded | {after['reviews_p50_ms']} ms | 150 ms |",
        ]
    lines.append("")
    return lines


def models_section(speed: dict, tflearn: dict | None) -> list[str]:
    lines = [
        "## Models: seed, improved and TFLearn",
        "",
        "Test accuracy on the full test sets (10,000 images, 24,996 reviews) and training time per epoch",
        "from the model cards; cards record the machine load only indirectly, so times from a busy",
        "machine are upper bounds.",
        "",
        "| model | epochs | test accuracy | parameters | seconds per epoch | inspector p50 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in speed["latency"]:
        lines.append(
            f"| {row['task']} {row['config']} | {row['epochs']} | {percent(row['test_accuracy'])} | {row['parameters']:,} "
            f"| {row['seconds_per_epoch']} | {row['inspector']['p50_ms']:.2f} ms |"
        )
    if tflearn:
        runs: dict[str, int] = {}
        for row in tflearn.get("results", []):
            if row["implementation"].startswith("TFLearn"):
                runs[row["task"]] = runs.get(row["task"], 0) + 1
                lines.append(
                    f"| {row['task']} TFLearn tutorial script, run {runs[row['task']]} | {row['epochs']} "
                    f"| {percent(row['test_accuracy'])} | n/a | {row['seconds_per_epoch']} | n/a |"
                )
    lines.append("")
    return lines


def training_section(training: dict | None, speed: dict) -> list[str]:
    lines = []
    if "training" in speed:
        result = speed["training"]
        lines += [
            "## Training the seed digits network",
            "",
            "| measurement | seconds | target |",
            "| --- | --- | --- |",
            f"| one epoch on {result['digits_10000_images_samples']:,} images | {result['digits_10000_images_s']} | 15 |",
            f"| one epoch on the full training set ({result['digits_full_epoch_samples']:,} images) "
            f"| {result['digits_full_epoch_s']} | 1.5x faster than TFLearn |",
            "",
        ]
    if training:
        lines += [
            f"### What the usual options give (one epoch on {training['images']:,} images, batch 64)",
            "",
            f"Load average {training['load_average_start']:.1f} at the start, {training['load_average_end']:.1f} at the end.",
            "",
            "| variant | seconds | training accuracy |",
            "| --- | --- | --- |",
        ]
        for name, result in training["variants"].items():
            lines.append(f"| {name} | {result['seconds']} | {result['accuracy']:.3f} |")
        lines.append("")
    return lines


def load_section(load: dict | None) -> list[str]:
    if not load:
        return []
    concurrent = load["concurrent"]
    retrain = load["retrain_while_predicting"]
    long_session = load["long_session"]
    return [
        "## Load and long sessions (benchmarks/load_test.py)",
        "",
        "| measurement | result | target |",
        "| --- | --- | --- |",
        f"| {concurrent['sessions']} concurrent Chromium sessions, {concurrent['predictions']} predictions: errors "
        f"| {len(concurrent['errors'])} | 0 |",
        f"| input to shown prediction, p50 / p95 | {concurrent['p50_s']} s / {concurrent['p95_s']} s | |",
        f"| server memory: start, after the sessions, end | {load['memory_start_mb']} / "
        f"{load['memory_after_concurrent_mb']} / {load['memory_end_mb']} MB | |",
        f"| one session retraining while {retrain['viewers']} predict: errors | {len(retrain['errors'])} | 0 |",
        f"| {long_session['reruns']} reruns of the digits page: memory growth | {long_session.get('digits_growth_mb')} MB | < 50 MB |",
        f"| {long_session['reruns']} reruns of the reviews page: memory growth | {long_session.get('reviews_growth_mb')} MB | < 50 MB |",
        f"| Keras imported during the reruns (no Keras objects can accumulate) | {long_session['keras_imported']} | False |",
        "",
    ]


def main() -> int:
    speed = read("app_speed.json")
    if speed is None:
        print("benchmarks/results/app_speed.json is missing: run benchmarks/app_speed.py first", file=sys.stderr)
        return 2
    tflearn = read("tflearn_vs_keras.json")
    lines = ["# Benchmarks", "", "Written by `python benchmarks/report.py` from `benchmarks/results/*.json`.", ""]
    lines += machine_section(speed)
    lines += latency_section(speed)
    lines += models_section(speed, tflearn)
    lines += training_section(read("training_speed.json"), speed)
    lines += load_section(read("load_test.json"))
    if (RESULTS / "tflearn_vs_keras.md").is_file():
        lines += ["## TFLearn tutorial against the Keras seed models", "",
                  "See [benchmarks/results/tflearn_vs_keras.md](benchmarks/results/tflearn_vs_keras.md).", ""]
    notes = RESULTS / "notes.md"
    if notes.is_file():
        lines += [notes.read_text().rstrip(), ""]
    OUTPUT.write_text("\n".join(lines))
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
