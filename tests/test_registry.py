"""The theorem -> module table (reductions.registry) names real modules and real entry points."""

from __future__ import annotations

import pytest

from reductions.errors import ReductionError
from reductions.registry import THEOREMS, get_theorem, load


def test_every_theorem_one_to_six_has_a_module_with_its_entry_point() -> None:
    assert sorted(THEOREMS) == [f"thm{i}" for i in range(1, 7)]
    for tid in THEOREMS:
        module = load(tid)
        entry = get_theorem(tid).entry
        assert entry and callable(getattr(module, entry)), (tid, entry)


def test_unknown_theorem_is_a_typed_error() -> None:
    with pytest.raises(ReductionError, match="known: thm1"):
        get_theorem("thm7")
