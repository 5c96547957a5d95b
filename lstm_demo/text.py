"""The text pipeline of the reviews model: normalise, tokenise, build a vocabulary, encode.

One function, `encode`, turns a review into model ids both for training and
for what a person types in the app, so the two can never drift apart. Ids:
0 is padding, 1 is out of vocabulary, 2.. are the most frequent training
words, most frequent first; every id is below the vocabulary size.
"""

from __future__ import annotations

import collections
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

PAD_ID = 0
OOV_ID = 1
PAD_TOKEN = "<pad>"
OOV_TOKEN = "<oov>"

_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A word is a run of letters or digits in any script, with inner apostrophes kept
# ("don't", "it's"). Every other character separates words and is dropped.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def normalize(text: str) -> str:
    """Lowercase, turn HTML line breaks into spaces and unify apostrophes."""
    text = _LINE_BREAK.sub(" ", text)
    text = html.unescape(text)
    return text.translate(_APOSTROPHES).lower()


def tokenize(text: str) -> list[str]:
    """Split a review into lowercase words, keeping contractions and dropping punctuation."""
    return _WORD.findall(normalize(text))


@dataclass
class Vocabulary:
    """Word-to-id table of the most frequent training words, with padding and OOV ids reserved."""

    words: list[str]  # words[i] has id i + 2
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {word: i + 2 for i, word in enumerate(self.words)}

    @property
    def size(self) -> int:
        return len(self.words) + 2

    def id_of(self, token: str) -> int:
        return self._index.get(token, OOV_ID)

    def token_of(self, token_id: int) -> str:
        if token_id == PAD_ID:
            return PAD_TOKEN
        if token_id == OOV_ID:
            return OOV_TOKEN
        return self.words[token_id - 2]

    @classmethod
    def build(cls, texts: Iterable[str], size: int) -> "Vocabulary":
        """Keep the `size - 2` most frequent tokens; ties go to the word seen first."""
        counts = collections.Counter()
        for text in texts:
            counts.update(tokenize(text))
        return cls([word for word, _ in counts.most_common(size - 2)])

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps({"pad_id": PAD_ID, "oov_id": OOV_ID, "words": self.words}))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        content = json.loads(Path(path).read_text())
        if content.get("pad_id") != PAD_ID or content.get("oov_id") != OOV_ID:
            raise ValueError(f"vocabulary {path} reserves other ids than padding 0 and OOV 1")
        return cls(list(content["words"]))


@dataclass(frozen=True)
class EncodedText:
    """A review as the model receives it, with what was lost on the way."""

    ids: np.ndarray  # (maxlen,) int32, token ids then PAD_ID padding after the text
    tokens: list[str]  # every token of the text, including those cut off
    length: int  # tokens the model reads (<= maxlen)

    @property
    def truncated(self) -> int:
        """Number of tokens cut off after the first `maxlen`."""
        return len(self.tokens) - self.length

    @property
    def is_empty(self) -> bool:
        return self.length == 0

    @property
    def read_tokens(self) -> list[str]:
        return self.tokens[: self.length]

    @property
    def oov(self) -> np.ndarray:
        """(length,) bool: True where a read token is out of vocabulary."""
        return self.ids[: self.length] == OOV_ID


def encode(text: str, vocabulary: Vocabulary, maxlen: int) -> EncodedText:
    """Turn a review into `maxlen` ids: the first `maxlen` tokens, padded after the text.

    This is TFLearn's `pad_sequences(padding="post", truncating="post")`, the
    tutorial's choice. Text without any word gives `length == 0` and all-padding
    ids; callers check `is_empty` and show a hint instead of predicting.
    """
    tokens = tokenize(text)
    length = min(len(tokens), maxlen)
    ids = np.full(maxlen, PAD_ID, dtype=np.int32)
    for position, token in enumerate(tokens[:length]):
        ids[position] = vocabulary.id_of(token)
    return EncodedText(ids=ids, tokens=tokens, length=length)


def encode_many(texts: Iterable[str], vocabulary: Vocabulary, maxlen: int) -> tuple[np.ndarray, np.ndarray]:
    """Encode texts for training: (samples, maxlen) int32 ids and (samples,) int32 lengths."""
    texts = list(texts)
    ids = np.zeros((len(texts), maxlen), dtype=np.int32)
    lengths = np.zeros(len(texts), dtype=np.int32)
    for row, text in enumerate(texts):
        encoded = encode(text, vocabulary, maxlen)
        ids[row] = encoded.ids
        lengths[row] = encoded.length
    return ids, lengths
