"""The AP-MDM strategies of proofs_check.strategies drive the vectorised g against a plain model of one step."""

from __future__ import annotations

import pytest
from hypothesis import given

from machines.transition import apply_g
from proofs_check.errors import UsageError
from proofs_check.strategies import ApmdmStep, EditLog, apmdm_steps, edit_logs


def _plain_length(step: ApmdmStep) -> int:
    """Independent count: a deleted MASK vanishes with its insert; every other position keeps 1 + insert tokens."""
    return sum(0 if (d and x == step.mask_id) else 1 + i
               for x, i, d in zip(step.x, step.insert, step.delete, strict=True))


@given(apmdm_steps())
def test_vectorised_g_agrees_with_the_reference_on_drawn_states(step: ApmdmStep) -> None:
    fast = apply_g(list(step.x), list(step.y), list(step.remask), list(step.insert), list(step.delete),
                   mask_id=step.mask_id).tolist()
    assert fast == step.apply()
    assert len(fast) == _plain_length(step)
    # a position neither masked, remasked nor followed by an insert keeps its token (in order)
    kept = [x for x, r in zip(step.x, step.remask, strict=True) if x != step.mask_id and not r]
    it = iter(fast)
    assert all(any(t == k for t in it) for k in kept)


@given(edit_logs())
def test_an_edit_log_replays_through_the_vectorised_g(log: EditLog) -> None:
    x = list(log.x0)
    for step, after in zip(log.steps, log.states, strict=True):
        assert tuple(x) == step.x and len(after) == _plain_length(step)
        x = apply_g(x, list(step.y), list(step.remask), list(step.insert), list(step.delete),
                    mask_id=step.mask_id).tolist()
        assert tuple(x) == after


def test_a_bad_vocabulary_is_refused() -> None:
    with pytest.raises(UsageError, match="vocab_size"):
        apmdm_steps(vocab_size=1)
    with pytest.raises(UsageError, match="mask_id"):
        edit_logs(mask_id=7, vocab_size=6)
