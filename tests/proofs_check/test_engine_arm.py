"""The edit-log ARM baseline of graph editing: a perfect ARM scores 100 % through replay and the certificate, wrong
logs fail, the sampler scores only the log (proofs_check/experiments/maxflow_arm.py)."""

from __future__ import annotations

import numpy as np

from proofs_check.experiments.decoders import arm_greedy_decode
from proofs_check.experiments.maxflow import held_out
from proofs_check.experiments.maxflow_arm import (
    ARM_VOCAB,
    END,
    arm_sequence,
    judge_log,
    oracle_arm_finals,
    sequence_sampler,
)


def _teacher(full_by_prompt, corrupt_at=None):
    """Next-token logits read off the oracle sequence of the prompt (optionally one wrong token at a position)."""

    def logits(xs):
        out = []
        for x in xs:
            key = next(k for k in full_by_prompt if len(x) >= len(k) and tuple(x[:len(k)]) == k)
            full = full_by_prompt[key]
            tok = int(full[len(x)])
            if corrupt_at is not None and len(x) == len(key) + corrupt_at:
                tok = ARM_VOCAB.id_of("#3") if tok != ARM_VOCAB.id_of("#3") else ARM_VOCAB.id_of("#4")
            lg = np.zeros((len(x), ARM_VOCAB.size))
            lg[-1, tok] = 1.0
            out.append(lg)
        return out

    return logits


def _cases(seed):
    insts = held_out(4, 3, seed) + held_out(6, 2, seed)
    seqs = [arm_sequence(i) for i in insts]
    full_by_prompt = {tuple(s[:n]): s for s, n in seqs}
    return insts, seqs, full_by_prompt


def test_a_perfect_arm_scores_100_percent_through_replay_and_certificate():
    insts, seqs, full = _cases(0)
    rolls = arm_greedy_decode(_teacher(full), [s[:n] for s, n in seqs], vocab=ARM_VOCAB, max_new=4000,
                              stop_ids=[END])
    finals = oracle_arm_finals(insts)
    for inst, (s, n), r, fin in zip(insts, seqs, rolls, finals, strict=True):
        assert r.halt_reason == "done" and np.array_equal(r.final, s)
        assert judge_log(inst, r.final[n:], fin) == ""


def test_a_wrong_position_in_the_log_fails():
    insts, seqs, full = _cases(1)
    rolls = arm_greedy_decode(_teacher(full, corrupt_at=1), [s[:n] for s, n in seqs], vocab=ARM_VOCAB,
                              max_new=4000, stop_ids=[END])
    finals = oracle_arm_finals(insts)
    reasons = [judge_log(inst, r.final[n:], fin) for inst, (_, n), r, fin in zip(insts, seqs, rolls, finals,
                                                                                 strict=True)]
    assert all(reasons), reasons
    assert judge_log(insts[0], [ARM_VOCAB.id_of("@")], finals[0]) == "no-end"
    assert judge_log(insts[0], [ARM_VOCAB.id_of("@"), END], finals[0]) == "unreplayable"


def test_the_sampler_scores_exactly_the_log_and_end():
    insts, seqs, _ = _cases(2)
    sample = sequence_sampler([s for s, _ in seqs], [n for _, n in seqs], 4, mask_id=ARM_VOCAB.mask_id)
    x, valid, loss_fn = sample(np.random.default_rng(0))
    from machines.neural.model import Outputs

    V = ARM_VOCAB.size
    out = Outputs(np.zeros(x.shape + (V,)), np.zeros(x.shape + (3,)))
    res = loss_fn(out)
    # uniform logits over V - 1 tokens (MASK forbidden): the loss is log(V - 1) whatever the number of targets
    assert abs(res.loss - np.log(V - 1)) < 1e-9
    lens = valid.sum(axis=1)
    prompt_of = {len(s): n for s, n in seqs}
    scored = np.abs(res.d_token).sum(axis=-1) > 0  # position i is scored on token i+1
    for r in range(4):
        n = prompt_of[int(lens[r])]
        assert np.array_equal(np.flatnonzero(scored[r]), np.arange(n - 1, int(lens[r]) - 1))
