"""Max-flow / min-cut as an AP-MDM edit process: instances, generator, the process, certificates, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.trace import read_trace, replay
from machines.transition import apply_g, apply_g_reference
from proofs_check.cli import main
from proofs_check.tour_steps import t70_maxflow
from reductions.errors import InvalidInstance
from reductions.tasks.maxflow import (
    FB,
    FLOW_VOCAB,
    FlowRun,
    M,
    decide,
    encode_instance,
    parse_state,
    predictor,
    run_maxflow,
    transitions,
    verify_run,
)
from reductions.tasks.maxflow_graph import FlowInstance, certificate_problems, generate_instance, max_flow_values

DIAMOND = FlowInstance(nodes=(0, 1, 2, 3), edges=((0, 1), (0, 2), (1, 3), (2, 3), (1, 2)), s=0, t=3)


def _flow_problems(inst: FlowInstance, x: np.ndarray) -> tuple[int, list[str]]:
    """Decode the flow from the edge slots (``M [FB]`` = one unit on u->v); check capacity/conservation."""
    st_ = parse_state(x)
    flow = {(e.u, e.v): int(x[e.slots[1]] == FB) for e in st_.edges}
    problems = [f"edge {e} is not original" for e in flow if e not in set(inst.edges)]
    for v in inst.nodes:
        if v in (inst.s, inst.t):
            continue
        out = sum(f for (a, _), f in flow.items() if a == v)
        inn = sum(f for (_, b), f in flow.items() if b == v)
        if out != inn:
            problems.append(f"conservation fails at {v}")
    value = sum(f for (a, _), f in flow.items() if a == inst.s) - sum(f for (_, b), f in flow.items() if b == inst.s)
    return value, problems


def test_instance_validation_reports_everything() -> None:
    with pytest.raises(InvalidInstance) as exc:
        FlowInstance(nodes=(0, 1, 25), edges=((0, 1), (0, 1), (1, 7)), s=0, t=9)
    msg = str(exc.value)
    for f in ("0..19", "t=9 is not a node", "repeated edge (0, 1)", "(1, 7) has an endpoint"):
        assert f in msg


@pytest.mark.parametrize("kwargs, fragment", [({"nodes": 1}, "2..15"), ({"nodes": 16}, "2..15"),
                                              ({"nodes": 4, "edges": 7}, "1..6"),
                                              ({"nodes": 5, "min_flow": 3, "max_flow": 2}, "empty"),
                                              ({"nodes": 5, "max_flow": 5}, "exceeds")])
def test_generator_refuses_impossible_requests(kwargs: dict[str, int], fragment: str) -> None:
    with pytest.raises(InvalidInstance, match=fragment):
        generate_instance(seed=0, **kwargs)


def test_generator_is_deterministic_and_meets_the_spec() -> None:
    for n in range(4, 11):
        a, b = generate_instance(nodes=n, seed=n), generate_instance(nodes=n, seed=n)
        assert a == b and len(a.nodes) == n and max(a.nodes) <= 14
        ek, pp = max_flow_values(a)
        assert ek == pp >= 1 and nx.has_path(a.digraph(), a.s, a.t)
        assert all((v, u) not in set(a.edges) for u, v in a.edges)


def test_diamond_by_hand() -> None:
    r = run_maxflow(DIAMOND)
    assert r.halt_reason == "eos" and verify_run(r) == []
    assert r.augmentations == 2 and r.deleted == ((0, 1), (0, 2))
    assert r.ops[:3] == ("INIT_SLOT1", "INIT_SLOT2", "INIT_COMMIT")
    assert r.ops[-5:] == ("APPEND_EOA_E", "APPEND_EOA_Y", "CUT_MARK", "CUT_DELETE_AND_EXPAND", "APPEND_EOS")
    assert FLOW_VOCAB.decode(r.final[:6]) == ["[PROMPT]", "[SRC]", "0", "[TGT]", "3", "[GRAPH]"]


@given(st.integers(2, 12), st.integers(0, 10**6))
def test_process_is_g_continuous_and_certified(n: int, seed: int) -> None:
    inst = generate_instance(nodes=n, seed=seed)
    r = run_maxflow(inst)
    assert verify_run(r) == []
    o = r.ops
    assert o.count("BFS_LAYER_R") == o.count("BFS_LAYER_Y") and o.count("AUG_FLIP") == o.count("AUG_RESET")
    assert r.steps == 3 + 2 * o.count("BFS_LAYER_R") + 2 * r.augmentations + 5
    ts = transitions(r)
    assert np.array_equal(ts[0].x, encode_instance(inst)) and np.array_equal(ts[-1].x_next, r.final)
    for a, b in zip(ts, ts[1:], strict=False):
        assert np.array_equal(a.x_next, b.x)
    for tr in ts:
        got = apply_g(tr.x, tr.y, tr.remask, tr.insert, tr.delete, mask_id=M)
        assert np.array_equal(got, tr.x_next)
        # persistent masks: every mask that is not unmasked or deleted carries remask = 1 (Algorithm 1 keeps it)
        is_m = tr.x == M
        assert ((tr.remask == 1) | (tr.delete == 1) | (tr.y != M))[is_m].all()
    for tr in ts[::7]:
        assert apply_g_reference(tr.x.tolist(), tr.y.tolist(), tr.remask.tolist(), tr.insert.tolist(),
                                 tr.delete.tolist(), mask_id=M) == tr.x_next.tolist()
    # the flow before the cut phase is a valid flow whose value is the max-flow value
    k = r.ops.index("APPEND_EOA_E")
    value, problems = _flow_problems(inst, r.records[k].x)
    assert problems == [] and value == max_flow_values(inst)[0] == len(r.deleted) == r.augmentations


@given(st.integers(3, 9), st.integers(0, 10**6))
def test_predictor_is_a_pure_function_of_the_sequence(n: int, seed: int) -> None:
    r = run_maxflow(generate_instance(nodes=n, seed=seed))
    for rec in r.records[::3]:
        x = np.array(rec.x, copy=True)
        p1 = predictor(x, np.random.default_rng(1))
        p2 = predictor(np.array(x), None)
        assert np.array_equal(x, rec.x)  # not mutated
        for f in ("y", "remask", "insert", "delete"):
            assert np.array_equal(getattr(p1, f), getattr(p2, f))
            assert np.array_equal(getattr(p1, f), getattr(rec.prediction, f))


def test_certificates_catch_wrong_answers() -> None:
    inst = generate_instance(nodes=7, seed=11)
    r = run_maxflow(inst)
    assert certificate_problems(inst, list(r.remaining)) == []
    assert certificate_problems(inst, list(inst.edges))  # nothing deleted: path remains
    assert certificate_problems(inst, [])  # everything deleted: not minimum
    fake = FlowRun(instance=r.instance, records=r.records[:-1], final=r.records[-1].x, halt_reason=r.halt_reason,
                   counters=r.counters, ops=r.ops, remaining=r.remaining)
    assert any("EOA" in p for p in verify_run(fake))
    rec = r.records[5]
    bad_y = np.array(rec.prediction.y, copy=True)
    masks = np.flatnonzero((rec.x == M) & (np.asarray(rec.prediction.remask) == 0))
    if masks.size:
        bad_y[masks[0]] = FB if bad_y[masks[0]] != FB else FB + 1
        bad = type(rec)(t=rec.t, x=rec.x, prediction=type(rec.prediction)(
            y=bad_y, remask=rec.prediction.remask, insert=rec.prediction.insert, delete=rec.prediction.delete),
            x_next=rec.x_next)
        recs = (*r.records[:5], bad, *r.records[6:])
        tampered = FlowRun(instance=r.instance, records=recs, final=r.final, halt_reason=r.halt_reason,
                           counters=r.counters, ops=r.ops, remaining=r.remaining)
        assert any("g(x, y, ctrl)" in p for p in verify_run(tampered))


def test_decide_names_every_phase_once_the_run_halts() -> None:
    r = run_maxflow(generate_instance(nodes=8, seed=2))
    assert decide(r.final)[0] == "HALTED"
    p = predictor(r.final)
    assert np.array_equal(apply_g(r.final, p.y, p.remask, p.insert, p.delete, mask_id=M), r.final)  # fixed point


@pytest.mark.slow
def test_certificates_on_many_instances_per_size() -> None:
    for n in range(4, 11):
        for seed in range(30):
            r = run_maxflow(generate_instance(nodes=n, seed=10_000 + seed))
            assert verify_run(r) == [], (n, seed)


@pytest.mark.slow
def test_certificates_on_200_instances_per_size_4_to_10() -> None:
    """1,400 certified runs (about 15 s on one core); the docs' 1,000 per size come from ``maxflow table``."""
    for n in range(4, 11):
        flows = set()
        for seed in range(200):
            inst = generate_instance(nodes=n, seed=50_000 + 1000 * n + seed)
            r = run_maxflow(inst)
            assert verify_run(r) == [], (n, seed)
            flows.add(len(r.deleted))
        assert len(flows) > 1, n  # the instances are not all alike


def test_cli_run_trace_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "m.jsonl"
    assert main(["maxflow", "run", "--nodes", "6", "--seed", "3", "--trace", str(f), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "powergen.maxflow.run/1" and doc["certified"]
    assert len(doc["deleted"]) == doc["max_flow"]["edmonds_karp"] == doc["max_flow"]["preflow_push"]
    tr = read_trace(f)
    assert tr.halt_reason == "eos" and replay(tr).ok and replay(tr).steps == doc["steps"]
    assert main(["trace", "replay", str(f)]) == 0


@pytest.mark.parametrize("argv", [["maxflow", "run", "--nodes", "40"], ["maxflow", "run", "--nodes", "4", "--edges",
                                                                        "9"], ["maxflow", "table", "--sizes", "x"]])
def test_cli_impossible_request_is_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("powergen: error: ")


def test_cli_table_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["maxflow", "table", "--sizes", "4-6", "--count", "3", "--seed", "5", "--json"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out == first
    doc = json.loads(first)
    assert doc["all_certified"] and [r["nodes"] for r in doc["rows"]] == [4, 5, 6]
    assert main(["maxflow", "run", "--nodes", "5"]) == 0
    assert "certificates hold" in capsys.readouterr().out


def test_tour_section() -> None:
    rows = t70_maxflow.run(0)
    assert rows and all(r.status == "ok" for r in rows)


# -- review fixes ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seq, fragment", [
    ([], "ends inside the header"),
    ([0, 1], "ends inside the header"),
    ([5, 5, 5, 5, 5, 5, 5], "bad header"),
    ([0, 1, 2, 2, 2, 3], "not a node id"),                    # s is not a node token
    (list(range(40)), "bad header"),
])
def test_parse_state_rejects_foreign_sequences_with_invalid_instance(seq: list[int], fragment: str) -> None:
    with pytest.raises(InvalidInstance, match=fragment):
        parse_state(seq)


def test_parse_state_rejects_truncated_and_garbled_states() -> None:
    x = encode_instance(generate_instance(nodes=5, seed=1)).tolist()
    for cut in (7, 9, len(x) - 1):
        try:
            parse_state(x[:cut])
        except InvalidInstance:
            pass  # a clear typed error, never a bare IndexError / ValueError
    with pytest.raises(InvalidInstance, match="ends inside a record"):
        parse_state(x[:8])
    bad = list(x)
    bad[6] = 2  # an edge that does not open with "("
    with pytest.raises(InvalidInstance, match="open an edge"):
        parse_state(bad)
    with pytest.raises(InvalidInstance):
        predictor(np.array(x[:8]))


@pytest.mark.parametrize("s, t, fragment", [
    (0.0, 2, "s must be an integer node id, got float"),
    ("0", 2, "s must be an integer node id, got str"),
    (True, 2, "s must be an integer node id, got bool"),
    (0, None, "t must be an integer node id, got NoneType"),
])
def test_flow_instance_checks_the_types_of_s_and_t(s: object, t: object, fragment: str) -> None:
    with pytest.raises(InvalidInstance, match=fragment):
        FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (1, 2)), s=s, t=t)  # type: ignore[arg-type]
    ok = FlowInstance(nodes=(0, 1, 2), edges=((0, 1),), s=np.int64(0), t=np.int32(2))  # type: ignore[arg-type]
    assert type(ok.s) is int and type(ok.t) is int


@pytest.mark.parametrize("where", ["dir", "proc"])
def test_cli_run_refuses_unwritable_trace_before_running(where: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs_check.commands.maxflow as cmd

    def boom(*a: object, **k: object) -> object:
        raise AssertionError("the run started before the output path was checked")

    monkeypatch.setattr(cmd, "_summary", boom)
    path = str(tmp_path) if where == "dir" else "/proc/x.jsonl"
    assert main(["maxflow", "run", "--trace", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("powergen: error: cannot write")
