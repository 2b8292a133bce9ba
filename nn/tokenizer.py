"""A character tokenizer: each character is a token id, plus one BOS token that starts and ends a text.

The ids are the characters in sorted order (``'a'`` is 0 for lowercase names) and BOS is
the last id, so ``vocab_size`` is the number of characters plus one.  A language model
reads ``[BOS, e, m, m, a]`` and learns to predict ``[e, m, m, a, BOS]``: BOS on the left
says "a name starts here", BOS on the right "the name is over".

>>> tok = CharTokenizer(["emma", "ava"])
>>> tok.chars, tok.bos, tok.vocab_size
('aemv', 4, 5)
>>> tok.encode("emma", bos=True)
[4, 1, 2, 2, 0, 4]
>>> tok.decode([4, 1, 2, 2, 0, 4])
'emma'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["CharTokenizer"]


class CharTokenizer:
    """Token ids for the characters of ``texts`` (sorted), and ``bos`` = the number of characters.

    ``encode(text, bos=False)`` gives one id per character, wrapped in BOS on both sides with
    ``bos=True``; ``decode(ids)`` joins the characters back, leaving BOS out.

    >>> tok = CharTokenizer(["ab", "ba"])
    >>> tok
    CharTokenizer(chars='ab', bos=2)
    >>> tok.encode("abc")
    Traceback (most recent call last):
    ...
    ValueError: CharTokenizer.encode: character 'c' at position 2 of 'abc' is not in the vocabulary 'ab'
    """

    def __init__(self, texts: Iterable[str]):
        if isinstance(texts, str):
            raise TypeError("CharTokenizer: texts must be a list of strings, got one str (wrap it in a list)")
        chars: set[str] = set()
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"CharTokenizer: texts[{i}] must be a str, got {type(text).__name__} {text!r}")
            chars.update(text)
        if not chars:
            raise ValueError("CharTokenizer: the texts have no characters at all; cannot build a vocabulary")
        self.chars = "".join(sorted(chars))
        self.bos = len(self.chars)
        self._ids = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        """How many token ids there are: the characters and BOS."""
        return self.bos + 1

    def encode(self, text: str, bos: bool = False) -> list[int]:
        """The token ids of ``text``; with ``bos=True`` wrapped as ``[BOS, ..., BOS]``."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: text must be a str, got {type(text).__name__} {text!r}")
        ids = []
        for i, c in enumerate(text):
            token = self._ids.get(c)
            if token is None:
                raise ValueError(f"CharTokenizer.encode: character {c!r} at position {i} of {text!r} is not in "
                                 f"the vocabulary {self.chars!r}")
            ids.append(token)
        return [self.bos, *ids, self.bos] if bos else ids

    def decode(self, ids: Sequence[int]) -> str:
        """The text of token ids, BOS tokens left out."""
        out = []
        for i, token in enumerate(ids):
            if isinstance(token, bool) or not isinstance(token, int) or not 0 <= token <= self.bos:
                raise ValueError(f"CharTokenizer.decode: ids[{i}] must be a token id in 0..{self.bos}, got {token!r}")
            if token != self.bos:
                out.append(self.chars[token])
        return "".join(out)

    def __repr__(self) -> str:
        return f"CharTokenizer(chars={self.chars!r}, bos={self.bos})"
