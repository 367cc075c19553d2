"""``powergen train`` / ``powergen eval`` and the checkpoints: determinism, exact resume, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from machines.neural.checkpoint import CheckpointError, load_checkpoint
from machines.neural.pipeline import train
from proofs_check.cli import main
from reductions.tasks.parity_parallel import ParityParallelTask


def cli_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_train_is_deterministic_and_resumes_exactly(tmp_path: Path) -> None:
    task = ParityParallelTask()
    data = task.transitions()
    model, tcfg = task.model_config(), task.train_config()
    from dataclasses import replace

    tcfg = replace(tcfg, steps=40, log_every=5)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    full = train(data, model=model, train_cfg=tcfg, seed=3, out_dir=a)
    train(data, model=model, train_cfg=tcfg, seed=3, out_dir=b)
    for name in ("weights.npz", "checkpoint.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    part = train(data, model=model, train_cfg=tcfg, seed=3, out_dir=c, stop_after=15)
    assert load_checkpoint(c).state["step"] == 15 and len(part.history) == 3
    resumed = train(data, model=model, train_cfg=tcfg, seed=3, out_dir=c, resume=True)
    assert [h.loss for h in resumed.history] == [h.loss for h in full.history]
    for name in ("weights.npz", "checkpoint.json"):
        assert (a / name).read_bytes() == (c / name).read_bytes()
    with pytest.raises(ValueError, match="other configs or another seed"):
        train(data, model=model, train_cfg=tcfg, seed=4, out_dir=c, resume=True)


def test_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path)
    (tmp_path / "weights.npz").write_bytes(b"junk")
    (tmp_path / "checkpoint.json").write_text("{}")
    with pytest.raises(CheckpointError, match="schema"):
        load_checkpoint(tmp_path)


def test_cli_train_then_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ck"
    code, res = cli_json(capsys, ["train", "parity-parallel", "--seed", "0", "--out", str(out), "--json"])
    assert code == 0 and res["schema"] == "powergen.train/1" and res["n_params"] == 738
    assert res["accuracy"]["remask"] == 1.0
    code, ev = cli_json(capsys, ["eval", "parity-parallel", "--checkpoint", str(out), "--lengths", "16", "64", "256",
                                 "--count", "10", "--json"])
    assert code == 0 and ev["ok"] and ev["fidelity"] == 1.0
    assert [r["accuracy"] for r in ev["lengths"]] == [1.0, 1.0, 1.0]
    res_g = ev["steps_growth"]["residuals"]
    assert res_g["log n"] < res_g["sqrt n"] < res_g["n"]
    from reductions.tasks.parity_parallel import step_bound

    assert all(r["steps_max"] <= step_bound(r["length"]) for r in ev["lengths"])
    code, again = cli_json(capsys, ["eval", "parity-parallel", "--checkpoint", str(out), "--lengths", "16", "64",
                                    "256", "--count", "10", "--json"])
    assert again == ev
    # a parity-parallel checkpoint is refused for the paper's task, in one line
    assert main(["eval", "parity", "--checkpoint", str(out), "--json"]) == 2
    err = capsys.readouterr().err
    assert "trained on 'parity-parallel'" in err and "Traceback" not in err


def test_cli_eval_oracle_and_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, ev = cli_json(capsys, ["eval", "parity", "--oracle", "--lengths", "5", "9", "--count", "3", "--json"])
    assert code == 0 and ev["source"] == "oracle" and ev["lengths"][1]["steps_max"] <= 18
    assert main(["train", "nosuchtask", "--out", str(tmp_path)]) == 2
    assert main(["eval", "parity", "--checkpoint", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "Traceback" not in err


def test_params_are_float32_and_finite(tmp_path: Path) -> None:
    ck_dir = tmp_path / "ck"
    main(["train", "parity", "--seed", "1", "--steps", "20", "--out", str(ck_dir), "--json"])
    ck = load_checkpoint(ck_dir)
    assert all(a.dtype == np.float32 and np.isfinite(a).all() for a in ck.params.values())
    assert ck.state["task"] == "parity" and ck.state["step"] == 20 and ck.state["done"]
