"""Galleries of real test examples for the pages, built once from the data sets and committed.

The app runs without the data sets, so a few test images and reviews are
stored in ``pretrained/gallery.json`` with the prediction the default model
gave for each when the file was built. Build it again after retraining the
default models:

    python -m lstm_demo.gallery [--data-dir D]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from lstm_demo import artifacts, data, tasks, text
from lstm_demo.preprocess import digit_sequences

GALLERY_FILE = artifacts.PRETRAINED_DIR / "gallery.json"
PER_CLASS = 2  # test digits of each class
MISTAKES = 6  # most confident mistakes of the default model, per task
REVIEWS_PER_CLASS = 4
MAX_REVIEW_WORDS = 80  # short reviews only, so the strip stays readable
TEACHING_REVIEWS = [
    ("not bad at all", "negation of a negative word"),
    ("good", "one positive word"),
    ("not good", "the same word, negated"),
    ("I expected to hate it, but it was wonderful.", "the verdict comes last"),
    ("It was wonderful, but I expected to hate it.", "the same words, reordered"),
]


def default_model(task: str) -> tasks.LoadedModel:
    return tasks.load_pretrained(task, tasks.TASKS[task].default_config)


def _digit_entries(data_dir) -> list[dict]:
    model = default_model("digits")
    mnist = data.load_mnist(data_dir)["test"]
    probabilities = model.inspector.predict_batch(digit_sequences(mnist.x, model.config))
    predicted = probabilities.argmax(axis=1)
    entries = []
    for digit in range(10):
        for index in np.flatnonzero(mnist.y == digit)[:PER_CLASS]:
            entries.append((int(index), f"test image {index}: a {digit}"))
    wrong = np.flatnonzero(predicted != mnist.y)
    confidence = probabilities[wrong, predicted[wrong]]
    for index in wrong[np.argsort(-confidence)][:MISTAKES]:
        entries.append((int(index), f"mistake: test image {index}, a {mnist.y[index]} read as {predicted[index]}"))
    return [
        {
            "id": f"d{index}",
            "title": title,
            "label": int(mnist.y[index]),
            "pixels": mnist.x[index].tolist(),
            "predicted": int(predicted[index]),
            "probability": float(probabilities[index, predicted[index]]),
            "model": model.config.name,
        }
        for index, title in entries
    ]


def _review_entries(data_dir) -> list[dict]:
    model = default_model("reviews")
    imdb = data.load_imdb(data_dir)["test"]
    short = [index for index, review in enumerate(imdb.texts) if len(text.tokenize(review)) <= MAX_REVIEW_WORDS]
    ids, _ = text.encode_many((imdb.texts[index] for index in short), model.vocabulary, model.config.maxlen)
    probabilities = model.inspector.predict_batch(ids)
    predicted = probabilities.argmax(axis=1)
    labels = imdb.y[short]
    chosen = []
    for label in (1, 0):
        correct = [position for position in np.flatnonzero((labels == label) & (predicted == label))][:REVIEWS_PER_CLASS]
        chosen += [(position, f"test review, {tasks.TASKS['reviews'].class_names[label]}") for position in correct]
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    for position in wrong[np.argsort(-confidence)][: MISTAKES // 2]:
        chosen.append((position, f"mistake: {tasks.TASKS['reviews'].class_names[labels[position]]} review read as "
                                 f"{tasks.TASKS['reviews'].class_names[predicted[position]]}"))
    entries = []
    for position, title in chosen:
        index = short[position]
        entries.append({"id": f"r{index}", "title": title, "label": int(imdb.y[index]), "text": imdb.texts[index]})
    entries += [{"id": f"t{number}", "title": f"teaching case: {note}", "label": None, "text": review}
                for number, (review, note) in enumerate(TEACHING_REVIEWS)]
    for entry in entries:
        encoded = text.encode(entry["text"], model.vocabulary, model.config.maxlen)
        probability = model.inspector.predict_batch(encoded.ids[None])[0]
        entry.update(predicted=int(probability.argmax()), probability=float(probability.max()), model=model.config.name)
    return entries


def build(data_dir=None) -> dict:
    return {"digits": _digit_entries(data_dir), "reviews": _review_entries(data_dir)}


def load_gallery() -> dict:
    """Read the committed gallery; empty lists when the file is missing or damaged."""
    try:
        return json.loads(GALLERY_FILE.read_text())
    except (OSError, ValueError):
        return {"digits": [], "reviews": []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_demo.gallery", description="Build pretrained/gallery.json.")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and imdb/ (default: $LSTM_DEMO_DATA_DIR)")
    args = parser.parse_args(argv)
    try:
        gallery = build(args.data_dir)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    artifacts.write_atomically(GALLERY_FILE, lambda path: path.write_text(json.dumps(gallery) + "\n"))
    print(f"wrote {GALLERY_FILE}: {len(gallery['digits'])} digits, {len(gallery['reviews'])} reviews", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
