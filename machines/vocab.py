"""Vocabularies: named tokens with integer ids and a distinguished MASK.

Two kinds share one base class, :class:`BaseVocabulary` (the special ids, encode / decode and the id range are
written once there; a kind says only how names and ids map):

* :class:`Vocabulary` -- an explicit, finite list of names (tasks: parity, Sudoku, max-flow, Dyck).
* :class:`WordVocabulary` -- a few named specials followed by every integer word in ``[lo, hi]``; the name of a
  word is its decimal string.  The PRAM constructions of Theorems 1 and 4 use it: one token holds one O(log n)-bit
  machine word, as in the paper's log-precision setting.

Token ids are ``int`` (arrays use ``numpy.int64``); names are ``str``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from machines.errors import VocabularyError

MASK_NAME = "[MASK]"
#: The name every powergen vocabulary with a start-of-sequence marker gives it (``simple_vocabulary``, parity, the
#: demos); a trace header listing it must name it as ``bos`` (:mod:`machines.trace`).
BOS_NAME = "[BOS]"


class BaseVocabulary(ABC):
    """What every vocabulary offers: ids ``0..size-1``, a MASK (and optional BOS / EOS) among them, and the
    conversions between names and ids.  A kind defines :attr:`size`, :meth:`id_of`, :meth:`name_of`, :attr:`names`
    and :meth:`to_json`; the rest is shared.

    Examples
    --------
    >>> v = Vocabulary(tokens=("[MASK]", "a", "b"), eos="b")
    >>> isinstance(v, BaseVocabulary), v.mask_id, v.eos_id, v.contains_id(np.array([-1, 2, 3])).tolist()
    (True, 0, 2, [False, True, False])
    """

    mask: str
    bos: str | None
    eos: str | None

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of ids."""

    @property
    @abstractmethod
    def names(self) -> tuple[str, ...]:
        """The names a trace header lists."""

    @abstractmethod
    def id_of(self, name: str) -> int:
        """The id of ``name``; :class:`~machines.errors.VocabularyError` if there is none."""

    @abstractmethod
    def name_of(self, token_id: int) -> str:
        """The name of ``token_id``; :class:`~machines.errors.VocabularyError` if it is out of range."""

    @abstractmethod
    def to_json(self) -> dict[str, object]:
        """The JSON form read back by :func:`vocabulary_from_json`."""

    def __len__(self) -> int:
        return self.size

    @property
    def mask_id(self) -> int:
        return self.id_of(self.mask)

    @property
    def bos_id(self) -> int | None:
        return None if self.bos is None else self.id_of(self.bos)

    @property
    def eos_id(self) -> int | None:
        return None if self.eos is None else self.id_of(self.eos)

    def encode(self, names: Iterable[str]) -> np.ndarray:
        return np.array([self.id_of(n) for n in names], dtype=np.int64)

    def decode(self, ids: Iterable[int] | np.ndarray) -> list[str]:
        return [self.name_of(i) for i in np.asarray(ids, dtype=np.int64).ravel().tolist()]

    def contains_id(self, ids: np.ndarray) -> np.ndarray:
        a = np.asarray(ids, dtype=np.int64)
        return (a >= 0) & (a < self.size)


@dataclass(frozen=True)
class Vocabulary(BaseVocabulary):
    """A finite vocabulary.

    Parameters
    ----------
    tokens
        Token names; the id of a token is its index.  Must contain ``mask``.
    mask, bos, eos
        Names of the special tokens; ``bos`` and ``eos`` are optional.

    Examples
    --------
    >>> v = Vocabulary(tokens=("[MASK]", "0", "1"))
    >>> v.encode(["1", "[MASK]"]).tolist(), v.decode([2, 1])
    ([2, 0], ['1', '0'])
    """

    tokens: tuple[str, ...]
    mask: str = MASK_NAME
    bos: str | None = None
    eos: str | None = None
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(self.tokens))
        problems = []
        seen: dict[str, int] = {}
        for i, name in enumerate(self.tokens):
            if not isinstance(name, str) or not name:
                problems.append(f"token {i} must be a non-empty string, got {name!r}")
            elif name in seen:
                problems.append(f"token {name!r} appears twice (ids {seen[name]} and {i})")
            else:
                seen[name] = i
        for role in ("mask", "bos", "eos"):
            name = getattr(self, role)
            if name is not None and name not in seen:
                problems.append(f"{role} token {name!r} is not in the vocabulary")
        if problems:
            raise VocabularyError("invalid vocabulary: " + "; ".join(problems))
        object.__setattr__(self, "_index", seen)

    @property
    def size(self) -> int:
        return len(self.tokens)

    @property
    def names(self) -> tuple[str, ...]:
        """All token names in id order (what a trace header lists)."""
        return self.tokens

    # -- conversions ---------------------------------------------------------------------------------------
    def id_of(self, name: str) -> int:
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise VocabularyError(f"unknown token {name!r}") from None

    def name_of(self, token_id: int) -> str:
        i = int(token_id)
        if not 0 <= i < len(self.tokens):
            raise VocabularyError(f"unknown token id {i} (vocabulary has ids 0..{len(self.tokens) - 1})")
        return self.tokens[i]

    def to_json(self) -> dict[str, object]:
        return {"kind": "names", "tokens": list(self.tokens), "mask": self.mask, "bos": self.bos, "eos": self.eos}


@dataclass(frozen=True)
class WordVocabulary(BaseVocabulary):
    """Named specials (ids ``0..k-1``) followed by the integer words ``lo..hi`` (ids ``k..k+hi-lo``).

    Examples
    --------
    >>> v = WordVocabulary(specials=("[MASK]", "[SEP]"), lo=-4, hi=4)
    >>> v.id_of("-4"), v.id_of("[SEP]"), v.word_to_id(3), v.id_to_word(v.word_to_id(-2))
    (2, 1, 9, -2)
    """

    specials: tuple[str, ...]
    lo: int
    hi: int
    mask: str = MASK_NAME
    bos: str | None = None
    eos: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "specials", tuple(self.specials))
        problems = []
        if len(set(self.specials)) != len(self.specials):
            problems.append("special names repeat")
        for name in self.specials:
            if _is_int_name(name):
                problems.append(f"special {name!r} looks like a word")
        if self.hi < self.lo:
            problems.append(f"hi ({self.hi}) < lo ({self.lo})")
        for role in ("mask", "bos", "eos"):
            name = getattr(self, role)
            if name is not None and name not in self.specials:
                problems.append(f"{role} token {name!r} is not among the specials")
        if problems:
            raise VocabularyError("invalid word vocabulary: " + "; ".join(problems))

    @property
    def size(self) -> int:
        return len(self.specials) + (self.hi - self.lo + 1)

    @property
    def offset(self) -> int:
        """Id of the word ``lo``."""
        return len(self.specials)

    @property
    def names(self) -> tuple[str, ...]:
        """The specials only: words are named by their decimal value and are not listed."""
        return self.specials

    def word_to_id(self, value: int | np.ndarray) -> np.ndarray | int:
        v = np.asarray(value, dtype=np.int64)
        if np.any((v < self.lo) | (v > self.hi)):
            bad = v[(v < self.lo) | (v > self.hi)].ravel()[0]
            raise VocabularyError(f"word {int(bad)} is outside the vocabulary's range [{self.lo}, {self.hi}]")
        out = v - self.lo + self.offset
        return int(out) if out.ndim == 0 else out

    def id_to_word(self, token_id: int | np.ndarray) -> np.ndarray | int:
        t = np.asarray(token_id, dtype=np.int64)
        if np.any((t < self.offset) | (t >= self.size)):
            raise VocabularyError("token id is not a word id")
        out = t - self.offset + self.lo
        return int(out) if out.ndim == 0 else out

    def is_word(self, ids: np.ndarray) -> np.ndarray:
        a = np.asarray(ids, dtype=np.int64)
        return (a >= self.offset) & (a < self.size)

    def id_of(self, name: str) -> int:
        if isinstance(name, str) and name in self.specials:
            return self.specials.index(name)
        if isinstance(name, str) and _is_int_name(name):
            return int(self.word_to_id(int(name)))
        raise VocabularyError(f"unknown token {name!r}")

    def name_of(self, token_id: int) -> str:
        i = int(token_id)
        if 0 <= i < len(self.specials):
            return self.specials[i]
        if self.offset <= i < self.size:
            return str(i - self.offset + self.lo)
        raise VocabularyError(f"unknown token id {i} (vocabulary has ids 0..{self.size - 1})")

    def to_json(self) -> dict[str, object]:
        return {"kind": "words", "specials": list(self.specials), "lo": self.lo, "hi": self.hi,
                "mask": self.mask, "bos": self.bos, "eos": self.eos}


def vocabulary_from_json(obj: object) -> BaseVocabulary:
    """Inverse of ``to_json`` for both vocabulary kinds; raises :class:`VocabularyError` on malformed input."""
    if not isinstance(obj, dict):
        raise VocabularyError("a vocabulary must be a JSON object")
    kind = obj.get("kind", "names")
    try:
        if kind == "names":
            return Vocabulary(tokens=tuple(obj["tokens"]), mask=obj.get("mask", MASK_NAME),
                              bos=obj.get("bos"), eos=obj.get("eos"))
        if kind == "words":
            return WordVocabulary(specials=tuple(obj["specials"]), lo=int(obj["lo"]), hi=int(obj["hi"]),
                                  mask=obj.get("mask", MASK_NAME), bos=obj.get("bos"), eos=obj.get("eos"))
    except (KeyError, TypeError) as exc:
        raise VocabularyError(f"malformed vocabulary: {exc}") from None
    raise VocabularyError(f"unknown vocabulary kind {kind!r}")


def _is_int_name(name: str) -> bool:
    s = name[1:] if name.startswith("-") else name
    return s.isdigit() and (s == "0" or not s.startswith("0"))


def simple_vocabulary(names: Sequence[str], *, bos: bool = False, eos: bool = False) -> Vocabulary:
    """``[MASK]`` (id 0), then ``[BOS]``/``[EOS]`` if asked, then ``names``."""
    specials = [MASK_NAME] + ([BOS_NAME] if bos else []) + (["[EOS]"] if eos else [])
    return Vocabulary(tokens=tuple(specials + list(names)), bos=BOS_NAME if bos else None,
                      eos="[EOS]" if eos else None)
