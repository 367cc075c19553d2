"""``powergen train`` / ``powergen eval`` and the checkpoints: determinism, exact resume, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from machines.neural.checkpoint import CheckpointError, load_checkpoint
from proofs_check.cli import main
from proofs_check.experiments.train import train
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
    assert tree_bytes(a) == tree_bytes(b)
    part = train(data, model=model, train_cfg=tcfg, seed=3, out_dir=c, stop_after=15)
    assert load_checkpoint(c).step == 15 and len(part.history) == 3
    resumed = train(data, model=model, train_cfg=tcfg, seed=3, out_dir=c, resume=True)
    assert [h.loss for h in resumed.history] == [h.loss for h in full.history]
    assert tree_bytes(a) == tree_bytes(c)
    with pytest.raises(ValueError, match="trained with seed 3, not 4"):
        train(data, model=model, train_cfg=tcfg, seed=4, out_dir=c, resume=True)


def tree_bytes(d: Path) -> dict[str, bytes]:
    """Every file under ``d`` (relative path -> bytes): a checkpoint compared as a whole."""
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="directory is empty"):
        load_checkpoint(tmp_path)
    (tmp_path / "weights.npz").write_bytes(b"junk")
    (tmp_path / "checkpoint.json").write_text("{}")
    with pytest.raises(CheckpointError, match="earlier two-file format"):
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
    assert ck.task == "parity" and ck.step == 20 and ck.done


def test_cli_seeds_counts_generalising_seeds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["seeds", "parity", "--seeds", "3", "--first-seed", "2", "--lengths", "9", "30", "--count", "6", "--json"]
    code, study = cli_json(capsys, argv)
    assert code == 0 and study["schema"] == "powergen.seeds/1" and study["seeds"] == 3
    assert [r["seed"] for r in study["results"]] == [2, 3, 4]
    # independent recount: a seed generalises iff it fits and every run at every length is correct
    assert study["successes"] == sum(r["fidelity"] == 1.0 and r["correct"] == [6, 6] for r in study["results"]) == 3
    code, again = cli_json(capsys, argv)
    assert again == study  # same seeds, same JSON
    # the seed-2 row is the model `powergen train parity --seed 2` writes: evaluate that checkpoint with `eval`
    assert main(["train", "parity", "--seed", "2", "--out", str(tmp_path / "s2"), "--json"]) == 0
    capsys.readouterr()
    code, ev = cli_json(capsys, ["eval", "parity", "--checkpoint", str(tmp_path / "s2"), "--lengths", "9", "30",
                                 "--count", "6", "--seed", "0", "--json"])
    assert [r["correct"] for r in ev["lengths"]] == study["results"][0]["correct"]
    assert [r["steps_max"] for r in ev["lengths"]] == study["results"][0]["steps_max"]
    assert ev["fidelity"] == study["results"][0]["fidelity"] and ev["n_params"] == study["n_params"]


def test_cli_model_overrides(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "w2"
    code, res = cli_json(capsys, ["train", "parity", "--steps", "5", "--out", str(out), "--json", "--model",
                                  "block=none", "window=2", "rel_clip=2"])
    assert code == 0 and res["model"]["window"] == 2 and res["model"]["block"] is None
    assert load_checkpoint(out).model.window == 2  # eval reads the model from the checkpoint
    code, study = cli_json(capsys, ["seeds", "parity", "--seeds", "1", "--steps", "5", "--lengths", "4", "--count",
                                    "2", "--json", "--model", "d_model=8", "rotary=standard"])
    # head_dim 8 after d_model=8: RoPE's 4 frequencies 10000^(-2k/8), written out
    assert code == 0 and study["model"]["d_model"] == 8
    assert study["model"]["rotary"] == pytest.approx([1.0, 0.1, 0.01, 0.001], rel=1e-12)
    # the order of the assignments does not matter (the config is validated once, as a whole)
    from machines.neural.config import override
    from reductions.tasks.parity import ParityTask

    base = ParityTask().model_config()
    for items in (["n_heads=3", "d_model=12", "rotary=standard"], ["window=2", "block=none"]):
        assert override(base, items) == override(base, items[::-1])
    for bad, words in [(["depth=2"], "unknown model field 'depth'"), (["window"], "KEY=VALUE"),
                       (["window=2"], "window and block cannot be combined"), (["global_first=maybe"], "true or false"),
                       (["d_model=x"], "must be an integer"), (["rotary=fast"], "rotary must be"),
                       (["ctrl_bias=nan"], "ctrl_bias must be a finite"), (["init_std=inf"], "init_std must be"),
                       (["d_model=2", "rotary=nan"], "rotary frequencies must be finite"),
                       (["rotary=1e400,0", "d_model=4"], "rotary frequencies must be finite"),
                       (["d_model=999999"], "above the limit of 50,000,000"),
                       (["depth=2", "d_model=x"], "must be an integer")]:
        assert main(["seeds", "parity", "--seeds", "1", "--model", *bad]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert main(["train", "parity", "--out", str(tmp_path / "big"), "--model", "d_model=512", "--max-params",
                 "1000"]) == 2
    assert "limit of 1,000" in capsys.readouterr().err and not (tmp_path / "big").exists()
    assert main(["seeds", "--model", "window=2", "parity"]) == 2  # the task name is not read as an assignment
    assert "put --model after the task name" in capsys.readouterr().err
    assert main(["seeds", "parity", "--seeds", "10001"]) == 2
    assert "limit of 10000" in capsys.readouterr().err
