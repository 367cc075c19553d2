"""Plots of the graph-editing experiment: learning curves from ``train.log`` and accuracy by size.

The runs' ``train.log`` files are read by :func:`proofs_check.experiments.trainer.read_log` (re-exported here).
:func:`plot_runs` draws, for every run directory
given, ``maxflow_learning.png`` (training loss and the probes' teacher-forced step accuracy, mean over sizes, by
update) and ``maxflow_accuracy.png`` (success rate by graph size: the final evaluation from ``result.json`` when
the run has one, else the latest probe, labelled as such; the paper's AP-MDM and ARM numbers beside them).
matplotlib is optional (the ``plot`` extra); without it the call raises a :class:`~proofs_check.errors.UsageError`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from proofs_check.experiments.trainer import logged_runs, read_log
from proofs_check.figures import EXPERIMENT_FIGURE, pyplot, save_figure

__all__ = ["plot_runs", "read_log"]

PAPER_POINTS = {"ap-mdm": {4: 100.0, 5: 100.0, 6: 100.0, 7: 99.92, 8: 99.92, 9: 99.92, 10: 99.92},
                "arm": {4: 90.32, 5: 43.04, 6: 0.30}}  # 7-10: the lower end of the paper's 99.92-100 range


def plot_runs(runs: dict[str, str], out_dir: str | os.PathLike[str]) -> list[str]:
    """Draw the two figures (module docstring) for ``runs`` (model key -> run directory); return the files written.

    Run directories without a ``train.log`` are skipped; when none has one, :class:`UsageError`.
    """
    plt = pyplot()
    found, out = logged_runs(runs, out_dir)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for key, d in found.items():
        logs, evals = read_log(d / "train.log")
        if logs:
            ax_loss.plot([e["step"] for e in logs], [e["loss"] for e in logs], label=key, lw=1)
        pts = [(e["step"], sum(e["step_accuracy"].values()) / len(e["step_accuracy"]))
               for e in evals if e.get("step_accuracy")]
        if pts:
            ax_acc.plot(*zip(*pts, strict=True), "o-", label=f"{key}: step accuracy (teacher-forced)")
        succ = [(e["step"], e["probe_accuracy"]) for e in evals if "probe_accuracy" in e]
        if succ:
            ax_acc.plot(*zip(*succ, strict=True), "s--", label=f"{key}: rollout success")
    ax_loss.set(xlabel="update", ylabel="training loss", yscale="log", title="training loss")
    ax_acc.set(xlabel="update", ylabel="% of probe graphs / steps", ylim=(-2, 102),
               title="probes (held-out graphs, mean over sizes)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    written = [save_figure(plt, fig, out / "maxflow_learning.png", **EXPERIMENT_FIGURE)]

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for key, d in found.items():
        sizes, acc, label = _by_size(d)
        if sizes:
            ax.plot(sizes, acc, "o-", label=f"{key} ({label})")
    for key, paper in PAPER_POINTS.items():
        ax.plot(list(paper), list(paper.values()), "x:", color="grey" if key == "ap-mdm" else "black",
                label=f"paper, {key.upper()}")
    ax.set(xlabel="nodes", ylabel="success (%)", ylim=(-2, 102), title="graph editing: success by size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    written.append(save_figure(plt, fig, out / "maxflow_accuracy.png", **EXPERIMENT_FIGURE))
    return written


def _by_size(d: Path) -> tuple[list[int], list[float], str]:
    """Success by size: the final evaluation of ``result.json``, else the latest probe."""
    try:
        res = json.loads((d / "result.json").read_text(encoding="utf-8"))
        final = sorted((int(n), float(e["accuracy"])) for n, e in res["eval"]["per_size"].items())  # '10' < '4'
        return ([n for n, _ in final], [v for _, v in final],
                f"final, {res['test_per_size']} test graphs per size, update {res['steps_done']}")
    except (OSError, ValueError, KeyError, TypeError):
        pass
    _, evals = read_log(d / "train.log")
    probes = [e for e in evals if isinstance(e.get("probe_per_size"), dict)]
    if not probes:
        return [], [], ""
    last = probes[-1]
    per = sorted((int(n), float(v)) for n, v in last["probe_per_size"].items())
    return [n for n, _ in per], [v for _, v in per], f"probe at update {last['step']}"
