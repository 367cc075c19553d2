"""Shipped models: the final weights of an experiment, committed inside the package with what made them.

Layout (the project's design [I])::

    proofs_check/experiments/shipped/TASK/NAME/
        weights.npz      the parameters ``param.NAME`` only (no optimiser moments: a third of a resumable
                         checkpoint's size), a zip with sorted names and fixed timestamps
        manifest.json    schema, task, name, model kind, model and training configs, parameter count, the sha256
                         of weights.npz and the dtype/shape/sha256 of every array, updates done, training CPU
                         minutes, seed, train/test sizes, the training data's content hash, the command that
                         trained it, the git commit at shipping, and the per-size results of the run's evaluation

:func:`ship_run` promotes a finished run directory (the trainer's ``checkpoint.npz`` and the ``result.json`` of
its evaluation) to ``NAME``: it writes the two files into a fresh temporary directory beside the target, fsyncs
them, then swaps the directory in with two renames (the old copy, if any, is moved aside first and removed after).
A crash leaves either the old model, the new one, or (between the two renames) no ``NAME`` and the old copy under
``.NAME.old-*``, which the next ship removes; never a half-written model.  :func:`load_shipped` verifies
everything (hashes, dtypes, shapes against the model config, finiteness) and raises one :class:`ShippedModelError`
listing every problem.

**Why not the checkpoint unit of :mod:`machines.neural.checkpoint`.**  That format (``powergen train``) is a
resumable training state: from the first update on it *requires* the AdamW moments, which would triple what is
committed, and its state block is the small trainer's (no CPU time, evaluations or data hash).  The experiment
trainer's one-file ``checkpoint.npz`` (:mod:`proofs_check.experiments.trainer`) is the resumable state of a long
run, rewritten every few CPU-minutes; a run in progress depends on it, so it is kept.  A shipped model is neither:
weights for inference plus a provenance record.  It reuses the checkpoint unit's defensive readers
(:func:`machines.neural.checkpoint_format.read_manifest`, :func:`~machines.neural.checkpoint_format.read_arrays`)
and its deterministic archive writer, so the same run ships byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from machines.neural.checkpoint_format import array_sha256, file_sha256, npz_bytes, read_arrays, read_manifest
from machines.neural.config import ModelConfig, TrainConfig
from machines.neural.layers import Params
from machines.neural.model import Transformer
from proofs_check.errors import CheckError

__all__ = ["REPO_ROOT", "SHIPPED_ROOT", "SHIPPED_SCHEMA", "ShippedModel", "ShippedModelError", "find_shipped",
           "load_shipped", "repo_relative", "ship_run", "write_dir_atomically"]

SHIPPED_SCHEMA = "powergen.shipped-model/1"
SHIPPED_ROOT = Path(__file__).resolve().parent / "shipped"
MANIFEST, WEIGHTS = "manifest.json", "weights.npz"
#: The folder that holds ``proofs_check/`` (the repository in a checkout): shipped paths are shown relative to it.
REPO_ROOT = Path(__file__).resolve().parents[2]


def repo_relative(path: str | os.PathLike[str]) -> str:
    """``path`` relative to :data:`REPO_ROOT` (with ``/``) when it lies inside it, else as given: the ``source``
    of a shipped model in JSON output, the same text in every clone.

    Examples
    --------
    >>> repo_relative(REPO_ROOT / "proofs_check" / "experiments" / "shipped")
    'proofs_check/experiments/shipped'
    >>> repo_relative("runs/a")
    'runs/a'
    """
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(REPO_ROOT.resolve()).as_posix()
        except ValueError:
            pass
    return os.fspath(path)
KINDS = ("ap-mdm", "arm-edit-log", "arm-answer")


class ShippedModelError(CheckError, ValueError):
    """A shipped model (or a run to ship) is missing, incomplete or fails verification; ``problems`` lists why."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where, self.problems = where, list(problems)
        super().__init__(f"{where}: " + "; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class ShippedModel:
    """A verified shipped model: its manifest, configs and parameters."""

    path: Path
    manifest: dict[str, Any]
    model: ModelConfig
    train: TrainConfig
    params: Params

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def kind(self) -> str:
        return str(self.manifest["model_kind"])


def _git_commit() -> str:
    """The commit of the source tree at shipping (``"unknown"`` outside a git checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True,
                             text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    text = out.stdout.strip()
    return text if out.returncode == 0 and len(text) == 40 else "unknown"


def reconstructed_command(result: dict[str, Any]) -> str:
    """The ``powergen experiment`` command a result records, or one rebuilt from its fields (configs included).

    Examples
    --------
    >>> reconstructed_command({"command": "powergen experiment maxflow --seed 1"})
    'powergen experiment maxflow --seed 1'
    """
    if result.get("command"):
        return str(result["command"])
    key = {"ap-mdm": "ap-mdm", "arm-edit-log": "arm", "arm-answer": "arm-answer"}.get(result.get("model_kind", ""),
                                                                                       "ap-mdm")
    budget = result.get("budget_cpu_seconds")
    parts = ["powergen experiment maxflow", f"--models {key}", f"--seed {result.get('seed', 0)}",
             f"--train-graphs {result.get('store', {}).get('graphs', '?')}",
             f"--test-per-size {result.get('test_per_size', '?')}",
             f"--steps {result.get('train', {}).get('steps', '?')}",
             f"--batch-size {result.get('train', {}).get('batch_size', '?')}"]
    if budget is not None:
        parts.insert(2, f"--budget-cpu-minutes {budget / 60:g}")
    return " ".join(parts) + "  # rebuilt from result.json (model config in the manifest)"


def write_dir_atomically(target: Path, files: dict[str, bytes], *, keep_existing: bool = False) -> None:
    """Make the folder ``target`` hold ``files`` (name -> bytes) in one step: the folder is staged beside it
    (a copy of the old folder's contents first when ``keep_existing``), each file written and fsynced (mode 0o644,
    folder 0o755), then swapped in by :func:`_atomic_dir_swap`; a failure leaves the old folder as it was and removes
    the staged copy.  Raises :class:`OSError`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    swapped = False
    try:
        os.chmod(staged, 0o755)
        if keep_existing and target.is_dir():
            shutil.copytree(target, staged, dirs_exist_ok=True)
        for fname, data in files.items():
            with open(staged / fname, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(staged / fname, 0o644)
        _atomic_dir_swap(staged, target)
        swapped = True
    finally:
        if not swapped:
            shutil.rmtree(staged, ignore_errors=True)


def _atomic_dir_swap(staged: Path, target: Path) -> None:
    """Put the complete directory ``staged`` at ``target`` (module notes: two renames, old copy removed after)."""
    for stale in target.parent.glob(f".{target.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.rename(target, old)
    os.rename(staged, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def ship_run(run_dir: str | os.PathLike[str], *, name: str, task: str = "maxflow",
             root: str | os.PathLike[str] | None = None) -> Path:
    """Promote the finished, evaluated run in ``run_dir`` to the shipped model ``root/task/name``; return its path.

    The run must hold the trainer's ``checkpoint.npz`` and the ``result.json`` of its evaluation, and the two must
    agree (model config, updates); otherwise :class:`ShippedModelError`.

    Notes
    -----
    ``O(size of the weights)``; one ``git rev-parse`` call.
    """
    from proofs_check.experiments.trainer import RunError, load_run

    run = Path(run_dir)
    problems: list[str] = []
    try:
        st = load_run(run)
    except RunError as exc:
        raise ShippedModelError(os.fspath(run), [str(exc)]) from None
    try:
        result = json.loads((run / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ShippedModelError(os.fspath(run), [f"no readable result.json (is the run finished and evaluated?): "
                                                 f"{exc}"]) from None
    kind = result.get("model_kind")
    if kind not in KINDS:
        problems.append(f"result.json has model_kind {kind!r}, expected one of {list(KINDS)}")
    if result.get("model") != st.model.to_json():
        problems.append("result.json and checkpoint.npz describe different models")
    if result.get("steps_done") != st.step:
        problems.append(f"result.json was written at update {result.get('steps_done')}, the checkpoint is at "
                        f"update {st.step}: evaluate the run again before shipping")
    if not name or "/" in name or name.startswith("."):
        problems.append(f"name must be a plain directory name, got {name!r}")
    if problems:
        raise ShippedModelError(os.fspath(run), problems)
    arrays = {f"param.{k}": np.ascontiguousarray(v) for k, v in sorted(st.params.items())}
    blob = npz_bytes(arrays)
    per_size = {n: {k: e[k] for k in ("n", "correct", "accuracy", "failures") if k in e}
                for n, e in result["eval"]["per_size"].items()}
    manifest = {
        "schema": SHIPPED_SCHEMA, "task": task, "name": name, "model_kind": kind,
        "model": st.model.to_json(), "train": st.train.to_json(), "n_params": Transformer.n_params(st.params),
        "weights": {"file": WEIGHTS, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()},
        "arrays": {k: {"dtype": a.dtype.str, "shape": list(a.shape), "sha256": array_sha256(a)}
                   for k, a in arrays.items()},
        "updates": st.step, "stopped": st.stopped, "cpu_train_minutes": round(st.cpu_train / 60.0, 2),
        "seed": st.seed, "train_sizes": result.get("train_sizes", [4, 5, 6, 7, 8, 9, 10]),
        "test_sizes": result.get("test_sizes", [int(n) for n in per_size]),
        "data": {"name": result.get("store", {}).get("name"), "graphs": result.get("store", {}).get("graphs"),
                 "sha256": result.get("store", {}).get("sha256"), "run_data": st.data},
        "command": reconstructed_command(result), "git_commit_at_ship": _git_commit(),
        "results": {"test_per_size": result.get("test_per_size"), "eval_seed": result.get("seed"),
                    "accuracy": result["eval"].get("accuracy"), "per_size": per_size,
                    "paper": result.get("paper", {})},
    }
    dest_parent = Path(root if root is not None else SHIPPED_ROOT) / task
    try:
        write_dir_atomically(dest_parent / name, {
            WEIGHTS: blob,
            MANIFEST: (json.dumps(manifest, indent=1, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")})
    except OSError as exc:
        raise ShippedModelError(os.fspath(dest_parent / name), [f"cannot write: {exc.strerror or exc}"]) from None
    return dest_parent / name


def load_shipped(path: str | os.PathLike[str]) -> ShippedModel:
    """Read and verify the shipped model in ``path``; every problem goes into one :class:`ShippedModelError`."""
    d = Path(path)
    problems: list[str] = []
    if not (d / MANIFEST).is_file():
        raise ShippedModelError(os.fspath(d), [f"no {MANIFEST} (not a shipped model)"])
    meta = read_manifest(d / MANIFEST, problems)
    arrays = read_arrays(d / WEIGHTS, problems) if (d / WEIGHTS).is_file() else None
    if arrays is None and not (d / WEIGHTS).is_file():
        problems.append(f"{WEIGHTS} is missing")
    if meta is None:
        raise ShippedModelError(os.fspath(d), problems)
    if meta.get("schema") != SHIPPED_SCHEMA:
        problems.append(f"schema is {str(meta.get('schema'))[:60]!r}, expected {SHIPPED_SCHEMA!r}")
    if meta.get("model_kind") not in KINDS:
        problems.append(f"model_kind {str(meta.get('model_kind'))[:40]!r} is not one of {list(KINDS)}")
    model = train = None
    try:
        model = ModelConfig.from_json(meta["model"])
        train = TrainConfig.from_json(meta["train"])
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"bad configs: {str(exc)[:200]}")
    if (d / WEIGHTS).is_file() and meta.get("weights", {}).get("sha256") != file_sha256(d / WEIGHTS):
        problems.append(f"{WEIGHTS} does not match the sha256 the manifest records (its bytes changed)")
    raw_table = meta.get("arrays")
    table: dict[str, Any] = raw_table if isinstance(raw_table, dict) else {}
    params: Params = {}
    if arrays is not None:
        if set(arrays) != set(table):
            problems.append(f"{WEIGHTS} holds {sorted(set(arrays) ^ set(table))[:4]} not matching the manifest")
        for k, a in arrays.items():
            rec = table.get(k)
            if not isinstance(rec, dict):
                continue
            if a.dtype.str != rec.get("dtype") or list(a.shape) != rec.get("shape") or array_sha256(a) != rec.get(
                    "sha256"):
                problems.append(f"array {k} differs from its manifest entry (dtype, shape or sha256)")
            elif not np.all(np.isfinite(a)):
                problems.append(f"array {k} has non-finite values")
        params = {k.removeprefix("param."): v for k, v in arrays.items() if k.startswith("param.")}
    if model is not None and arrays is not None:
        want = {k: v.shape for k, v in Transformer(model).init(np.random.default_rng(0)).items()}
        got = {k: v.shape for k, v in params.items()}
        if want != got:
            diff = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
            problems.append(f"the parameters do not fit the model config: {diff[:4]}")
    if problems or model is None or train is None:
        raise ShippedModelError(os.fspath(d), problems or ["unreadable"])
    return ShippedModel(path=d, manifest=meta, model=model, train=train, params=params)


def find_shipped(task: str, root: str | os.PathLike[str] | None = None) -> list[Path]:
    """The shipped model directories of ``task`` (sorted by name; empty when nothing is shipped)."""
    base = Path(root if root is not None else SHIPPED_ROOT) / task
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists())
