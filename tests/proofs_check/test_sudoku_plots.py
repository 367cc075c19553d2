"""`powergen experiment sudoku --plot DIR`: learning curves and the accuracy figure from run directories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from proofs_check.errors import UsageError
from proofs_check.experiments.sudoku_plots import running_mean

pytest.importorskip("matplotlib")


def _run(d: Path, *, final: bool) -> None:
    d.mkdir(parents=True)
    lines = ["session start: step 0, cpu_train 0.0s, pid 1"]
    lines += [json.dumps({"step": s, "loss": 2.0 / s, "cpu": s, "acc": {}}) for s in range(25, 501, 25)]
    lines += ["eval " + json.dumps({"step": s, "probe_step_accuracy": s / 10, "probe_per_decision": {"assign": s / 5}})
              for s in (250, 500)]
    lines += [json.dumps({"step": 510, "cpu": 1})]  # an update log without a loss: malformed, skipped
    (d / "train.log").write_text("\n".join(lines) + "\nnot json\n", encoding="utf-8")
    if final:
        (d / "result.json").write_text(json.dumps({"eval": {"accuracy": 12.5, "exact": 1, "n": 8}, "paper": "99.28"}))


def test_running_mean_against_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    v = rng.random(37).tolist()
    for w in (1, 3, 10, 50):
        want = [sum(v[max(0, i + 1 - w):i + 1]) / len(v[max(0, i + 1 - w):i + 1]) for i in range(len(v))]
        assert np.allclose(running_mean(v, w), want)


def test_plots_are_written_from_logs_and_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from proofs_check.cli import main

    _run(tmp_path / "exp" / "ap-mdm-peer", final=True)
    _run(tmp_path / "exp" / "arm", final=False)
    code = main(["experiment", "sudoku", "--run-dir", str(tmp_path / "exp"), "--plot", str(tmp_path / "out"),
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert sorted(Path(p).name for p in out["plots"]) == ["sudoku_accuracy.png", "sudoku_learning.png"]
    for p in out["plots"]:
        assert Path(p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(q.name for q in (tmp_path / "out").iterdir()) == ["sudoku_accuracy.png", "sudoku_learning.png"]


def test_the_log_reader_skips_update_logs_without_a_loss(tmp_path: Path) -> None:
    from proofs_check.experiments.trainer import read_log

    _run(tmp_path / "a", final=False)
    logs, evals = read_log(tmp_path / "a" / "train.log")
    assert [e["step"] for e in logs] == list(range(25, 501, 25)) and [e["step"] for e in evals] == [250, 500]


def test_no_result_means_no_accuracy_figure_and_no_log_is_an_error(tmp_path: Path) -> None:
    from proofs_check.experiments.sudoku_plots import plot_runs

    _run(tmp_path / "a", final=False)
    assert [Path(p).name for p in plot_runs({"ao-mdm": tmp_path / "a"}, tmp_path / "o")] == ["sudoku_learning.png"]
    with pytest.raises(UsageError, match="nothing to plot"):
        plot_runs({"arm": tmp_path / "missing"}, tmp_path / "o2")
