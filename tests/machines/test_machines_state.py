"""A hypothesis RuleBasedStateMachine drives an AP-MDM step by step against a plain Python list model.

Each rule draws the next prediction (y and the 3-bit control); the model applies Algorithm 1 by hand
(``apply_g_reference``) and predicts what the machine must do: take a step with that result, stop at a fixed point,
stop on EOS, or raise ``LimitExceeded`` for the length cap.  Invariants compare the machine's counters, length and
mask count with the model after every rule.

The predictor here reads the drawn plan from the test (not a pure function of the sequence): it is a test harness
standing in for "some predictor", not a construction.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from machines.errors import LimitExceeded
from machines.paradigms import APMDM
from machines.predictor import Prediction
from machines.records import StepIterator
from machines.transition import apply_g_reference
from machines.vocab import simple_vocabulary

V = simple_vocabulary(["a", "b"], eos=True)  # [MASK]=0 [EOS]=1 a=2 b=3
M, EOS = V.mask_id, int(V.eos_id or 0)
MAX_LENGTH = 24
TOKENS = st.sampled_from([M, M, 2, 3])


class APMDMAgainstList(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.plan: Prediction | None = None
        self.machine = APMDM(vocab=V, predictor=self._predict, max_steps=10_000, max_length=MAX_LENGTH)
        self.model: list[int] = []
        self.it: StepIterator | None = None
        self.runs = 0

    def _predict(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        assert self.plan is not None and len(self.plan.y) == len(x)
        return self.plan

    def _restart(self, seq: list[int]) -> None:
        self.model = list(seq)
        self.it = self.machine.trace(np.array(seq, dtype=np.int64))
        self.steps = self.tokens = self.unmasked = self.remasked = self.inserted = self.deleted = 0
        self.peak = len(seq)
        self.start_len, self.start_masks = len(seq), seq.count(M)
        self.runs += 1

    @initialize(start=st.lists(TOKENS, max_size=8))
    def start(self, start: list[int]) -> None:
        self._restart(start)

    @precondition(lambda self: self.it is not None)
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        assert self.it is not None
        n = len(self.model)
        bits = st.lists(st.sampled_from([0, 0, 1]), min_size=n, max_size=n)
        y = data.draw(st.lists(st.sampled_from([EOS, 2, 3, 3, 2]), min_size=n, max_size=n), label="y")
        r, e, c = data.draw(bits, label="remask"), data.draw(bits, label="insert"), data.draw(bits, label="delete")
        self.plan = Prediction(y=np.array(y, dtype=np.int64), remask=np.array(r), insert=np.array(e),
                               delete=np.array(c))
        want = apply_g_reference(self.model, y, r, e, c, mask_id=M)
        if len(want) > MAX_LENGTH:
            with pytest.raises(LimitExceeded) as exc:
                next(self.it)
            assert exc.value.limit_name == "max_length"
            event("length cap")
            self._restart(self.model)
            return
        if want == self.model:
            with pytest.raises(StopIteration):
                next(self.it)
            assert self.it.result is not None and self.it.result.halt_reason == "fixed-point"
            assert self.it.result.final.tolist() == self.model
            event("fixed point")
            self._restart(self.model)
            return
        rec = next(self.it)
        assert rec.x.tolist() == self.model and rec.x_next.tolist() == want and rec.t == self.steps + 1
        # the plain model of the counters
        deleted = [ci == 1 and xi == M for xi, ci in zip(self.model, c, strict=True)]
        used = [xi == M and not ri and not di for xi, ri, di in zip(self.model, r, deleted, strict=True)]
        self.steps += 1
        self.tokens += n
        self.unmasked += sum(used)
        self.remasked += sum(1 for xi, ri in zip(self.model, r, strict=True) if ri and xi != M)
        self.inserted += sum(1 for ei, di in zip(e, deleted, strict=True) if ei and not di)
        self.deleted += sum(deleted)
        self.peak = max(self.peak, len(want))
        wrote_eos = any(u and yi == EOS for u, yi in zip(used, y, strict=True))
        self.model = want
        if wrote_eos:
            with pytest.raises(StopIteration):
                next(self.it)
            assert self.it.result is not None and self.it.result.halt_reason == "eos"
            assert self.it.result.counters.steps == self.steps
            event("eos")
            self._restart(self.model)

    @invariant()
    def counters_agree(self) -> None:
        if self.it is None:
            return
        c = self.it.counters
        assert (c.steps, c.tokens_processed, c.peak_length) == (self.steps, self.tokens, self.peak)
        assert (c.unmasked, c.remasked, c.inserted, c.deleted) == (self.unmasked, self.remasked, self.inserted,
                                                                    self.deleted)

    @invariant()
    def length_and_masks_agree(self) -> None:
        """|x_t| = |x_0| + inserted - deleted and #M(x_t) = #M(x_0) - unmasked + remasked + inserted - deleted."""
        if self.it is None:
            return
        c = self.it.counters
        assert len(self.model) == self.start_len + c.inserted - c.deleted <= MAX_LENGTH
        assert self.model.count(M) == self.start_masks - c.unmasked + c.remasked + c.inserted - c.deleted


TestAPMDMAgainstList = APMDMAgainstList.TestCase
TestAPMDMAgainstList.settings = settings(stateful_step_count=20)
