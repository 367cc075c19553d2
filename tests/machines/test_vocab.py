"""Vocabularies: validation (every problem at once), encode/decode round trips, JSON round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.errors import MachineError, VocabularyError
from machines.vocab import MASK_NAME, Vocabulary, WordVocabulary, simple_vocabulary, vocabulary_from_json


def test_vocabulary_reports_every_problem_at_once() -> None:
    with pytest.raises(VocabularyError) as exc:
        Vocabulary(tokens=("a", "a", ""), mask="[MASK]", eos="[EOS]")
    msg = str(exc.value)
    for part in ("appears twice", "non-empty string", "mask token", "eos token"):
        assert part in msg
    assert isinstance(exc.value, MachineError) and isinstance(exc.value, ValueError)


def test_unknown_names_and_ids() -> None:
    v = simple_vocabulary(["a", "b"], eos=True)
    assert v.mask_id == 0 and v.eos_id == 1 and v.bos_id is None and v.size == len(v) == 4
    with pytest.raises(VocabularyError, match="unknown token 'z'"):
        v.encode(["a", "z"])
    with pytest.raises(VocabularyError, match="unknown token id 4"):
        v.decode([0, 4])
    with pytest.raises(VocabularyError, match="unknown token id -1"):
        v.name_of(-1)
    assert v.contains_id(np.array([-1, 0, 3, 4])).tolist() == [False, True, True, False]


@given(st.lists(st.sampled_from(["[MASK]", "[EOS]", "a", "b"]), max_size=20))
def test_encode_decode_round_trip(names: list[str]) -> None:
    v = simple_vocabulary(["a", "b"], eos=True)
    ids = v.encode(names)
    assert ids.dtype == np.int64 and v.decode(ids) == names


def test_word_vocabulary() -> None:
    v = WordVocabulary(specials=(MASK_NAME, "[SEP]", "[EOS]"), lo=-3, hi=5, eos="[EOS]")
    assert v.size == 3 + 9 and v.offset == 3 and v.eos_id == 2
    assert v.decode(v.encode(["-3", "0", "5", "[SEP]"])) == ["-3", "0", "5", "[SEP]"]
    with pytest.raises(VocabularyError, match="outside"):
        v.id_of("6")
    for bad in ("007", "-0x", "1.0", ""):
        with pytest.raises(VocabularyError):
            v.id_of(bad)
    with pytest.raises(VocabularyError):
        v.name_of(v.size)
    assert v.is_word(np.array([0, 3, 11, 12])).tolist() == [False, True, True, False]


def test_word_vocabulary_validation_reports_all() -> None:
    with pytest.raises(VocabularyError) as exc:
        WordVocabulary(specials=("[MASK]", "[MASK]", "12"), lo=3, hi=1, bos="[BOS]")
    msg = str(exc.value)
    for part in ("repeat", "looks like a word", "hi (1) < lo (3)", "bos token"):
        assert part in msg


@pytest.mark.parametrize("vocab", [
    simple_vocabulary(["x", "y"], bos=True, eos=True),
    WordVocabulary(specials=(MASK_NAME, "[BOS]"), lo=0, hi=7, bos="[BOS]"),
])
def test_json_round_trip(vocab: Vocabulary | WordVocabulary) -> None:
    again = vocabulary_from_json(vocab.to_json())
    assert again == vocab and again.mask_id == vocab.mask_id and again.bos_id == vocab.bos_id


@pytest.mark.parametrize("obj", [[], {"kind": "other"}, {"kind": "names"}, {"kind": "words", "specials": ["[MASK]"]}])
def test_json_malformed(obj: object) -> None:
    with pytest.raises(VocabularyError):
        vocabulary_from_json(obj)
