"""``powergen experiment maxflow``: a tiny end-to-end run through the CLI, resumable, and one-line bad input."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main

TINY = ["experiment", "maxflow", "--models", "ap-mdm",
        "--train-graphs", "7", "--steps", "2", "--batch-size", "2", "--test-per-size", "1",
        "--eval-every", "1", "--probe-per-size", "1",
        "--model", "d_model=16", "n_heads=2", "n_layers=1", "rotary=standard"]


def test_a_tiny_experiment_runs_end_to_end_and_resumes(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main([*TINY, "--run-dir", run, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    res = out["models"]["ap-mdm"]
    assert out["schema"] == "powergen.experiment/1" and res["steps_done"] == 2
    assert sorted(res["eval"]["per_size"], key=int) == [str(n) for n in range(4, 11)]
    assert res["store"]["graphs"] == 7 and res["paper"]["4"] == "100"
    assert (tmp_path / "run" / "checkpoint.npz").is_file() and (tmp_path / "run" / "result.json").is_file()
    # the same command again resumes the finished run (no new updates) and re-evaluates: same result
    assert main([*TINY, "--run-dir", run, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)["models"]["ap-mdm"]
    assert again["steps_done"] == 2 and again["eval"] == res["eval"] | {"cpu_seconds": again["eval"]["cpu_seconds"]}


def test_progress_lines_name_the_model(tmp_path, capsys):
    """Without --json every trainer log is one stderr line led by the model kind."""
    assert main([*TINY, "--steps", "1", "--run-dir", str(tmp_path / "run")]) == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if " update " in ln]
    assert lines and all(ln.startswith("[ap-mdm ") for ln in lines) and "update 1/1 " in lines[-1]


def test_training_progress_line_and_estimate(capsys):
    from proofs_check.cli_common import training_progress

    ticks = iter([100.0, 135.0])
    log = training_progress(7200.0, 6000, kind="arm", clock=lambda: next(ticks))
    # 120 CPU-s for 100 updates: 5,900 left at 1.2 s each = 118 CPU-min, under the 118 min left of the budget
    log({"step": 100, "cpu": 120.0, "loss": 1.5, "acc": {"value": 0.25}})
    assert capsys.readouterr().err == ("[arm             35s] update 100/6000  cpu 2.0 min  (~118 CPU-min left)  "
                                       "loss 1.5000  acc value 0.250\n")
    ticks = iter([0.0, 1.0])
    log = training_progress(600.0, 6000, clock=lambda: next(ticks))  # the kind may come with the entry
    log({"step": 100, "cpu": 120.0, "loss": 1.5, "acc": {}, "kind": "ao-mdm"})
    err = capsys.readouterr().err
    assert err.startswith("[ao-mdm ") and "(~8 CPU-min left)" in err  # capped by the budget: 480 s left


def test_help_states_the_real_training_defaults(capsys):
    """--steps and --batch-size default per task and model: the help quotes the configs the runs use."""
    import re

    from proofs_check.experiments import maxflow as mf
    from proofs_check.experiments import maxflow_arm as ma
    from proofs_check.experiments import sudoku as sx

    with pytest.raises(SystemExit):
        main(["experiment", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    batch = re.search(r"--batch-size N batch size \(default: maxflow (\d+), its edit-log ARM (\d+); sudoku (\d+)\)",
                      text)
    steps = re.search(r"--steps N updates \(default: maxflow ([\d,]+), its edit-log ARM ([\d,]+); sudoku ([\d,]+);",
                      text)
    assert batch and steps, text
    assert [int(g) for g in batch.groups()] == [mf.train_config().batch_size, ma.ARM_BATCH_SIZE,
                                                sx.train_config().batch_size]
    assert [int(g.replace(",", "")) for g in steps.groups()] == [mf.train_config().steps, ma.ARM_STEPS,
                                                                 sx.train_config().steps]


def test_maxflow_defaults_train_all_three_models_each_with_its_own_schedule(tmp_path, monkeypatch):
    """No --models trains AP-MDM and both ARMs; the edit-log ARM gets its own batch and steps, and --steps (when
    given) applies to every model."""
    from proofs_check.experiments import maxflow as mf
    from proofs_check.experiments import maxflow_answer as mans
    from proofs_check.experiments import maxflow_arm as ma

    seen: dict[str, tuple[int, int]] = {}

    def fake(kind):
        def run(**kw):
            seen[kind] = (kw["train"].steps, kw["train"].batch_size)
            raise SystemExit(0)  # stop before any work: only the configs are checked (earlier models return None)
        return run

    defaults = {"ap-mdm": (mf.train_config().steps, mf.train_config().batch_size),
                "arm": (ma.ARM_STEPS, ma.ARM_BATCH_SIZE),
                "arm-answer": (mf.train_config().steps, mf.train_config().batch_size)}
    assert ma.ARM_STEPS != mf.train_config().steps
    for kind, want in defaults.items():
        seen.clear()
        monkeypatch.setattr(mf, "run_apmdm", fake("ap-mdm") if kind == "ap-mdm" else (lambda **kw: None))
        monkeypatch.setattr(ma, "run_arm", fake("arm") if kind == "arm" else (lambda **kw: None))
        monkeypatch.setattr(mans, "run_answer", fake("arm-answer") if kind == "arm-answer" else (lambda **kw: None))
        with pytest.raises(SystemExit):
            main(["experiment", "maxflow", "--run-dir", str(tmp_path / "r"), "--json"])
        assert seen == {kind: want}
        seen.clear()
        with pytest.raises(SystemExit):
            main(["experiment", "maxflow", "--run-dir", str(tmp_path / "r"), "--steps", "7", "--json"])
        assert seen[kind][0] == 7


def test_bad_budget_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["experiment", "maxflow", "--budget-cpu-minutes", "0", "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "budget-cpu-minutes" in err[0]


@pytest.mark.slow  # an untrained ARM writes up to 3,000 tokens per graph before it is cut off
def test_a_tiny_arm_run_through_the_cli(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main([*TINY, "--models", "arm", "--run-dir", run, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["models"]["arm"]
    assert res["model"]["causal"] is True and res["steps_done"] == 2 and res["paper"]["5"] == "43.04"
    assert sum(e["n"] for e in res["eval"]["per_size"].values()) == 7
    assert (tmp_path / "run-arm" / "checkpoint.npz").is_file()


def test_unknown_model_is_a_usage_error(tmp_path, capsys):
    assert main(["experiment", "maxflow", "--models", "ap-mdm,gpt", "--run-dir", str(tmp_path)]) == 2
    assert "expected a comma-separated list" in capsys.readouterr().err


def test_sigterm_during_training_saves_exits_130_with_one_line_and_the_same_command_resumes(tmp_path, capsys,
                                                                                            monkeypatch):
    """SIGTERM while update 2 is computed (sent from the batch sampler): that update finishes, the checkpoint is
    written, the command prints one line naming the update and exits 130 without evaluating (no result.json); the
    same command then resumes at update 2 and finishes."""
    import os
    import signal

    import proofs_check.experiments.maxflow as mf
    from proofs_check.experiments.trainer import load_run

    real = mf.store_sampler

    def signalling_sampler(store, batch_size):
        inner, calls = real(store, batch_size), []

        def sample(rng):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGTERM)
            return inner(rng)
        return sample

    monkeypatch.setattr(mf, "store_sampler", signalling_sampler)
    before = signal.getsignal(signal.SIGTERM)
    run = tmp_path / "run"
    i = TINY.index("--steps")
    cmd = [*TINY[:i + 1], "4", *TINY[i + 2:], "--run-dir", str(run), "--json"]
    assert main(cmd) == 130
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("powergen: interrupted: checkpoint saved at update 2 in ")
    assert signal.getsignal(signal.SIGTERM) is before
    assert load_run(run).step == 2 and not (run / "result.json").exists()
    monkeypatch.setattr(mf, "store_sampler", real)
    assert main(cmd) == 0
    assert json.loads(capsys.readouterr().out)["models"]["ap-mdm"]["steps_done"] == 4
