"""Model files on disk: where they live, model cards, vocabularies and atomic writes.

A trained model is three files sharing a stem, for example ``reviews-masked``:
``reviews-masked.keras`` (the Keras model), ``reviews-masked.json`` (its model
card) and, for reviews, ``reviews-masked.vocab.json``. Nothing here imports
TensorFlow; reading the weights themselves is `lstm_demo.inspector`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lstm_demo.config import DigitsConfig, ReviewsConfig, config_from_dict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PRETRAINED_DIR = PACKAGE_ROOT / "pretrained"
USER_MODELS_VARIABLE = "LSTM_DEMO_USER_MODELS"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ModelFileError(RuntimeError):
    """A model file is missing, damaged or cannot be written."""


def user_models_dir() -> Path:
    """Folder for models retrained and saved from the app; never inside pretrained/."""
    configured = os.environ.get(USER_MODELS_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lstm_demo" / "models"


@dataclass(frozen=True)
class ModelFiles:
    """Paths of one trained model."""

    folder: Path
    stem: str  # "<task>-<name>"

    @property
    def model(self) -> Path:
        return self.folder / f"{self.stem}.keras"

    @property
    def card(self) -> Path:
        return self.folder / f"{self.stem}.json"

    @property
    def vocabulary(self) -> Path:
        return self.folder / f"{self.stem}.vocab.json"

    def read_card(self) -> dict:
        try:
            return json.loads(self.card.read_text())
        except FileNotFoundError as error:
            raise ModelFileError(f"model card {self.card} is missing") from error
        except (OSError, ValueError) as error:
            raise ModelFileError(f"model card {self.card} cannot be read: {error}") from error

    def read_config(self) -> DigitsConfig | ReviewsConfig:
        card = self.read_card()
        try:
            return config_from_dict(card["config"])
        except (KeyError, TypeError) as error:
            raise ModelFileError(f"model card {self.card} has no valid configuration: {error}") from error


def pretrained_files(task: str, name: str) -> ModelFiles:
    return ModelFiles(PRETRAINED_DIR, f"{task}-{name}")


def check_model_name(name: str) -> str:
    """Accept a user-chosen model name made of letters, digits, '_', '.' and '-' only."""
    if not _SAFE_NAME.match(name or ""):
        raise ValueError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def list_saved_models(task: str, folder: Path | None = None) -> list[ModelFiles]:
    """Models of `task` saved in the user models folder, newest first."""
    folder = folder or user_models_dir()
    if not folder.is_dir():
        return []
    found = []
    for card in folder.glob(f"{task}-*.json"):
        if card.name.endswith(".vocab.json"):
            continue
        files = ModelFiles(folder, card.name[: -len(".json")])
        if files.model.is_file():
            found.append(files)
    return sorted(found, key=lambda files: files.model.stat().st_mtime, reverse=True)


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename it over `path`.

    A crash or an error during `write` leaves any previous file at `path` intact.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    temporary = Path(temporary)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json_atomically(path: Path, content: dict) -> None:
    write_atomically(path, lambda temporary: temporary.write_text(json.dumps(content, indent=2) + "\n"))
