"""Text pipeline: normalisation, tokenisation, vocabulary and encoding."""

import numpy as np

from lstm_demo import text


def small_vocabulary():
    return text.Vocabulary.build(["great movie loved it", "great acting", "don't watch it"], size=10)


def test_markup_and_case_ignored():
    vocabulary = small_vocabulary()
    a = text.encode("GREAT Movie!!<br /><br />Loved it.", vocabulary, 100)
    b = text.encode("great movie loved it", vocabulary, 100)
    assert a.ids.tolist() == b.ids.tolist()
    assert a.length == 4


def test_contractions_kept():
    assert text.tokenize("Don't, won’t; it's!") == ["don't", "won't", "it's"]


def test_unknown_words_get_oov_id():
    encoded = text.encode("great zzqxv blorft", small_vocabulary(), 10)
    assert encoded.ids[:3].tolist()[1:] == [text.OOV_ID, text.OOV_ID]
    assert encoded.oov.tolist() == [False, True, True]


def test_empty_text_has_no_ids():
    for review in ["", "   ", "!!! ... ???", "😀🎬👍"]:
        encoded = text.encode(review, small_vocabulary(), 100)
        assert encoded.is_empty
        assert encoded.length == 0
        assert not encoded.ids.any()


def test_long_text_truncated_like_training():
    vocabulary = small_vocabulary()
    review = ("great movie " * 2000)[:20000]
    encoded = text.encode(review, vocabulary, 100)
    assert len(encoded.ids) == 100
    assert encoded.length == 100
    assert encoded.truncated == len(text.tokenize(review)) - 100
    batch, lengths = text.encode_many([review], vocabulary, 100)
    assert batch[0].tolist() == encoded.ids.tolist()
    assert lengths.tolist() == [100]
    # Keep-first truncation: the first ids are the first words.
    assert encoded.ids[:2].tolist() == [vocabulary.id_of("great"), vocabulary.id_of("movie")]


def test_padding_after_text():
    encoded = text.encode("great movie", small_vocabulary(), 6)
    assert encoded.ids[2:].tolist() == [text.PAD_ID] * 4


def test_vocabulary_ids_below_size(imdb):
    vocabulary = text.Vocabulary.build(imdb["train"].texts[:2000], 10_000)
    assert vocabulary.size <= 10_000
    ids, _ = text.encode_many(imdb["test"].texts[:500], vocabulary, 400)
    assert ids.max() < 10_000
    assert ids.min() >= 0


def test_vocabulary_most_frequent_first():
    vocabulary = text.Vocabulary.build(["b a a c a b"], size=10)
    assert vocabulary.words == ["a", "b", "c"]
    assert vocabulary.id_of("a") == 2


def test_vocabulary_round_trip(tmp_path):
    vocabulary = small_vocabulary()
    vocabulary.save(tmp_path / "vocab.json")
    loaded = text.Vocabulary.load(tmp_path / "vocab.json")
    assert loaded.words == vocabulary.words
    assert loaded.token_of(2) == vocabulary.words[0]


def test_other_scripts_tokenised():
    tokens = text.tokenize("Отличный фильм! 很好 great")
    assert tokens == ["отличный", "фильм", "很好", "great"]
    assert np.all(text.encode("Отличный фильм", small_vocabulary(), 5).oov)
