"""nn.datasets.names() reads the file shipped in the package; CharTokenizer's ids, BOS and refusals."""

import hashlib
from importlib import resources

import pytest

from nn import CharTokenizer
from nn.datasets import names


def test_names_is_the_shipped_file_with_its_licence_note_beside_it():
    words = names()
    assert len(words) == 32033 and len(set(words)) == 29494
    assert words[:3] == ["emma", "olivia", "ava"] and words[-1] == "zzyzx"
    assert all(w.isalpha() and w.islower() for w in words)
    folder = resources.files("nn").joinpath("data")
    raw = folder.joinpath("names.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
    note = folder.joinpath("README.md").read_text()
    assert "MIT License" in note and "Andrej Karpathy" in note and "makemore" in note
    words.clear()
    assert len(names()) == 32033  # a new list every call


def test_tokenizer_ids_bos_and_round_trip():
    tok = CharTokenizer(names())
    assert tok.chars == "abcdefghijklmnopqrstuvwxyz" and tok.bos == 26 and tok.vocab_size == 27
    assert tok.encode("abz") == [0, 1, 25]
    assert tok.encode("abz", bos=True) == [26, 0, 1, 25, 26]
    assert tok.encode("") == [] and tok.encode("", bos=True) == [26, 26]
    assert tok.decode([26, 7, 8, 26, 26]) == "hi"
    assert all(tok.decode(tok.encode(w, bos=True)) == w for w in names()[:500])


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.encode("Emma"), ValueError, "character 'E' at position 0 of 'Emma' is not in the vocabulary"),
    (lambda t: t.encode(5), TypeError, "text must be a str, got int"),
    (lambda t: t.decode([27]), ValueError, r"ids\[0\] must be a token id in 0..26, got 27"),
    (lambda t: t.decode([1, True]), ValueError, r"ids\[1\] must be a token id"),
    (lambda t: CharTokenizer("emma"), TypeError, "got one str"),
    (lambda t: CharTokenizer(["ok", 3]), TypeError, r"texts\[1\] must be a str"),
    (lambda t: CharTokenizer(["", ""]), ValueError, "no characters at all"),
])
def test_tokenizer_refusals(call, error, message):
    with pytest.raises(error, match=message):
        call(CharTokenizer(names()))
