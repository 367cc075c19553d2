"""Shipped graph-editing models (issue 15): promote a run, verify it, evaluate it with `powergen eval maxflow`.

A tiny AP-MDM is trained for a few updates in a fixture (the real model is not shipped yet); every shipped model
found in the package is also evaluated on a small prefix of its test graphs, which must agree with the per-size
results its manifest records.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from machines.neural.predictor import NeuralPredictor
from machines.paradigms import APMDM
from proofs_check.cli import main
from proofs_check.experiments import maxflow as mf
from proofs_check.experiments import ship
from proofs_check.experiments.maxflow_eval import evaluate_model, resolve_models
from proofs_check.experiments.trainer import load_run
from reductions.tasks.maxflow import FLOW_VOCAB, encode_instance, run_maxflow

TINY_MODEL = {"d_model": 16, "n_heads": 2, "n_layers": 1}
PROGRESS = Path(__file__).resolve().parents[2] / "proofs_check/experiments/progress/maxflow-apmdm-s0"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A tiny AP-MDM run: 7 training graphs, 4 updates, evaluated on 3 test graphs of sizes 4 and 5."""
    d = tmp_path_factory.mktemp("mf")
    run = d / "run"
    mf.run_apmdm(run_dir=str(run), seed=0, budget_cpu_seconds=None, train_graphs=7, test_per_size=3,
                 probe_per_size=1, eval_every=2, store_root=str(d / "stores"),
                 model=mf.model_config(**TINY_MODEL), train=mf.train_config(steps=4, batch_size=2),
                 test_sizes=(4, 5), command="powergen experiment maxflow (test fixture)")
    return run


def _ship(run: Path, root: Path, name: str = "ap-mdm") -> Path:
    return ship.ship_run(run, name=name, root=root)


def test_a_shipped_model_carries_the_run_weights_and_its_provenance(tiny_run, tmp_path):
    path = _ship(tiny_run, tmp_path)
    m = ship.load_shipped(path)
    st = load_run(tiny_run)
    assert m.kind == "ap-mdm" and m.model == st.model and set(m.params) == set(st.params)
    assert all(np.array_equal(m.params[k], st.params[k]) for k in st.params)
    man = m.manifest
    assert man["updates"] == 4 and man["command"] == "powergen experiment maxflow (test fixture)"
    assert man["test_sizes"] == [4, 5] and man["results"]["per_size"]["4"]["n"] == 3
    assert man["data"]["sha256"] == st.data  # the store's content hash the run trained on
    assert len(man["git_commit_at_ship"]) == 40 or man["git_commit_at_ship"] == "unknown"
    assert sorted(p.name for p in path.iterdir()) == ["manifest.json", "weights.npz"]
    # no moments shipped: the weights file holds exactly the parameters
    assert set(np.load(path / "weights.npz").files) == {f"param.{k}" for k in st.params}


def test_shipping_twice_gives_identical_bytes_and_leaves_no_temporaries(tiny_run, tmp_path):
    first = _ship(tiny_run, tmp_path)
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    second = _ship(tiny_run, tmp_path)
    assert {p.name: p.read_bytes() for p in second.iterdir()} == before
    assert sorted(p.name for p in (tmp_path / "maxflow").iterdir()) == ["ap-mdm"]


def test_the_shipped_path_evaluates_on_the_exact_machine_like_one_instance_runs(tiny_run, tmp_path):
    _ship(tiny_run, tmp_path)
    (m,) = resolve_models(str(tmp_path / "maxflow"))
    res = evaluate_model(m, sizes=(4,), count=3, seed=0)
    # reference: one-instance APMDM machine runs with the machines.neural predictor on the same weights,
    # judged here by final == oracle final on EOS (the certificate is implied by the oracle's final state)
    pred = NeuralPredictor(config=m.model, params={k: v.astype(np.float64) for k, v in m.params.items()},
                           use_table=False)
    ok = 0
    for inst in mf.held_out(4, 3, seed=0):
        machine = APMDM(vocab=FLOW_VOCAB, predictor=pred, max_steps=mf.MAX_STEPS, max_length=mf.MAX_LENGTH)
        try:
            run = machine.run(encode_instance(inst))
        except Exception:  # noqa: BLE001 - an illegal step or a cap is a failure here
            continue
        ok += run.halt_reason == "eos" and np.array_equal(run.final, run_maxflow(inst).final)
    assert res["per_size"]["4"]["correct"] == ok and res["per_size"]["4"]["n"] == 3


def test_eval_cli_reads_the_shipped_models_and_agrees_with_their_manifest(tiny_run, tmp_path, capsys, monkeypatch):
    _ship(tiny_run, tmp_path)
    monkeypatch.setattr(ship, "SHIPPED_ROOT", tmp_path)
    assert main(["eval", "maxflow", "--checkpoint", "shipped", "--test-per-size", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (row,) = out["models"]
    assert out["schema"] == "powergen.eval.maxflow/1" and row["kind"] == "ap-mdm" and row["name"] == "ap-mdm"
    # same graphs, same weights: the table equals the one the run recorded at shipping
    recorded = row["shipped_results"]["per_size"]
    assert {n: e["correct"] for n, e in row["eval"]["per_size"].items()} == {n: e["correct"]
                                                                           for n, e in recorded.items()}
    assert row["paper"] == {"4": "100", "5": "100"}
    assert main(["eval", "maxflow", "--checkpoint", "shipped", "--sizes", "4", "--test-per-size", "1"]) == 0
    text = capsys.readouterr().out
    assert "| 4 |" in text and "| 100 % |" in text and "| 5 |" not in text


def test_every_model_shipped_in_the_package_evaluates_consistently_on_a_prefix():
    """The test graphs are a stream: the first k of the manifest's n graphs per size can fail at most as many
    times as the n did, and succeed at most as many times."""
    dirs = ship.find_shipped("maxflow")
    if not dirs:
        pytest.skip("no maxflow model is shipped yet")
    for d in dirs:
        (m,) = resolve_models(str(d))
        rec = m.info["results"]
        size = str(min(int(n) for n in rec["per_size"]))
        k = 2
        got = evaluate_model(m, sizes=(int(size),), count=k, seed=int(rec["eval_seed"]))["per_size"][size]
        e = rec["per_size"][size]
        assert e["correct"] - (e["n"] - k) <= got["correct"] <= min(k, e["correct"])


def test_the_shipped_answer_only_arm_reproduces_its_record_exactly_at_the_smallest_size():
    """The prefix check above cannot fail for a model with 7 of 30 right at 4 nodes (any 0-2 of 2 fits); the
    answer-only ARM decodes one short answer per graph, so all 30 graphs of its smallest size are evaluated here and
    the count and failure kinds must equal the manifest's record."""
    (m,) = [m for m in resolve_models("shipped") if m.kind == "arm-answer"]  # issue 15: its second ARM row
    rec = m.info["results"]
    size = str(min(int(n) for n in rec["per_size"]))
    e = rec["per_size"][size]
    got = evaluate_model(m, sizes=(int(size),), count=e["n"], seed=int(rec["eval_seed"]))["per_size"][size]
    assert (got["n"], got["correct"], got["failures"]) == (e["n"], e["correct"], e["failures"])


def test_a_corrupted_or_missing_model_is_one_line_and_exit_2(tiny_run, tmp_path, capsys, monkeypatch):
    path = _ship(tiny_run, tmp_path)
    raw = bytearray((path / "weights.npz").read_bytes())
    raw[-200] ^= 0xFF
    (path / "weights.npz").write_bytes(bytes(raw))
    with pytest.raises(ship.ShippedModelError, match="sha256"):
        ship.load_shipped(path)
    assert main(["eval", "maxflow", "--checkpoint", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sha256" in err[0]
    monkeypatch.setattr(ship, "SHIPPED_ROOT", tmp_path / "empty")
    assert main(["eval", "maxflow", "--checkpoint", "shipped"]) == 2
    assert "no model of maxflow is shipped" in capsys.readouterr().err
    assert main(["eval", "maxflow", "--checkpoint", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["eval", "parity", "--oracle", "--sizes", "4-5"]) == 2
    assert "--sizes" in capsys.readouterr().err


def test_shipping_refuses_an_unevaluated_or_stale_run(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    res = json.loads((run / "result.json").read_text())
    (run / "result.json").write_text(json.dumps(res | {"steps_done": 3}))
    with pytest.raises(ship.ShippedModelError, match="evaluate the run again"):
        _ship(run, tmp_path / "out")
    (run / "result.json").unlink()
    with pytest.raises(ship.ShippedModelError, match="result.json"):
        _ship(run, tmp_path / "out")
    assert not (tmp_path / "out" / "maxflow" / "ap-mdm").exists()


def test_ship_through_the_experiment_command(tiny_run, tmp_path, capsys):
    assert main(["experiment", "maxflow", "--run-dir", str(tiny_run), "--ship", "--ship-to", str(tmp_path),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["shipped"] == {"ap-mdm": str(tmp_path / "maxflow" / "ap-mdm")}
    assert main(["experiment", "maxflow", "--run-dir", str(tmp_path / "none"), "--ship", "--ship-to",
                 str(tmp_path)]) == 2


def test_ship_as_names_a_variant_and_refuses_bad_names(tiny_run, tmp_path, capsys):
    base = ["experiment", "maxflow", "--run-dir", str(tiny_run), "--ship", "--ship-to", str(tmp_path)]
    assert main([*base, "--models", "ap-mdm", "--ship-as", "ap-mdm-prope", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["shipped"] == {"ap-mdm": str(tmp_path / "maxflow" / "ap-mdm-prope")}
    (m,) = resolve_models(str(tmp_path / "maxflow" / "ap-mdm-prope"))
    assert m.name == "ap-mdm-prope" and m.kind == "ap-mdm"
    for bad in (["--models", "ap-mdm", "--ship-as", "arm-x"], ["--models", "ap-mdm", "--ship-as", "ap-mdm"],
                ["--models", "ap-mdm", "--ship-as", "ap-mdm-Big"], ["--models", "ap-mdm", "--ship-as", "ap-mdm-x-"],
                ["--models", "ap-mdm", "--ship-as", "ap-mdm-../x"],
                ["--models", "ap-mdm,arm", "--ship-as", "ap-mdm-x"]):
        assert main([*base, *bad]) == 2, bad
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--ship-as" in err, (bad, err)
    assert main(["experiment", "maxflow", "--run-dir", str(tiny_run), "--models", "ap-mdm", "--ship-as",
                 "ap-mdm-x"]) == 2  # without --ship
    assert sorted(p.name for p in (tmp_path / "maxflow").iterdir()) == ["ap-mdm-prope"]


def test_ship_as_cannot_take_another_models_name_or_a_split_it_does_not_have(tiny_run, tmp_path, capsys):
    """``--models arm --ship-as arm-answer`` would replace the shipped answer-only ARM with the edit-log ARM, and
    ``ap-mdm-train4-7`` would claim a size split: both refused in one line, nothing written.  With --train-sizes the
    split is added to the chosen name as to the default one; ``experiment sudoku --ship-as`` is refused, not
    ignored."""
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "r-arm").symlink_to(tiny_run)  # a finished run where the edit-log ARM's run would be
    out = tmp_path / "out"
    base = ["experiment", "maxflow", "--run-dir", str(runs / "r"), "--ship", "--ship-to", str(out)]
    for bad in (["--models", "arm", "--ship-as", "arm-answer"], ["--models", "arm", "--ship-as", "arm-answer-v2"],
                ["--models", "arm", "--ship-as", "arm-train4-7"], ["--models", "arm", "--ship-as", "arm-x-train4-7"]):
        assert main([*base, *bad]) == 2, bad
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--ship-as" in err, (bad, err)
    assert not out.exists()
    assert main([*base, "--models", "arm", "--ship-as", "arm-trained", "--train-sizes", "4-7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["shipped"] == {"arm": str(out / "maxflow" / "arm-trained-train4-7")}
    assert main(["experiment", "sudoku", "--run-dir", str(tmp_path / "none"), "--ship", "--ship-to", str(out),
                 "--models", "ap-mdm", "--ship-as", "ap-mdm-x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--ship-as" in err and "maxflow" in err, err


@pytest.mark.skipif(not (PROGRESS / "checkpoint.npz").is_file(), reason="no run in progress committed")
def test_the_committed_run_in_progress_stays_loadable_for_eval():
    st = load_run(PROGRESS)
    (m,) = resolve_models(str(PROGRESS))
    assert m.kind == "ap-mdm" and m.model == st.model == mf.model_config()
    assert int(sum(a.size for a in m.params.values())) == 307_064


def test_a_run_from_before_commands_were_recorded_ships_with_a_rebuilt_command(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "old"
    shutil.copytree(tiny_run, run)
    res = json.loads((run / "result.json").read_text())
    for key in ("command", "train_sizes", "test_sizes"):
        res.pop(key)
    (run / "result.json").write_text(json.dumps(res))
    man = ship.load_shipped(_ship(run, tmp_path / "out")).manifest
    assert man["command"].startswith("powergen experiment maxflow --models ap-mdm")
    assert "--train-graphs 7 " in man["command"] and "--steps 4 " in man["command"]
    assert "rebuilt from result.json" in man["command"]
    assert man["train_sizes"] == [4, 5, 6, 7, 8, 9, 10] and man["test_sizes"] == [4, 5]


def test_the_source_of_a_shipped_model_is_relative_to_the_repository_or_as_typed(tiny_run, tmp_path, monkeypatch):
    # the package's own shipped models: the same text in every clone, wherever it lives
    dirs = ship.find_shipped("maxflow")
    if dirs:
        got = [m.source for m in resolve_models("shipped")]
        assert got == [f"shipped proofs_check/experiments/shipped/maxflow/{d.name}" for d in dirs]
    # a clone elsewhere: the repository root moves, the text does not
    clone = tmp_path / "elsewhere" / "clone"
    shipped_root = clone / "proofs_check" / "experiments" / "shipped"
    _ship(tiny_run, shipped_root)
    monkeypatch.setattr(ship, "SHIPPED_ROOT", shipped_root)
    monkeypatch.setattr(ship, "REPO_ROOT", clone)
    assert [m.source for m in resolve_models("shipped")] == ["shipped proofs_check/experiments/shipped/maxflow/ap-mdm"]
    # a path the user typed is shown as typed (relative here), never made absolute
    monkeypatch.chdir(tmp_path)
    typed = "elsewhere/clone/proofs_check/experiments/shipped/maxflow/ap-mdm"
    assert [m.source for m in resolve_models(typed)] == [f"shipped {typed}"]


def test_teacher_forced_step_accuracy_equals_a_one_sequence_reference(capsys):
    """``eval maxflow --teacher-forced``: per size, the share of every oracle step of the test graphs that the model
    gets exactly right through g, against a plain loop: the float64 one-sequence predictor of machines.neural and the
    list transcription of Algorithm 1, on each oracle transition.  On the shipped AP-MDM, which gets some steps right
    and some wrong (so that neither an all-right nor an all-wrong count can pass by accident)."""
    from machines.transition import apply_g_reference
    from reductions.tasks.maxflow import M, decide, transitions

    folder = ship.SHIPPED_ROOT / "maxflow" / "ap-mdm"
    if not folder.is_dir():
        pytest.skip("no shipped AP-MDM")
    assert main(["eval", "maxflow", "--checkpoint", str(folder), "--sizes", "4,5", "--test-per-size", "2",
                 "--teacher-forced", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["models"]
    (m,) = resolve_models(str(folder))
    pred = NeuralPredictor(config=m.model, params=m.params, use_table=False)
    counts = []
    by_op: dict[str, list[int]] = {}
    for n in (4, 5):
        ts = [t for inst in mf.held_out(n, 2, seed=0, stream="test") for t in transitions(inst)]
        ok = 0
        for t in ts:
            p = pred(t.x, np.random.default_rng(0))
            tally = by_op.setdefault(decide(t.x)[0], [0, 0])
            tally[0] += 1
            try:
                nxt = apply_g_reference(t.x.tolist(), p.y.tolist(), p.remask.tolist(), p.insert.tolist(),
                                        p.delete.tolist(), mask_id=M)
            except ValueError:
                continue
            ok += nxt == t.x_next.tolist()
            tally[1] += nxt == t.x_next.tolist()
        assert row["eval"]["step_accuracy"][str(n)] == round(100.0 * ok / len(ts), 2)
        counts.append((ok, len(ts)))
    assert any(0 < ok < total for ok, total in counts), counts
    assert {op: [e["n"], e["correct"]] for op, e in row["eval"]["step_accuracy_by_operation"].items()} == by_op
    assert main(["eval", "sudoku", "--checkpoint", "shipped", "--teacher-forced"]) == 2
    assert "--teacher-forced" in capsys.readouterr().err


def test_teacher_forced_text_output_lists_every_operation_with_its_step_count(capsys):
    """The text table of ``eval maxflow --teacher-forced`` ends with one line of the operations, each with the
    number of oracle steps of that operation on the test graphs (counted here from the oracle's transitions)."""
    from collections import Counter

    from reductions.tasks.maxflow import decide, transitions

    folder = ship.SHIPPED_ROOT / "maxflow" / "ap-mdm"
    if not folder.is_dir():
        pytest.skip("no shipped AP-MDM")
    assert main(["eval", "maxflow", "--checkpoint", str(folder), "--sizes", "4", "--test-per-size", "1",
                 "--teacher-forced"]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("teacher-forced steps by op")]
    counts = Counter(decide(t.x)[0] for t in transitions(mf.held_out(4, 1, 0, stream="test")[0]))
    shown = dict(part.rsplit(" % of ", 1) for part in line.split(": ", 1)[1].split(", "))
    assert {k.split(" ")[0]: int(v) for k, v in shown.items()} == dict(counts)


def test_eval_without_a_count_uses_each_kinds_default(monkeypatch, capsys):
    """Without --test-per-size the edit-log ARMs get their own default (ARM_TEST_PER_SIZE: ~6 CPU-s per graph) and
    the other models TEST_PER_SIZE; --test-per-size sets every model's count."""
    import proofs_check.experiments.maxflow_arm as ma

    kinds = {m.kind for m in resolve_models("shipped")}
    if not {"ap-mdm", "arm-edit-log"} <= kinds:
        pytest.skip("needs a shipped AP-MDM and a shipped edit-log ARM")
    monkeypatch.setattr(mf, "TEST_PER_SIZE", 2)
    monkeypatch.setattr(ma, "ARM_TEST_PER_SIZE", 1)
    assert main(["eval", "maxflow", "--checkpoint", "shipped", "--sizes", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["test_per_size"] is None
    for row in out["models"]:
        want = 1 if row["kind"] == "arm-edit-log" else 2
        assert row["test_per_size"] == want and row["eval"]["per_size"]["4"]["n"] == want, row["name"]
    assert main(["eval", "maxflow", "--checkpoint", "shipped", "--sizes", "4", "--test-per-size", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["test_per_size"] == 1 and all(r["eval"]["per_size"]["4"]["n"] == 1 for r in out["models"])


def test_eval_workers_give_the_same_result_and_are_refused_elsewhere(tiny_run, capsys):
    """``eval maxflow --workers 2`` spreads an AP-MDM's rollouts over processes with the same per-size result; other
    tasks refuse the flag in one line instead of ignoring it."""
    base = ["eval", "maxflow", "--checkpoint", str(tiny_run), "--sizes", "4,5", "--test-per-size", "3", "--json"]
    assert main(base) == 0
    one = json.loads(capsys.readouterr().out)["models"][0]["eval"]
    assert main([*base, "--workers", "2"]) == 0
    two = json.loads(capsys.readouterr().out)["models"][0]["eval"]
    assert {k: v for k, v in one.items() if k != "cpu_seconds"} == {k: v for k, v in two.items() if k != "cpu_seconds"}
    assert main(["eval", "parity", "--oracle", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers" in err
