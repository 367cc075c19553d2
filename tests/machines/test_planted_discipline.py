"""Every paradigm rule, broken on random sequences (issue 13 §3, class 2).

For each paradigm a *valid* prediction is built for a random sequence and then broken in exactly one way (remask,
insert, delete, unmask a decoded token, write MASK or an id outside the vocabulary, unmask nothing / two / not the
leftmost, an unmask vector that disagrees with g, an ARM writing after its EOS).  The rule each break violates, and
the position it names, are worked out here from PAPER.md §1.3-1.6 (the table :data:`EXPECT`), not read from
:mod:`machines.discipline`.  The unbroken prediction must be accepted, so a check that rejects everything fails too.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from machines.discipline import advance
from machines.errors import DisciplineViolation
from machines.paradigms import ARM, machine_class
from machines.predictor import Prediction
from machines.records import StepRecord
from machines.trace import parse_trace, replay, trace_lines
from machines.vocab import simple_vocabulary

V = simple_vocabulary(["a", "b"], bos=True, eos=True)  # [MASK]=0 [BOS]=1 [EOS]=2 a=3 b=4
MK, BOS, EOS, A, B = 0, 1, 2, 3, 4
MDM_FAMILY = ("mdm", "ao-mdm", "masked-arm")

#: (paradigm, break) -> a fragment of the rule's wording, checked so a rejection for another rule does not count
EXPECT = {
    **{(p, c): "only unmasks" for p in MDM_FAMILY for c in ("remask", "insert", "delete")},
    **{(p, "unmask-decoded"): "frozen" for p in MDM_FAMILY},
    **{(p, "write-mask"): "MASK" for p in (*MDM_FAMILY, "ap-mdm", "arm")},
    **{(p, "write-foreign"): "not in the vocabulary" for p in (*MDM_FAMILY, "ap-mdm", "arm")},
    **{(p, "unmask-nothing"): "non-empty" for p in MDM_FAMILY},
    **{(p, "no-unmask-vector"): "needs an unmask vector" for p in MDM_FAMILY},
    ("ao-mdm", "unmask-two"): "exactly one",
    ("masked-arm", "unmask-two"): "exactly one",
    ("masked-arm", "unmask-not-leftmost"): "leftmost",
    **{("arm", c): "never changes" for c in ("remask", "insert", "delete", "unmask")},
    ("ap-mdm", "unmask-vector-disagrees"): "unmask vector",
}


def _bits(n: int, *pos: int) -> np.ndarray:
    z = np.zeros(n, dtype=np.int64)
    for p in pos:
        z[p] = 1
    return z


def valid(paradigm: str, x: np.ndarray) -> Prediction:
    """A prediction obeying ``paradigm``'s rules on ``x`` (x has a mask for the MDM family)."""
    n = x.shape[0]
    y = np.full(n, A, dtype=np.int64)
    if paradigm == "arm":
        return Prediction(y=y)
    if paradigm == "ap-mdm":
        return Prediction(y=y)
    return Prediction(y=y, unmask=_bits(n, int(np.flatnonzero(x == MK)[0])))


def broken(paradigm: str, kind: str, x: np.ndarray, i: int) -> tuple[Prediction, int | None]:
    """The valid prediction broken by ``kind`` (``i`` picks a position); returns it and the position named."""
    n = x.shape[0]
    ok = valid(paradigm, x)
    masks, decoded = np.flatnonzero(x == MK), np.flatnonzero(x != MK)
    if kind in ("remask", "insert", "delete", "unmask") and paradigm in ("arm", *MDM_FAMILY):
        pos = i % n
        bits = _bits(n, pos)
        if kind == "unmask":
            return replace(ok, unmask=bits), pos
        return replace(ok, **{kind: bits}), pos
    if kind == "unmask-decoded":
        assume(decoded.size)
        j = int(decoded[i % decoded.size])
        return replace(ok, unmask=ok.unmask | _bits(n, j)), j
    written = n - 1 if paradigm == "arm" else int(masks[0]) if paradigm in MDM_FAMILY else None
    if kind in ("write-mask", "write-foreign"):
        if paradigm == "ap-mdm":  # every mask is unmasked by g when nothing is remasked or deleted
            assume(masks.size)
            written = int(masks[i % masks.size])
        y = ok.y.copy()
        y[written] = MK if kind == "write-mask" else V.size + (i % 3)
        return replace(ok, y=y), written
    if kind == "unmask-nothing":
        return replace(ok, unmask=np.zeros(n, dtype=np.int64)), None
    if kind == "no-unmask-vector":
        return replace(ok, unmask=None), None
    if kind == "unmask-two":
        assume(masks.size >= 2)
        return replace(ok, unmask=_bits(n, int(masks[0]), int(masks[1 + i % (masks.size - 1)]))), None
    if kind == "unmask-not-leftmost":
        assume(masks.size >= 2)
        j = int(masks[1 + i % (masks.size - 1)])
        return replace(ok, unmask=_bits(n, j)), j
    if kind == "unmask-vector-disagrees":
        claimed = (x == MK).astype(np.int64)
        pos = i % n
        claimed[pos] ^= 1
        return replace(ok, unmask=claimed), pos
    raise AssertionError(kind)


sequences = st.lists(st.sampled_from([MK, MK, A, B, BOS]), min_size=1, max_size=8).map(
    lambda v: np.array(v, dtype=np.int64))


@pytest.mark.parametrize("paradigm, kind", sorted(EXPECT), ids=[f"{p}:{k}" for p, k in sorted(EXPECT)])
@given(x=sequences, i=st.integers(0, 50))
def test_each_broken_rule_is_rejected_for_that_rule(paradigm: str, kind: str, x: np.ndarray, i: int) -> None:
    if paradigm in MDM_FAMILY:
        assume((x == MK).any())
    if paradigm == "arm":
        x = np.where(x == MK, B, x)  # an ARM context holds no masks
    ok = valid(paradigm, x)
    advance(paradigm, x, ok, step=1, mask_id=MK, vocab_size=V.size)  # the unbroken prediction is accepted
    pred, pos = broken(paradigm, kind, x, i)
    with pytest.raises(DisciplineViolation) as exc:
        advance(paradigm, x, pred, step=3, mask_id=MK, vocab_size=V.size)
    e = exc.value
    assert EXPECT[paradigm, kind] in e.rule, (e.rule, paradigm, kind)
    assert (e.paradigm, e.step, e.position) == (paradigm, 3, pos)
    # the machines apply the same rules
    m = machine_class(paradigm)(vocab=V, predictor=lambda x_, rng: pred)
    with pytest.raises(DisciplineViolation) as exc2:
        m.run(x)
    assert EXPECT[paradigm, kind] in exc2.value.rule


def test_arm_never_writes_after_its_eos() -> None:
    calls = []

    def pred(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        calls.append(len(x))
        y = np.full(len(x), A)
        y[-1] = EOS if len(x) == 2 else A
        return Prediction(y=y)

    r = ARM(vocab=V, predictor=pred, max_steps=10).run(np.array([BOS]), keep_records=True)
    assert V.decode(r.final) == ["[BOS]", "a", "[EOS]"] and r.halt_reason == "done" and calls == [1, 2]
    # a trace in which the ARM goes on after EOS is refused by replay
    recs = list(r.records or [])
    x3 = r.final
    extra = StepRecord(t=3, x=x3, prediction=Prediction(y=np.full(len(x3), A)), x_next=np.append(x3, A))
    lines = trace_lines(paradigm="arm", vocab=V, records=[*recs, extra], halt_reason="done",
                        start=np.array([BOS]))
    rep = replay(parse_trace("\n".join(lines)))
    assert not rep.ok and rep.first_bad_step == 3 and "EOS" in (rep.reason or "")


@given(x=sequences, ins=st.integers(0, 3))
def test_length_cap_is_exact_for_the_paradigms_that_grow(x: np.ndarray, ins: int) -> None:
    """A step whose output has length ``L`` passes ``max_length=L`` and raises at ``max_length=L-1``."""
    from machines.errors import LimitExceeded

    arm_x = np.where(x == MK, B, x)
    n = x.shape[0]
    k = min(ins, n)
    insert = _bits(n, *range(k))
    cases = [("arm", arm_x, Prediction(y=np.full(n, A)), n + 1),
             ("ap-mdm", x, Prediction(y=np.full(n, A), insert=insert), n + k)]
    for (paradigm, xs, pred, out_len), cap_shift in itertools.product(cases, range(-2, 3)):
        cap = out_len + cap_shift
        if cap >= out_len:
            r = advance(paradigm, xs, pred, step=1, mask_id=MK, vocab_size=V.size, max_length=cap)
            assert r.x_next.shape[0] == out_len
        else:
            with pytest.raises(LimitExceeded):
                advance(paradigm, xs, pred, step=1, mask_id=MK, vocab_size=V.size, max_length=cap)
