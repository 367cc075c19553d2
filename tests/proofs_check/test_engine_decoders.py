"""The three batched decoders: perfect predictors score 100 %, batched == one-instance machine runs, illegal steps
are caught by the exact machine (proofs_check/experiments/decoders.py)."""

from __future__ import annotations

import numpy as np
import pytest

from machines.errors import DisciplineViolation, LimitExceeded
from machines.neural.config import ModelConfig, standard_rotary
from machines.neural.model import Transformer
from machines.neural.predictor import NeuralPredictor
from machines.paradigms import AOMDM, APMDM, ARM
from machines.predictor import Prediction
from machines.vocab import simple_vocabulary
from proofs_check.experiments.decoders import (
    NeuralBatchPredictor,
    aomdm_margin_decode,
    apmdm_rollout,
    arm_greedy_decode,
    oracle_batch,
)
from proofs_check.experiments.maxflow import evaluate, held_out
from reductions.tasks.maxflow import FLOW_VOCAB, M, encode_instance, predictor, run_maxflow, transitions


# -- AP-MDM ----------------------------------------------------------------------------------------------------------
def test_the_oracle_predictor_scores_100_percent_on_held_out_graphs():
    res = evaluate(oracle_batch(predictor), sizes=(4, 6, 8), count=4, seed=11)
    assert res["accuracy"] == 100.0 and res["n"] == 12
    assert all(e["correct"] == 4 and not e["failures"] for e in res["per_size"].values())


def test_a_looping_model_is_stopped_at_twice_the_oracle_steps_of_each_graph():
    """The evaluation's step cap is per graph: 2x that graph's oracle steps (maxflow.CAP_MULTIPLE).  A predictor
    that toggles one token forever never reaches a fixed point or EOS, so every run ends at its own cap."""
    import proofs_check.experiments.maxflow as mf

    src = FLOW_VOCAB.id_of("[SRC]")

    def toggle(x, rng):
        y = x.copy()
        remask = (x == M).astype(np.int64)  # keep every mask masked ...
        if x[1] == M:
            y[1], remask[1] = src, 0  # ... except position 1, refilled when it is masked
        else:
            remask[1] = 1  # and masked when it is not
        z = np.zeros(len(x), np.int64)
        return Prediction(y=y, remask=remask, insert=z, delete=z)

    res = evaluate(oracle_batch(toggle), sizes=(4, 9), count=3, seed=4)
    for n in ("4", "9"):
        e = res["per_size"][n]
        assert e["failures"] == {"halt:max-steps": 3}
        oracle = [run_maxflow(i).steps for i in held_out(int(n), 3, 4, stream="test")]
        assert e["mean_steps"] == round(float(np.mean([min(mf.MAX_STEPS, 2 * k) for k in oracle])), 2)
        assert e["mean_oracle_steps"] == round(float(np.mean(oracle)), 2)


def test_evaluate_draws_each_held_out_graph_once_and_counts_the_ones_seen_in_training(monkeypatch):
    import proofs_check.experiments.maxflow as mf

    # independent expectation: the first two size-4 test graphs are planted in the "training" keys
    planted = held_out(4, 2, seed=5)
    keys = {(i.nodes, i.edges, i.s, i.t) for i in planted}
    drawn = []
    real = mf.official_instance

    def counting(nodes, rng):
        drawn.append(nodes)
        return real(nodes, rng)

    monkeypatch.setattr(mf, "official_instance", counting)
    res = evaluate(oracle_batch(predictor), sizes=(4, 5), count=3, seed=5, train_keys=keys)
    assert sorted(drawn) == [4, 4, 4, 5, 5, 5]  # one draw per held-out graph, not one for rollout and one for overlap
    assert res["per_size"]["4"]["seen_in_training"] == 2 and res["per_size"]["5"]["seen_in_training"] == 0
    assert res["accuracy"] == 100.0


def test_oracle_rollout_reproduces_every_oracle_run_step_for_step():
    insts = held_out(5, 3, seed=2) + held_out(9, 3, seed=2)
    rolls = apmdm_rollout(oracle_batch(predictor), [encode_instance(i) for i in insts], vocab=FLOW_VOCAB,
                          max_steps=400)
    for inst, r in zip(insts, rolls, strict=True):
        ref = run_maxflow(inst)
        assert (r.halt_reason, r.steps) == ("eos", ref.steps)
        assert np.array_equal(r.final, ref.final)


def _random_model(seed: int) -> tuple[ModelConfig, dict[str, np.ndarray]]:
    cfg = ModelConfig(vocab_size=FLOW_VOCAB.size, mask_id=M, d_model=16, n_heads=2, n_layers=2,
                      rotary=standard_rotary(8), init_std=0.5, ctrl_bias=0.0)
    rng = np.random.default_rng(seed)
    params = Transformer(cfg).init(rng, np.float64)
    params["head.tok.w"] = rng.normal(0, 1.0, params["head.tok.w"].shape)  # the token head starts at zero
    params["head.ctrl.w"] = rng.normal(0, 1.0, params["head.ctrl.w"].shape)
    params["head.ctrl.b"] = np.array([-1.0, -2.5, 0.0])
    return cfg, params


def _single(predict, x0, *, max_steps, max_length):
    """One-instance run on :class:`machines.paradigms.APMDM`: (final, halt, steps, error or None)."""
    machine = APMDM(vocab=FLOW_VOCAB, predictor=predict, max_steps=max_steps, max_length=max_length)
    it = machine.trace(x0)
    x, steps = np.asarray(x0), 0
    try:
        for rec in it:
            x, steps = rec.x_next, rec.t
    except LimitExceeded as exc:
        return x, ("max-steps" if exc.limit_name == "max_steps" else "illegal"), steps, str(exc)
    except DisciplineViolation as exc:
        return x, "illegal", steps, str(exc)
    return x, it.result.halt_reason, steps, None


def test_batched_rollout_equals_one_instance_runs():
    reasons, steps_seen = set(), set()
    for seed in (0, 1, 2):
        cfg, params = _random_model(seed)
        insts = [i for n in (3, 4, 5, 6) for i in held_out(n, 2, seed=seed)]
        x0s = [encode_instance(i) for i in insts]
        max_steps, max_length = 12, 120
        batched = apmdm_rollout(NeuralBatchPredictor(config=cfg, params=params, dtype=np.float64), x0s,
                                vocab=FLOW_VOCAB, max_steps=max_steps, max_length=max_length)
        single = NeuralPredictor(config=cfg, params=params, use_table=False)
        for x0, r in zip(x0s, batched, strict=True):
            final, halt, steps, err = _single(single, x0, max_steps=max_steps, max_length=max_length)
            assert (r.halt_reason, r.steps) == (halt, steps)
            assert np.array_equal(r.final, final)
            assert r.error == (err if halt == "illegal" else None)
            reasons.add(halt)
            steps_seen.add(steps)
    # the random models stop for different reasons after different numbers of steps (not all one case)
    assert len(reasons) >= 2 and len(steps_seen) >= 3


def test_an_illegal_step_is_caught_and_stops_only_that_instance():
    insts = held_out(4, 4, seed=0)
    x0s = [encode_instance(i) for i in insts]
    bad_first = {int(x0s[1][2]), int(x0s[3][2])}  # instances 1 and 3 (told apart by their source node)

    def cheat(x, rng):
        p = predictor(x)
        masks = np.flatnonzero((x == M) & ~p.remask.astype(bool))
        if int(x[2]) in bad_first and masks.size:
            y = p.y.copy()
            if int(x[2]) == int(x0s[1][2]):
                y[masks[0]] = M  # writes MASK at an unmasked position
            else:
                y[masks[0]] = FLOW_VOCAB.size + 3  # a token outside the vocabulary
            return Prediction(y=y, remask=p.remask, insert=p.insert, delete=p.delete)
        return p

    rolls = apmdm_rollout(oracle_batch(cheat), x0s, vocab=FLOW_VOCAB, max_steps=400)
    for k in (0, 2):
        assert rolls[k].halt_reason == "eos" and np.array_equal(rolls[k].final, run_maxflow(insts[k]).final)
    assert rolls[1].halt_reason == "illegal" and "MASK" in (rolls[1].error or "")
    assert rolls[3].halt_reason == "illegal" and "not in the vocabulary" in (rolls[3].error or "")
    assert rolls[1].steps == rolls[3].steps == 1  # stopped at the first unmasking step (INIT_SLOT2)
    # the same predictor on the one-instance machine raises the same violation
    with pytest.raises(DisciplineViolation, match="MASK"):
        APMDM(vocab=FLOW_VOCAB, predictor=cheat).run(x0s[1])


def test_runaway_growth_hits_the_length_cap_as_an_illegal_step():
    def grow(x, rng):
        return Prediction(y=x.copy(), insert=np.ones(len(x), np.int64), remask=(x == M).astype(np.int64))

    r = apmdm_rollout(oracle_batch(grow), [encode_instance(held_out(4, 1, 0)[0])], vocab=FLOW_VOCAB, max_steps=50,
                      max_length=200)[0]
    assert r.halt_reason == "illegal" and "max_length" in (r.error or "") and r.steps == 2


# -- AO-MDM: Top-K probability margin --------------------------------------------------------------------------------
DIG = simple_vocabulary([str(d) for d in range(10)] + ["|"])  # MASK 0, digits 1..10, '|' 11
SEP = DIG.id_of("|")


def _sort_task(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """prompt digits | sorted digits (the answer masked)."""
    digits = rng.integers(1, 11, size=n)
    full = np.concatenate([digits, [SEP], np.sort(digits)])
    x0 = full.copy()
    x0[n + 1:] = DIG.mask_id
    return x0, full


def _sort_logits(xs):
    """A perfect model of the sort task whose confidence grows with the position (so the margin order is
    right-to-left, not left-to-right)."""
    out = []
    for x in xs:
        n = int(np.flatnonzero(x == SEP)[0])
        ans = np.sort(x[:n])
        lg = np.zeros((len(x), DIG.size))
        for i in range(n + 1, len(x)):
            lg[i, ans[i - n - 1]] = 1.0 + i
        out.append(lg)
    return out


def test_margin_decoding_with_a_perfect_model_scores_100_percent_and_follows_the_margin_order():
    rng = np.random.default_rng(0)
    cases = [_sort_task(rng, int(n)) for n in rng.integers(2, 7, size=20)]
    rolls = aomdm_margin_decode(_sort_logits, [c[0] for c in cases], vocab=DIG)
    for (x0, full), r in zip(cases, rolls, strict=True):
        assert r.halt_reason == "no-masks" and np.array_equal(r.final, full)
        assert r.steps == int((x0 == DIG.mask_id).sum())
    # order: the most confident mask first, i.e. right to left here (a left-to-right decoder would fail this)
    x0, _ = cases[0]
    seen = []

    def recording(xs):
        seen.append(np.flatnonzero(xs[0] == DIG.mask_id).tolist())
        return _sort_logits(xs)

    aomdm_margin_decode(recording, [x0], vocab=DIG, k=1)
    filled = [next(p for p in a if p not in b) for a, b in zip(seen, seen[1:] + [[]], strict=True)]
    assert filled == sorted(np.flatnonzero(x0 == DIG.mask_id).tolist(), reverse=True) and len(filled) >= 2
    # k = 2: two masks per step (an MDM step), still the two most confident first
    two = aomdm_margin_decode(_sort_logits, [x0], vocab=DIG, k=2)[0]
    assert two.steps == -(-len(filled) // 2) and np.array_equal(two.final, cases[0][1])


def test_batched_margin_decoding_equals_the_one_instance_ao_mdm_machine():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(DIG.size, DIG.size))

    def noisy(xs):  # a deterministic, imperfect model: logits from the neighbouring tokens
        return [np.roll(W[x], 1, axis=0) + 0.5 * W[np.roll(x, -1)] for x in xs]

    cases = [_sort_task(rng, int(n))[0] for n in rng.integers(2, 8, size=10)]
    rolls = aomdm_margin_decode(noisy, cases, vocab=DIG)

    def one(x, r):  # the same rule on one sequence, as an AO-MDM predictor
        lg = noisy([x])[0].copy()
        lg[:, DIG.mask_id] = -np.inf
        p = np.exp(lg - lg.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        top = np.sort(p, axis=1)
        margin = np.where(x == DIG.mask_id, top[:, -1] - top[:, -2], -np.inf)
        pos = int(np.argmax(margin))  # first maximum: the leftmost on ties
        unmask = np.zeros(len(x), np.int64)
        unmask[pos] = 1
        return Prediction(y=np.where(x == DIG.mask_id, p.argmax(axis=1), x), unmask=unmask)

    for x0, r in zip(cases, rolls, strict=True):
        ref = AOMDM(vocab=DIG, predictor=one).run(x0)
        assert np.array_equal(r.final, ref.final) and r.steps == ref.counters.steps


# -- ARM greedy ------------------------------------------------------------------------------------------------------
REV = simple_vocabulary([str(d) for d in range(10)] + ["|"], eos=True)  # MASK 0, EOS 1, digits 2..11, '|' 12


def _reverse_logits(xs):
    """A perfect next-token model of 'digits | reversed digits EOS' (logits at every position; the decoder reads
    the last)."""
    out = []
    sep = REV.id_of("|")
    for x in xs:
        n = int(np.flatnonzero(x == sep)[0])
        written = len(x) - n - 1
        target = x[n - 1 - written] if written < n else REV.eos_id
        lg = np.zeros((len(x), REV.size))
        lg[-1, target] = 3.0
        out.append(lg)
    return out


def test_greedy_decoding_with_a_perfect_model_scores_100_percent_and_equals_the_arm_machine():
    rng = np.random.default_rng(2)
    sep = REV.id_of("|")
    prompts = [np.concatenate([rng.integers(2, 12, size=int(n)), [sep]]) for n in rng.integers(1, 9, size=15)]
    rolls = arm_greedy_decode(_reverse_logits, prompts, vocab=REV, max_new=50)
    for p, r in zip(prompts, rolls, strict=True):
        assert r.halt_reason == "done"
        assert np.array_equal(r.final, np.concatenate([p, p[:-1][::-1], [REV.eos_id]]))

        def one(x, rng_):
            y = x.copy()
            y[-1] = int(np.argmax(_reverse_logits([x])[0][-1]))
            return Prediction(y=y)

        ref = ARM(vocab=REV, predictor=one).run(p)
        assert np.array_equal(ref.final, r.final) and ref.halt_reason == r.halt_reason
    capped = arm_greedy_decode(_reverse_logits, prompts[:3], vocab=REV, max_new=1)
    assert all(r.halt_reason == "max-new" and r.steps == 1 for r in capped if len(r.final) - 1 > 0)


def test_teacher_forced_step_accuracy_is_100_for_the_oracle_and_drops_for_a_wrong_one():
    from proofs_check.experiments.maxflow import step_accuracy

    assert step_accuracy(oracle_batch(predictor), sizes=(4, 6), count=2, seed=1) == {"4": 100.0, "6": 100.0}

    def lazy(x, rng):  # never inserts: wrong on every INIT_SLOT1 / expand step, right on none of those
        p = predictor(x)
        return Prediction(y=p.y, remask=p.remask, insert=np.zeros(len(x), np.int64), delete=p.delete)

    acc = step_accuracy(oracle_batch(lazy), sizes=(4,), count=2, seed=1, stride=1)["4"]
    assert 0.0 < acc < 100.0


def test_teacher_forced_by_operation_blames_exactly_the_inserting_operations():
    """A predictor that never inserts is wrong on exactly the operations whose step inserts (the operation table of
    docs/experiment_maxflow.md: INIT_SLOT1, INIT_SLOT2, APPEND_EOA_E, CUT_DELETE_AND_EXPAND) and right on every other
    one; the per-operation counts add up to the per-size accuracy."""
    from proofs_check.experiments.maxflow import teacher_forced

    def lazy(x, rng):
        p = predictor(x)
        return Prediction(y=p.y, remask=p.remask, insert=np.zeros(len(x), np.int64), delete=p.delete)

    inserting = {"INIT_SLOT1", "INIT_SLOT2", "APPEND_EOA_E", "CUT_DELETE_AND_EXPAND"}
    res = teacher_forced(oracle_batch(lazy), sizes=(4, 5), count=3, seed=2)
    by_op = res["by_operation"]
    assert inserting <= set(by_op) and {"BFS_LAYER_R", "AUG_FLIP", "APPEND_EOS"} <= set(by_op)
    for op, e in by_op.items():
        assert e["correct"] == (0 if op in inserting else e["n"]), (op, e)
    total = sum(e["n"] for e in by_op.values())
    right = sum(e["correct"] for e in by_op.values())
    assert total == sum(len(transitions(i)) for n in (4, 5) for i in held_out(n, 3, 2, stream="test"))
    per_size_right = sum(res["per_size"][str(n)] * sum(len(transitions(i)) for i in held_out(n, 3, 2, stream="test"))
                         for n in (4, 5)) / 100.0
    assert abs(per_size_right - right) < 0.05


def test_teacher_forced_counts_a_prediction_refused_by_g_as_a_wrong_step_of_its_operation():
    """A predictor that, at APPEND_EOS, unmasks the last position to MASK itself (which g refuses) is wrong on
    exactly the APPEND_EOS steps, one per graph, and right on everything else; the refusal does not stop the count."""
    from machines.errors import TransitionError
    from machines.transition import apply_g
    from proofs_check.experiments.maxflow import teacher_forced
    from reductions.tasks.maxflow import decide

    def refused_at_eos(x, rng):
        op, p = decide(x)
        if op != "APPEND_EOS":
            return p
        y = p.y.copy()
        y[-1] = M
        return Prediction(y=y, remask=p.remask, insert=p.insert, delete=p.delete)

    x_eos = next(t.x for t in transitions(held_out(4, 1, 3, stream="test")[0]) if decide(t.x)[0] == "APPEND_EOS")
    bad = refused_at_eos(x_eos, None)
    with pytest.raises(TransitionError):  # the premise: g refuses this prediction
        apply_g(x_eos, bad.y, bad.remask, bad.insert, bad.delete, mask_id=M)
    res = teacher_forced(oracle_batch(refused_at_eos), sizes=(4, 6), count=2, seed=3)
    by_op = res["by_operation"]
    assert by_op["APPEND_EOS"]["n"] == 4 and by_op["APPEND_EOS"]["correct"] == 0
    assert all(e["correct"] == e["n"] for op, e in by_op.items() if op != "APPEND_EOS")
    for n in (4, 6):
        k = sum(len(transitions(i)) for i in held_out(n, 2, 3, stream="test"))
        assert res["per_size"][str(n)] == round(100.0 * (k - 2) / k, 2)


def _causal_model(seed: int, **kw) -> tuple[ModelConfig, dict[str, np.ndarray]]:
    cfg = ModelConfig(vocab_size=REV.size, mask_id=REV.mask_id, d_model=16, n_heads=2, n_layers=2, causal=True,
                      init_std=0.5, **kw)
    rng = np.random.default_rng(seed)
    params = Transformer(cfg).init(rng, np.float64)
    params["head.tok.w"] = rng.normal(0, 1.0, params["head.tok.w"].shape)
    return cfg, params


@pytest.mark.parametrize("kw", [{"rotary": standard_rotary(8)}, {"rel_clip": 3}, {"window": 4, "rel_clip": 2}])
def test_kv_cached_greedy_decoding_equals_full_recompute(kw):
    from machines.neural.decode import CausalKVCache
    from proofs_check.experiments.decoders import NeuralBatchLogits, arm_greedy_decode_cached

    cfg, params = _causal_model(7, **kw)
    rng = np.random.default_rng(3)
    prompts = [rng.integers(2, REV.size, size=int(n)) for n in rng.integers(1, 9, size=8)]
    stops = [REV.eos_id, 5, 7]  # more stop tokens, so that runs of a random model have different lengths
    full = arm_greedy_decode(NeuralBatchLogits(config=cfg, params=params, dtype=np.float64), prompts, vocab=REV,
                             max_new=12, stop_ids=stops)
    cached = arm_greedy_decode_cached(cfg, params, prompts, vocab=REV, max_new=12, stop_ids=stops, dtype=np.float64)
    for a, b in zip(full, cached, strict=True):
        assert np.array_equal(a.final, b.final) and (a.halt_reason, a.steps) == (b.halt_reason, b.steps)
    assert len({r.steps for r in full}) >= 2
    # logits at every position equal the dense causal forward
    net = Transformer(cfg)
    x = rng.integers(1, REV.size, size=(1, 10))
    kv = CausalKVCache(net, params, batch=1, capacity=10)
    got = np.stack([kv.step(np.array([0]), x[:, t])[0] for t in range(10)])
    want, _ = net.forward(params, x, np.ones((1, 10), bool))
    assert np.allclose(got, want.token[0], atol=1e-10)
