"""Compare the TFLearn tutorial scripts with the Keras seed models: seconds per epoch and test accuracy.

One run on one machine trains, for each task, the TFLearn script in
``examples/`` (in a subprocess, because TFLearn switches its process to graph
mode) and the Keras ``seed`` configuration of `lstm_demo.config`, which
rebuilds the same network. Both train one epoch with the tutorial's batch
size (digits 64, reviews 32) on the full training set with 10 % held out for
validation, then evaluate on the real test set (MNIST 10,000 images, IMDB
24,996 reviews). Seconds per epoch is the wall time of ``fit``, validation
included.

Writes ``benchmarks/results/tflearn_vs_keras.json`` and
``benchmarks/results/tflearn_vs_keras.md``. Run from the repository root:

    python benchmarks/tflearn_vs_keras.py [--data-dir D] [--limit N] [--test-limit N] [--out-dir DIR]

A full run took 9.5 minutes on 2 CPU cores that other jobs were also using.
``--limit`` and ``--test-limit`` shrink the data for a quick check of the
script itself.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY_ROOT))

from lstm_demo import config, data, imdb_pickle  # noqa: E402

DEFAULT_OUT_DIR = REPOSITORY_ROOT / "benchmarks" / "results"
RESULT_LINE = re.compile(r"RESULT (\{.*\})\s*$")
SCRIPT_TIMEOUT_S = 3 * 3600
PACKAGES = ("tensorflow", "keras", "tflearn", "numpy", "pillow")

NOTES = [
    "TFLearn's `mnist.load_data` returns 55,000 training images (it keeps the first 5,000 as a "
    "validation set that it does not return), so the TFLearn digits script trains on 49,500 and "
    "validates on 5,500. The Keras model trains on 54,000 of the 60,000 and validates on 6,000.",
    "The TFLearn digits script, as in the tutorial, validates every 100 steps (`snapshot_step=100`) "
    "and writes TensorBoard summaries of weights and gradients (`tensorboard_verbose=2`). Both count "
    "in its seconds per epoch. The Keras models validate once, at the end of the epoch.",
    "The TFLearn reviews script reads `imdb.pkl` written by `lstm_demo.imdb_pickle` with the project's "
    "tokenizer, vocabulary built from all 24,996 training reviews and cut to 10,000 ids by `load_data`. "
    "The Keras model builds its 10,000-id vocabulary from its 22,496 training reviews. TFLearn's "
    "`dropout=0.8` keeps 80 % of the LSTM inputs, the same as Keras' `dropout=0.2`.",
    "Each number comes from a single run. The TFLearn scripts set no random seed, so their accuracy "
    "after one epoch changes from run to run.",
]


# ---------------------------------------------------------------- machine and versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": usable,
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
    }


def library_versions() -> dict:
    """Installed versions, read from package metadata so that TFLearn is never imported here."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


# ---------------------------------------------------------------- TFLearn scripts


def run_tflearn_script(script: str, arguments: list[str], log_path: Path) -> dict:
    """Run one example script, keep its output in `log_path` and return the JSON of its RESULT line."""
    command = [sys.executable, f"examples/{script}", *arguments]
    print(f"running {' '.join(command)} (output in {log_path})", file=sys.stderr, flush=True)
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY_ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    with open(log_path, "w") as log:
        completed = subprocess.run(
            command, cwd=REPOSITORY_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, timeout=SCRIPT_TIMEOUT_S
        )
    output = log_path.read_text(errors="replace")
    if completed.returncode != 0:
        raise RuntimeError(f"{script} failed with exit status {completed.returncode}:\n{output[-3000:]}")
    matches = [RESULT_LINE.search(line) for line in output.splitlines()]
    matches = [match for match in matches if match]
    if not matches:
        raise RuntimeError(f"{script} printed no RESULT line:\n{output[-3000:]}")
    return json.loads(matches[-1].group(1))


def measure(run) -> dict:
    """Call `run()` for one result row and add the 1-minute load average before and after it.

    Other processes on the machine slow both sides down, and the load average
    shows how busy the CPUs were. With nothing else running it stays near the
    number of cores, because the training itself keeps them busy.
    """
    load_before = os.getloadavg()[0]
    row = run()
    row["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return row


def measure_both(script: str, arguments: list[str], log_path: Path, configuration, args) -> list[dict]:
    """Rows for one run of the TFLearn `script` and one of the Keras `configuration`, in that order."""
    task = configuration.task
    return [
        measure(lambda: tflearn_row(task, run_tflearn_script(script, arguments, log_path), configuration.batch_size)),
        measure(lambda: run_keras(configuration, args.data_dir, args.limit, args.test_limit)),
    ]


def subset_arguments(limit: int | None, test_limit: int | None) -> list[str]:
    arguments = []
    if limit is not None:
        arguments += ["--limit", str(limit)]
    if test_limit is not None:
        arguments += ["--test-limit", str(test_limit)]
    return arguments


def tflearn_row(task: str, result: dict, batch_size: int) -> dict:
    return {
        "task": task,
        "implementation": "TFLearn tutorial script",
        "epochs": result["epochs"],
        "batch_size": batch_size,
        "train_size": result["train_size"],
        "validation_size": result["validation_size"],
        "test_size": result["test_size"],
        "seconds_per_epoch": result["seconds_per_epoch"],
        "test_accuracy": result["test_accuracy"],
    }


# ---------------------------------------------------------------- Keras models


def run_keras(configuration, data_dir, limit, test_limit) -> dict:
    from lstm_demo import train

    print(f"training Keras {configuration.task}/{configuration.name} for 1 epoch", file=sys.stderr, flush=True)
    prepared = train.prepare(configuration, data_dir, limit, test_limit)
    card = train.train(configuration, prepared, epochs=1).card
    return {
        "task": configuration.task,
        "implementation": f"Keras {configuration.name} model",
        "epochs": card["epochs"],
        "batch_size": configuration.batch_size,
        "train_size": card["train_size"],
        "validation_size": card["validation_size"],
        "test_size": card["test_size"],
        "seconds_per_epoch": card["seconds_per_epoch"],
        "test_accuracy": round(card["test_accuracy"], 4),
    }


# ---------------------------------------------------------------- report


def markdown_report(report: dict) -> str:
    machine = report["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in report["versions"].items())
    lines = [
        "# TFLearn tutorial scripts vs. Keras seed models",
        "",
        f"Measured {report['date']} by `{report['command']}`, in {report['total_minutes']} minutes.",
        "",
        f"- Machine: {machine['nproc']} CPU cores usable, {machine['cpu_model']}, {machine['platform']}.",
        f"- Versions: {versions}.",
    ]

    highest_load = max(max(row["load_average"]) for row in report["results"])
    if highest_load > 1.5 * machine["nproc"]:
        lines.append(
            f"- NOTE: other jobs shared the CPUs during this run (1-minute load average up to "
            f"{highest_load:.1f} on {machine['nproc']} cores). The seconds per epoch are slower than on "
            "an idle machine, and the load changed between rows, so compare their ratios with care."
        )

    subset = report["subset"]
    if subset["limit"] is not None or subset["test_limit"] is not None:
        lines.append(
            f"- NOTE: a quick check on subsets (training limit {subset['limit']}, test limit "
            f"{subset['test_limit']}), not a measurement of the full data sets."
        )

    lines += [
        "",
        "| task | implementation | epochs | batch size | training samples | validation samples "
        "| test samples | seconds per epoch | training samples per second | test accuracy "
        "| 1-min load average, start / end |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["results"]:
        throughput = row["train_size"] / row["seconds_per_epoch"] if row["seconds_per_epoch"] else float("nan")
        lines.append(
            f"| {row['task']} | {row['implementation']} | {row['epochs']} | {row['batch_size']} "
            f"| {row['train_size']:,} | {row['validation_size']:,} | {row['test_size']:,} "
            f"| {row['seconds_per_epoch']:.1f} | {throughput:,.0f} | {row['test_accuracy']:.4f} "
            f"| {row['load_average'][0]:.1f} / {row['load_average'][1]:.1f} |"
        )

    best = best_throughputs(report["results"], "digits")
    tflearn_best = best.get("TFLearn tutorial script")
    keras_best = best.get("Keras seed model")
    if tflearn_best and keras_best:
        lines += [
            "",
            f"Digits, best run of each side: TFLearn {tflearn_best:,.0f} and Keras {keras_best:,.0f} training samples "
            f"per second, so Keras trains {keras_best / tflearn_best:.2f}x as fast.",
        ]

    lines += ["", "## What differs between the two sides", ""]
    lines += [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def write_report(report: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "tflearn_vs_keras.json"
    markdown_path = out_dir / "tflearn_vs_keras.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    markdown_path.write_text(markdown_report(report))
    return json_path, markdown_path


def best_throughputs(results: list[dict], task: str) -> dict[str, float]:
    """Highest training samples per second of each implementation for `task`."""
    best: dict[str, float] = {}
    for row in results:
        if row["task"] == task and row["seconds_per_epoch"]:
            throughput = row["train_size"] / row["seconds_per_epoch"]
            best[row["implementation"]] = max(best.get(row["implementation"], 0.0), throughput)
    return best


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir", default=None, help="folder with mnist/ and imdb/ (default: $LSTM_DEMO_DATA_DIR, then the download cache)"
    )
    parser.add_argument("--limit", type=int, default=None, help="training samples per task, for a quick check (default: all)")
    parser.add_argument("--test-limit", type=int, default=None, help="test samples per task, for a quick check (default: all)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="folder for the JSON and Markdown results")
    parser.add_argument(
        "--repeats", type=int, default=1,
        help="digits runs of each side, alternating TFLearn and Keras; the summary compares each side's best (default: 1)",
    )
    parser.add_argument("--skip-reviews", action="store_true", help="measure the digits networks only")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    subset = subset_arguments(args.limit, args.test_limit)
    results = []
    try:
        data_dir = data.resolve_data_dir(args.data_dir)[0]
        data.mnist_folder(args.data_dir)
        with tempfile.TemporaryDirectory(prefix="tflearn_vs_keras_") as work_dir:
            work_dir = Path(work_dir)

            digits_arguments = ["--epochs", "1", "--data-dir", str(data_dir), *subset]
            # Alternating the two sides spreads the machine's changes of speed over both of them.
            for _ in range(args.repeats):
                results += measure_both("tflearn_digits.py", digits_arguments, work_dir / "digits.log", config.DIGITS_SEED, args)

            if not args.skip_reviews:
                pickle_path = work_dir / "imdb.pkl"
                print(f"writing {pickle_path}", file=sys.stderr, flush=True)
                imdb_pickle.build_pickle(pickle_path, args.data_dir)
                reviews_arguments = ["--epochs", "1", "--pickle", str(pickle_path), *subset]
                results += measure_both("tflearn_reviews.py", reviews_arguments, work_dir / "reviews.log", config.REVIEWS_SEED, args)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    command = "python benchmarks/tflearn_vs_keras.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command.strip(),
        "total_minutes": round((time.perf_counter() - started) / 60, 1),
        "machine": machine_info(),
        "versions": library_versions(),
        "subset": {"limit": args.limit, "test_limit": args.test_limit},
        "results": results,
        "notes": NOTES,
    }
    json_path, markdown_path = write_report(report, args.out_dir)
    print(markdown_report(report))
    print(f"wrote {json_path} and {markdown_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
