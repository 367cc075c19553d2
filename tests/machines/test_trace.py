"""JSONL traces: round trips, byte-identical output, replay accepts every written trace and rejects corruptions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.demos import DEMO_VOCAB, demo_machine, demo_start
from machines.errors import TraceError
from machines.paradigms import APMDM
from machines.predictor import Prediction, Transition
from machines.trace import (
    TRACE_SCHEMA,
    parse_trace,
    read_trace,
    records_from_transitions,
    replay,
    replay_file,
    trace_lines,
    write_trace,
)
from machines.vocab import WordVocabulary
from proofs_check.cli import main

PARADIGMS = ("arm", "mdm", "ao-mdm", "masked-arm", "ap-mdm")


def demo_lines(paradigm: str, n: int = 5, seed: int = 0) -> list[str]:
    r = demo_machine(paradigm).run(demo_start(paradigm, n=n, seed=seed), seed=seed, keep_records=True)
    assert r.records is not None
    return trace_lines(paradigm=paradigm, vocab=DEMO_VOCAB, records=r.records, halt_reason=r.halt_reason)


def check(lines: list[str]) -> bool:
    return replay(parse_trace("\n".join(lines) + "\n")).ok


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_written_traces_replay(paradigm: str, tmp_path: Path) -> None:
    for seed in range(4):
        r = demo_machine(paradigm).run(demo_start(paradigm, n=2 + seed, seed=seed), seed=seed, keep_records=True)
        assert r.records is not None
        path = tmp_path / f"{paradigm}-{seed}.jsonl"
        write_trace(path, paradigm=paradigm, vocab=DEMO_VOCAB, records=r.records, halt_reason=r.halt_reason)
        t = read_trace(path)
        assert (t.paradigm, t.halt_reason, t.steps, t.max_length) == (paradigm, r.halt_reason, r.counters.steps,
                                                                      r.counters.peak_length)
        assert replay(t).ok and replay(t).steps == r.counters.steps
        head = json.loads(path.read_text().splitlines()[0])
        assert head["schema"] == TRACE_SCHEMA and head["mask"] == "[MASK]" and head["vocab"] == list(DEMO_VOCAB.names)


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_same_seed_byte_identical(paradigm: str, tmp_path: Path) -> None:
    files = []
    for k in range(2):
        r = demo_machine(paradigm).run(demo_start(paradigm, n=6, seed=9), seed=9, keep_records=True)
        assert r.records is not None
        files.append(tmp_path / f"{k}.jsonl")
        write_trace(files[-1], paradigm=paradigm, vocab=DEMO_VOCAB, records=r.records, halt_reason=r.halt_reason)
    assert files[0].read_bytes() == files[1].read_bytes()


def corrupt(lines: list[str], rng: np.random.Generator) -> list[str] | None:
    """Change one token (in the header's start, or in x, y or x_next of one step) to a different token name."""
    k = int(rng.integers(0, len(lines) - 1))
    obj = json.loads(lines[k])
    field = "start" if k == 0 else ["x", "y", "x_next"][int(rng.integers(3))]
    if not obj[field]:
        return None
    i = int(rng.integers(len(obj[field])))
    others = [nm for nm in DEMO_VOCAB.names if nm != obj[field][i]]
    obj[field][i] = others[int(rng.integers(len(others)))]
    return lines[:k] + [json.dumps(obj, separators=(",", ":"))] + lines[k + 1:]


def test_replay_rejects_every_single_token_corruption() -> None:
    rng = np.random.default_rng(2026)
    traces = {p: demo_lines(p, n=4, seed=s) for s, p in enumerate(PARADIGMS)}
    tried = 0
    for _ in range(400):
        p = PARADIGMS[int(rng.integers(len(PARADIGMS)))]
        bad = corrupt(traces[p], rng)
        if bad is None:
            continue
        tried += 1
        assert not check(bad), (p, bad)
    assert tried > 300


@given(st.sampled_from(PARADIGMS), st.integers(0, 2**32 - 1))
def test_replay_rejects_corruption_hypothesis(paradigm: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    bad = corrupt(demo_lines(paradigm, n=3, seed=seed % 5), rng)
    if bad is not None:
        assert not check(bad)


def test_replay_names_the_first_bad_step() -> None:
    lines = demo_lines("ap-mdm", n=5, seed=0)
    obj = json.loads(lines[3])  # step 3
    obj["x_next"] = obj["x_next"][:-1]
    rep = replay(parse_trace("\n".join(lines[:3] + [json.dumps(obj)] + lines[4:])))
    assert not rep.ok and rep.first_bad_step == 3 and "x_next" in (rep.reason or "")
    obj = json.loads(lines[2])
    obj["t"] = 7
    rep = replay(parse_trace("\n".join(lines[:2] + [json.dumps(obj)] + lines[3:])))
    assert rep.first_bad_step == 2 and "step number" in (rep.reason or "")


def test_control_flips_are_rejected() -> None:
    lines = demo_lines("ap-mdm", n=5, seed=1)
    flips = 0
    for k in range(1, len(lines) - 1):
        obj = json.loads(lines[k])
        for field in ("remask", "insert", "delete"):
            for i in range(len(obj[field])):
                o = json.loads(lines[k])
                o[field][i] ^= 1
                flips += 1
                assert not check(lines[:k] + [json.dumps(o)] + lines[k + 1:]), (k, field, i)
    assert flips > 100


def test_start_sequence_anchors_step_one(tmp_path: Path) -> None:
    lines = demo_lines("mdm", n=3)
    head = json.loads(lines[0])
    head["start"][0] = "b" if head["start"][0] != "b" else "a"
    rep = replay(parse_trace("\n".join([json.dumps(head)] + lines[1:])))
    assert rep.first_bad_step == 1 and "start sequence" in (rep.reason or "")
    del head["start"]  # optional when reading
    assert check([json.dumps(head)] + lines[1:])
    # a run of zero steps keeps its start, so the halt line can still be checked
    x0 = DEMO_VOCAB.encode(["a", "|", "a"])
    r = demo_machine("mdm").run(x0)
    path = tmp_path / "zero.jsonl"
    write_trace(path, paradigm="mdm", vocab=DEMO_VOCAB, records=[], halt_reason=r.halt_reason, start=x0)
    t = read_trace(path)
    assert t.steps == 0 and t.max_length == 3 and replay(t).ok


@pytest.mark.parametrize("edit, reason", [
    (lambda h: {**h, "halt": "no-masks"}, "impossible"),
    (lambda h: {**h, "steps": h["steps"] + 1}, "steps"),
    (lambda h: {**h, "max_length": 3}, "max_length"),
    (lambda h: {**h, "halt": "eos"}, "EOS"),
])
def test_halt_line_checks(edit: object, reason: str) -> None:
    lines = demo_lines("ap-mdm")
    last = edit(json.loads(lines[-1]))  # type: ignore[operator]
    rep = replay(parse_trace("\n".join(lines[:-1] + [json.dumps(last)])))
    assert not rep.ok and rep.first_bad_step is None and reason in (rep.reason or "")


def test_no_masks_halt_checked() -> None:
    lines = demo_lines("mdm")
    rep = replay(parse_trace("\n".join(lines[:-2] + [json.dumps({"halt": "no-masks", "steps": len(lines) - 3,
                                                                  "max_length": 11})])))
    assert not rep.ok and "still has masks" in (rep.reason or "")


MALFORMED = [
    (lambda L: L[1:], "missing header"),
    (lambda L: ["{not json"] + L[1:], "not valid JSON"),
    (lambda L: L[:-1], "missing halt line"),
    (lambda L: [L[0], L[-1], *L[1:-1], L[-1]], "must be the last line"),
    (lambda L: [L[0]] + [L[1].replace('"c"', '"zz"').replace('"a"', '"zz"').replace('"b"', '"zz"')] + L[2:],
     "unknown token"),
    (lambda L: [L[0]] + [L[1].replace('"remask":[', '"remask":[0,')] + L[2:], "has length"),
    (lambda L: [L[0]] + [L[1].replace('"remask":[0', '"remask":[2')] + L[2:], "0/1"),
    (lambda L: [L[0].replace('"paradigm":"ap-mdm"', '"paradigm":"rnn"')] + L[1:], "unknown paradigm"),
    (lambda L: [L[0].replace('"mask":"[MASK]"', '"mask":"[NOPE]"')] + L[1:], "mask token"),
    (lambda L: [L[0], "[1, 2]"] + L[2:], "JSON object"),
    (lambda L: L[:-1] + ['{"halt": "eos"}'], "halt line"),
    (lambda L: [L[0]] + [L[1].replace('"t":1', '"t":"1"')] + L[2:], "'t' must be"),
]


@pytest.mark.parametrize("edit, message", MALFORMED)
def test_malformed_traces_raise_trace_error(edit: object, message: str) -> None:
    lines = demo_lines("ap-mdm")
    with pytest.raises(TraceError, match=message):
        parse_trace("\n".join(edit(lines)) + "\n")  # type: ignore[operator]


def test_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    import os

    path = tmp_path / "t.jsonl"
    write_trace(path, paradigm="mdm", vocab=DEMO_VOCAB, records=[], halt_reason="no-masks",
                start=DEMO_VOCAB.encode(["a"]))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_read_trace_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="no such file"):
        read_trace(tmp_path / "nope.jsonl")


def test_records_from_transitions_and_canonical_form(tmp_path: Path) -> None:
    """A task's transitions (with garbage y at unused positions) become a replayable AP-MDM trace."""
    r = demo_machine("ap-mdm").run(demo_start("ap-mdm", n=5, seed=3), seed=3, keep_records=True)
    assert r.records is not None
    rng = np.random.default_rng(0)
    trs = []
    for rec in r.records:
        p = rec.prediction
        y = np.where(rec.x == 0, p.y, rng.integers(0, DEMO_VOCAB.size, len(rec.x)))
        trs.append(Transition(x=rec.x, y=y, remask=np.asarray(p.remask, np.int64),
                              insert=np.asarray(p.insert, np.int64),
                              delete=np.ones(len(rec.x), np.int64) * np.asarray(p.delete, np.int64), x_next=rec.x_next))
    path = tmp_path / "t.jsonl"
    write_trace(path, paradigm="ap-mdm", vocab=DEMO_VOCAB, records=records_from_transitions(trs),
                halt_reason="fixed-point")
    assert replay(read_trace(path)).ok


def test_word_vocabulary_trace_round_trip() -> None:
    v = WordVocabulary(specials=("[MASK]", "[EOS]"), lo=-2, hi=9, eos="[EOS]")

    def f(x: np.ndarray, rng: np.random.Generator) -> Prediction:  # count 0..3 into masks, one insert at a time
        n = len(x)
        ins = np.zeros(n, dtype=np.int64)
        if n < 4:
            ins[-1] = 1
        return Prediction(y=np.asarray(v.word_to_id(np.minimum(np.arange(n), 9))), insert=ins)

    r = APMDM(vocab=v, predictor=f).run(np.array([0]), keep_records=True)
    assert r.records is not None
    lines = trace_lines(paradigm="ap-mdm", vocab=v, records=r.records, halt_reason=r.halt_reason)
    assert json.loads(lines[0])["words"] == [-2, 9]
    t = parse_trace("\n".join(lines))
    assert t.vocab == v and replay(t).ok and v.decode(r.final) == ["0", "1", "2", "3"]


# -- the CLI ---------------------------------------------------------------------------------------------------------
def test_cli_replay_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.jsonl"
    assert main(["machines", "demo", "--paradigm", "ap-mdm", "--seed", "4", "--trace", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "powergen.machines-demo/1"
    assert main(["trace", "replay", str(good)]) == 0
    assert main(["trace", "replay", str(good), "--json"]) == 0
    out = capsys.readouterr().out.splitlines()[-1]
    doc = json.loads(out)
    assert doc["schema"] == "powergen.trace-replay/1" and doc["ok"] and doc["first_bad_step"] is None
    lines = good.read_text().splitlines()
    obj = json.loads(lines[2])
    obj["x"][0] = "b" if obj["x"][0] != "b" else "a"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines[:2] + [json.dumps(obj)] + lines[3:]) + "\n")
    assert main(["trace", "replay", str(bad), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["first_bad_step"] == 2
    assert main(["trace", "replay", str(bad)]) == 1
    assert "step 2" in capsys.readouterr().out
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{oops\n")
    for path in (broken, tmp_path / "missing.jsonl"):
        assert main(["trace", "replay", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_cli_show(paradigm: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.jsonl"
    assert main(["machines", "demo", "--paradigm", paradigm, "--trace", str(path), "--embed"]) == 0
    capsys.readouterr()
    assert main(["trace", "show", str(path)]) == 0
    assert "operations:" in capsys.readouterr().out
    assert main(["trace", "show", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ops = {op for step in doc["steps"] for op, _ in step["ops"]}
    want = {"arm": {"keep", "append"}, "ap-mdm": {"keep", "unmask", "remask", "keep-mask", "insert", "delete"}}
    assert doc["schema"] == "powergen.trace-show/1" and want.get(paradigm, {"keep", "unmask"}) <= ops


def test_cli_demo_caps_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["machines", "demo", "--paradigm", "ap-mdm", "--max-steps", "2"]) == 2
    err = capsys.readouterr().err
    assert "max_steps of 2 exceeded" in err and "--max-steps" in err


# -- review fixes: ARM halting on EOS, streaming, unwritable outputs ---------------------------------------------------
def _arm_run_past_eos() -> tuple[list, int]:
    """The ARM demo's records plus one extra (discipline-valid) step appended after the EOS step."""
    from machines.records import StepRecord

    r = demo_machine("arm").run(demo_start("arm", n=3, seed=1), seed=1, keep_records=True)
    assert r.records is not None and r.halt_reason == "done" and int(r.final[-1]) == DEMO_VOCAB.eos_id
    n = len(r.records)
    x = np.asarray(r.final, dtype=np.int64)
    a = DEMO_VOCAB.id_of("a")
    y = np.full(x.shape[0], DEMO_VOCAB.mask_id, dtype=np.int64)
    y[-1] = a
    extra = StepRecord(t=n + 1, x=x, prediction=Prediction(y=y), x_next=np.append(x, a))
    return [*r.records, extra], n


def test_arm_trace_may_not_continue_after_eos() -> None:
    records, n = _arm_run_past_eos()
    lines = trace_lines(paradigm="arm", vocab=DEMO_VOCAB, records=records, halt_reason="done")
    assert json.loads(lines[0])["halt_on_eos"] is True
    rep = replay(parse_trace("\n".join(lines)))
    assert not rep.ok and rep.first_bad_step == n + 1 and "EOS" in (rep.reason or "")
    # an old trace without the field defaults to halting on EOS
    head = json.loads(lines[0])
    del head["halt_on_eos"]
    assert replay(parse_trace("\n".join([json.dumps(head), *lines[1:]]))).first_bad_step == n + 1
    # a machine built with halt_on_eos=False may continue; the header says so
    off = trace_lines(paradigm="arm", vocab=DEMO_VOCAB, records=records, halt_reason="done", halt_on_eos=False)
    assert parse_trace("\n".join(off)).halt_on_eos is False and replay(parse_trace("\n".join(off))).ok
    head["halt_on_eos"] = "yes"
    with pytest.raises(TraceError, match="halt_on_eos"):
        parse_trace("\n".join([json.dumps(head), *lines[1:]]))


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_replay_file_streams_and_agrees_with_replay(paradigm: str, tmp_path: Path) -> None:
    from machines.trace import replay_file

    lines = demo_lines(paradigm, n=4, seed=2)
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reader, rep = replay_file(path)
    assert rep == replay(read_trace(path)) and rep.ok and reader.halt_reason == json.loads(lines[-1])["halt"]
    obj = json.loads(lines[2])
    obj["t"] = 7
    path.write_text("\n".join([*lines[:2], json.dumps(obj), *lines[3:]]) + "\n")
    assert replay_file(path)[1] == replay(read_trace(path)) and replay_file(path)[1].first_bad_step == 2
    # a malformed line after a failing step is still a TraceError (exit 2), as with read_trace
    path.write_text("\n".join([*lines[:2], json.dumps(obj), "{oops", *lines[3:]]) + "\n")
    with pytest.raises(TraceError, match="line 4"):
        replay_file(path)


def test_long_traces_are_streamed_in_small_memory(tmp_path: Path) -> None:
    import tracemalloc

    from machines.trace import iter_records_from_transitions, replay_file
    from reductions.tasks.sudoku import iter_transitions, solve
    from reductions.tasks.sudoku_grid import SUDOKU_VOCAB

    t = solve("100007090030020008009600500005300900010080002600004000300000010040000007007000300")  # 466 steps
    path = tmp_path / "s.jsonl"
    tracemalloc.start()
    try:
        write_trace(path, paradigm="ap-mdm", vocab=SUDOKU_VOCAB, start=t.states[0], halt_reason="fixed-point",
                    records=iter_records_from_transitions(iter_transitions(t)))
        _, peak_write = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        _, rep = replay_file(path)
        _, peak_replay = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert size > 4_000_000 and rep.ok and rep.steps == t.steps
    # the old list-of-lines writer and read-everything replay held the whole ~4.9 MB file (and more) at once
    assert peak_write < size // 4 and peak_replay < size // 4, (peak_write, peak_replay, size)


def test_unwritable_trace_path_is_an_output_error(tmp_path: Path) -> None:
    from machines.errors import MachineError, OutputError
    from machines.io import atomic_write_lines, check_writable

    for bad in (tmp_path, Path("/proc/powergen-test/x.jsonl")):
        with pytest.raises(OutputError) as info:
            write_trace(bad, paradigm="mdm", vocab=DEMO_VOCAB, records=[], halt_reason="no-masks",
                        start=DEMO_VOCAB.encode(["a"]))
        assert isinstance(info.value, MachineError) and isinstance(info.value, OSError)
        with pytest.raises(OutputError):
            check_writable(bad)
    # a failing generator leaves the target untouched and no temporary file behind
    target = tmp_path / "keep.txt"
    target.write_text("old\n")

    def lines() -> object:
        yield "new"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write_lines(target, lines())  # type: ignore[arg-type]
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("where", ["dir", "proc"])
def test_cli_demo_refuses_unwritable_trace_before_running(where: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs_check.commands.demo_machines as demo_cmd

    def boom(*a: object, **k: object) -> object:
        raise AssertionError("the run started before the output path was checked")

    monkeypatch.setattr(demo_cmd, "demo_machine", boom)
    path = str(tmp_path) if where == "dir" else "/proc/x.jsonl"
    assert main(["machines", "demo", "--trace", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("powergen: error: cannot write") and "Traceback" not in err


# -- halts and headers the machine cannot produce (issue 13 section 5) ---------------------------------------------
def _edit(lines: list[str], index: int, **changes: object) -> list[str]:
    index %= len(lines)
    obj = json.loads(lines[index])
    for key, value in changes.items():
        if value is _DROP:
            del obj[key]
        else:
            obj[key] = value
    return [*lines[:index], json.dumps(obj), *lines[index + 1:]]


_DROP = object()


def _first_written(lines: list[str]) -> str:
    """The first token a step writes (y is canonical: MASK wherever the step does not write), before the last step."""
    for raw in lines[1:-2]:
        written = [tok for tok in json.loads(raw)["y"] if tok != "[MASK]"]
        if written:
            return str(written[0])
    raise AssertionError("no step before the last writes a token")


def test_mdm_trace_relabelled_done_is_rejected() -> None:
    lines = demo_lines("mdm")
    assert json.loads(lines[-1])["halt"] == "no-masks" and check(lines)
    assert not check(_edit(lines, -1, halt="done"))


def test_maxflow_eos_halt_relabelled_fixed_point_is_rejected() -> None:
    from reductions.tasks.maxflow import FLOW_VOCAB, encode_instance, run_maxflow
    from reductions.tasks.maxflow_graph import generate_instance

    inst = generate_instance(nodes=5, seed=3)
    run = run_maxflow(inst)
    lines = trace_lines(paradigm="ap-mdm", vocab=FLOW_VOCAB, records=run.records, halt_reason=run.halt_reason,
                        start=encode_instance(inst))
    assert json.loads(lines[-1])["halt"] == "eos" and check(lines)
    assert not check(_edit(lines, -1, halt="fixed-point"))
    assert not check(_edit(lines, -1, halt="done"))
    assert not check(_edit(lines, 0, eos=None))  # no EOS in the vocabulary: an 'eos' halt is impossible


@pytest.mark.parametrize("paradigm", ["arm", "ap-mdm"])
def test_header_eos_naming_a_token_written_mid_run_is_rejected(paradigm: str) -> None:
    lines = demo_lines(paradigm, n=4)
    assert check(lines) and len(lines) > 4
    assert not check(_edit(lines, 0, eos=_first_written(lines)))


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_header_bos_naming_a_written_token_is_rejected(paradigm: str) -> None:
    lines = demo_lines(paradigm, n=4)
    assert not check(_edit(lines, 0, bos=_first_written(lines)))


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_header_bos_changed_to_null_is_malformed(paradigm: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # the vocabulary still lists [BOS] (the start of every demo sequence): a null bos would let a step write it
    lines = demo_lines(paradigm, n=4)
    assert json.loads(lines[0])["bos"] == "[BOS]" and check(lines)
    tampered = _edit(lines, 0, bos=None)
    with pytest.raises(TraceError, match="'bos' is null") as exc:
        parse_trace("\n".join(tampered))
    assert exc.value.line == 1
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(tampered) + "\n")
    capsys.readouterr()
    assert main(["trace", "replay", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "'bos' is null" in err and "Traceback" not in err


def test_a_vocabulary_without_bos_still_replays_with_a_null_bos(tmp_path: Path) -> None:
    from machines.vocab import simple_vocabulary

    p = tmp_path / "t.jsonl"
    write_trace(p, paradigm="arm", vocab=simple_vocabulary(["a", "[bos]"]), records=[], halt_reason="done",
                start=np.array([1]))
    assert json.loads(p.read_text().splitlines()[0])["bos"] is None
    assert replay_file(p)[1].ok


@pytest.mark.parametrize("key", ["bos", "eos"])
def test_header_without_bos_or_eos_is_malformed(key: str) -> None:
    with pytest.raises(TraceError, match="missing"):
        parse_trace("\n".join(_edit(demo_lines("mdm"), 0, **{key: _DROP})))


@pytest.mark.parametrize("index", [0, 1, -1])
def test_unknown_extra_keys_are_malformed(index: int) -> None:
    with pytest.raises(TraceError, match="unknown key"):
        parse_trace("\n".join(_edit(demo_lines("ap-mdm"), index, comment="hello")))


def test_deeply_nested_trace_line_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = demo_lines("mdm")
    path = tmp_path / "deep.jsonl"
    path.write_text(lines[0] + "\n" + "[" * 100_000 + "\n")
    assert main(["trace", "replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nested" in err and len(err) < 400
