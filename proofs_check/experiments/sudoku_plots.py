"""Plots of the Sudoku experiment (``powergen experiment sudoku --plot DIR``): learning curves and the table.

For every run directory given (model kind -> ``<run_dir>/<kind>``), :func:`plot_runs` draws

* ``sudoku_learning.png``: left, the training loss by update (a running mean over 10 logged points, the raw
  points faint behind it); right, the probes' teacher-forced step accuracy (a step counts only when the whole
  predicted step equals the oracle's), overall and, for the AP-MDM kinds, by decision type (cell choice, assign,
  branch, backtrack...);
* ``sudoku_accuracy.png``: exact accuracy on the held-out puzzles of each kind's final evaluation
  (``result.json``), beside the paper's number for that row.

Logs are read with :func:`proofs_check.experiments.trainer.read_log`; matplotlib is optional (the ``plot`` extra),
set up by :mod:`proofs_check.figures`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from proofs_check.experiments.trainer import logged_runs, read_log
from proofs_check.figures import EXPERIMENT_FIGURE, pyplot, save_figure

__all__ = ["paper_value", "plot_runs", "running_mean"]


def running_mean(values: list[float], window: int = 10) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start).

    Examples
    --------
    >>> running_mean([1.0, 3.0, 5.0, 7.0], window=2).tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    v = np.asarray(values, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(v)])
    hi = np.arange(1, len(v) + 1)
    lo = np.maximum(hi - window, 0)
    return (c[hi] - c[lo]) / (hi - lo)


def paper_value(p: Any) -> float | None:
    """The paper's number for a row as a float (the table stores strings such as ``"99.28"``); ``None`` for a row
    the paper does not have (``"-"``, ``"N/A"``).

    Examples
    --------
    >>> paper_value("99.28"), paper_value(87.18), paper_value("-"), paper_value(None)
    (99.28, 87.18, None, None)
    """
    try:
        v = float(p)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _final(d: Path) -> dict[str, Any] | None:
    p = d / "result.json"
    if not p.is_file():
        return None
    try:
        res = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return res if isinstance(res, dict) and isinstance(res.get("eval"), dict) else None


def plot_runs(runs: dict[str, str | os.PathLike[str]], out_dir: str | os.PathLike[str]) -> list[str]:
    """Draw the figures of the module docstring for ``runs``; return the files written.

    Run directories without a ``train.log`` are skipped; when none has one, :class:`UsageError`.
    """
    plt = pyplot()
    found, out = logged_runs(runs, out_dir)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.2))
    for key, d in found.items():
        logs, evals = read_log(d / "train.log")
        evals = [e for e in evals if isinstance(e.get("probe_step_accuracy", 0.0), (int, float))
                 and isinstance(e.get("probe_per_decision", {}), dict)]
        if logs:
            steps = [e["step"] for e in logs]
            loss = [e["loss"] for e in logs]
            (line,) = ax_loss.plot(steps, running_mean(loss), label=key, lw=1.4)
            ax_loss.plot(steps, loss, color=line.get_color(), lw=0.5, alpha=0.25)
        pts = [(e["step"], e["probe_step_accuracy"]) for e in evals if "probe_step_accuracy" in e]
        if pts:
            ax_acc.plot(*zip(*pts, strict=True), "o-", lw=2, label=f"{key}: whole step")
        types = sorted({t for e in evals for t in e.get("probe_per_decision", {})})
        for t in types:
            tp = [(e["step"], e["probe_per_decision"][t]) for e in evals if t in e.get("probe_per_decision", {})]
            ax_acc.plot(*zip(*tp, strict=True), ".:", lw=1, label=f"{key}: {t}")
    ax_loss.set(xlabel="update", ylabel="training loss", yscale="log", title="training loss (running mean of 10 logs)")
    ax_acc.set(xlabel="update", ylabel="% of probe steps exactly right", ylim=(-2, 102),
               title="teacher-forced step accuracy on probe puzzles")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    written = [save_figure(plt, fig, out / "sudoku_learning.png", **EXPERIMENT_FIGURE)]

    finals = {k: r for k, r in ((k, _final(d)) for k, d in found.items()) if r is not None}
    if finals:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        keys = list(finals)
        xs = np.arange(len(keys))
        ours = [finals[k]["eval"]["accuracy"] for k in keys]
        paper = [paper_value(finals[k].get("paper")) for k in keys]
        ax.bar(xs - 0.2, ours, width=0.4, label="powergen (this run)")
        px = [x + 0.2 for x, p in zip(xs, paper, strict=True) if p is not None]
        ax.bar(px, [p for p in paper if p is not None], width=0.4, color="grey", label="paper")
        for x, p in zip(xs, paper, strict=True):
            if p is None:
                ax.annotate("paper: n/a", (x + 0.2, 1.0), ha="center", va="bottom", fontsize=7, rotation=90)
        for x, v, r in zip(xs, ours, (finals[k] for k in keys), strict=True):
            ax.annotate(f"{v:.1f} %\n({r['eval']['exact']}/{r['eval']['n']})", (x - 0.2, v), ha="center",
                        va="bottom", fontsize=7)
        ax.set_xticks(xs, keys)
        ax.set(ylabel="exact (% of held-out puzzles)", ylim=(0, 110), title="Sudoku: exact accuracy")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(save_figure(plt, fig, out / "sudoku_accuracy.png", **EXPERIMENT_FIGURE))
    return written
