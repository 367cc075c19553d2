"""Evaluate trained graph-editing models without training: the shipped ones, or any model or run directory.

:func:`resolve_models` turns a ``--checkpoint`` argument into verified models: ``"shipped"`` (every model under
``proofs_check/experiments/shipped/maxflow/``), a shipped model directory, a directory of shipped models, or a
training run directory (the trainer's ``checkpoint.npz``; its kind is read from ``result.json`` when present,
else from the config: bidirectional is AP-MDM, causal over the 571-id vocabulary the edit-log ARM, causal over
the 53 max-flow ids the answer-only ARM).  :func:`evaluate_model` runs one of them with the batched decoder of its
kind on held-out test graphs, with the experiment's success rule: AP-MDM rolls out on the exact machine (every
step through ``g``), the ARMs decode greedily and are replayed or checked; all are judged by the networkx min-cut
certificate (:mod:`proofs_check.experiments.maxflow`, :mod:`~proofs_check.experiments.maxflow_arm`,
:mod:`~proofs_check.experiments.maxflow_answer`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from machines.neural.config import ModelConfig
from machines.neural.layers import Params
from proofs_check.experiments.ship import ShippedModelError, find_shipped, load_shipped, repo_relative

__all__ = ["LoadedModel", "evaluate_model", "resolve_models"]


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A model to evaluate: a name, its kind (``ap-mdm``, ``arm-edit-log``, ``arm-answer``), config, weights and the
    manifest or result it came with (``{}`` when none)."""

    name: str
    kind: str
    model: ModelConfig
    params: Params
    source: str
    info: dict[str, Any]


def _kind_of(model: ModelConfig) -> str:
    from proofs_check.experiments.maxflow_arm import ARM_VOCAB

    if not model.causal:
        return "ap-mdm"
    return "arm-edit-log" if model.vocab_size == ARM_VOCAB.size else "arm-answer"


def _from_run(d: Path) -> LoadedModel:
    from proofs_check.experiments.trainer import RunError, load_run

    try:
        st = load_run(d)
    except RunError as exc:
        raise ShippedModelError(os.fspath(d), [str(exc)]) from None
    info: dict[str, Any] = {}
    try:
        info = json.loads((d / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    kind = info.get("model_kind") if info.get("model") == st.model.to_json() else None
    return LoadedModel(name=d.name, kind=str(kind or _kind_of(st.model)), model=st.model, params=st.params,
                       source=f"run {d} (update {st.step})", info=info)


def resolve_models(target: str, *, task: str = "maxflow", root: str | os.PathLike[str] | None = None) -> \
        list[LoadedModel]:
    """The verified models ``target`` names (module docstring); :class:`ShippedModelError` when there are none or
    one fails verification."""
    if target == "shipped":
        dirs = find_shipped(task, root)
        if not dirs:
            where = Path(root) / task if root is not None else f"proofs_check/experiments/shipped/{task}"
            raise ShippedModelError(os.fspath(where), [f"no model of {task} is shipped yet; train one with "
                                                       f"'powergen experiment {task}' and promote it with "
                                                       f"'powergen experiment {task} --ship'"])
    else:
        d = Path(target)
        if not d.is_dir():
            raise ShippedModelError(target, ["no such directory" if not d.exists() else "not a directory"])
        if (d / "checkpoint.npz").is_file():
            return [_from_run(d)]
        if (d / "manifest.json").is_file():
            dirs = [d]
        else:
            dirs = sorted(p for p in d.iterdir() if p.is_dir() and (p / "manifest.json").is_file())
            if not dirs:
                raise ShippedModelError(target, ["neither a shipped model (manifest.json), a directory of shipped "
                                                 "models, nor a training run (checkpoint.npz)"])
    out = []
    for p in dirs:
        m = load_shipped(p)
        # the package's shipped models: relative to the repository (the same in every clone); else as typed
        where = repo_relative(p) if target == "shipped" else os.fspath(p)
        out.append(LoadedModel(name=m.name, kind=m.kind, model=m.model, params=m.params, source=f"shipped {where}",
                               info=m.manifest))
    return out


def evaluate_model(m: LoadedModel, *, sizes: Sequence[int], count: int, seed: int,
                   teacher_forced: bool = False, workers: int = 1) -> dict[str, Any]:
    """Evaluate ``m`` on ``count`` test graphs per size (the experiment's held-out stream for ``seed``).

    With ``teacher_forced``, an AP-MDM's result also has ``step_accuracy``: per size, the percentage of *every*
    oracle transition of the same graphs whose prediction, through ``g``, gives exactly the oracle's next sequence
    (:func:`proofs_check.experiments.maxflow.step_accuracy` with stride 1 on the test stream), and
    ``step_accuracy_by_operation``: the same transitions grouped by the operation the process performs there
    (:func:`proofs_check.experiments.maxflow.teacher_forced`).  ``workers`` processes share an AP-MDM's rollouts
    (the result does not depend on it); the ARMs decode in this process.
    """
    from proofs_check.experiments import maxflow as mf

    if m.kind == "ap-mdm":
        predict = mf.neural_predictor(m.model, m.params)
        res = mf.evaluate(predict, sizes=sizes, count=count, seed=seed, workers=workers)
        if teacher_forced:
            tf = mf.teacher_forced(predict, sizes=sizes, count=count, seed=seed, stride=1, stream="test")
            res["step_accuracy"] = tf["per_size"]
            res["step_accuracy_by_operation"] = tf["by_operation"]
        return res
    if m.kind == "arm-edit-log":
        from proofs_check.experiments.maxflow_arm import evaluate_arm

        return evaluate_arm(m.model, m.params, sizes=sizes, count=count, seed=seed)
    from proofs_check.experiments.maxflow_answer import evaluate_answer

    return evaluate_answer(m.model, m.params, sizes=sizes, count=count, seed=seed)
