"""``powergen experiment sudoku --run-dir DIR --models LIST --ship [--train-file F]``: promote the finished runs
``DIR/<kind>`` to the shipped Sudoku weights (:func:`proofs_check.experiments.sudoku_run.export_shipped`).

**Names** (the project's convention [I]).  A model trained on the default training file
(``reductions/tasks/data/sudoku_train_100.txt``) ships under its kind (``ao-mdm``); one trained on any other file
ships as ``<kind>-train<N>``, N the number of puzzles of that file (``ao-mdm-train10000``), so a variant never
overwrites the 100-puzzle model of the same kind.  "The default file" means the same puzzle list, compared by
content, not by path.

**Which file the run trained on** is read off the run itself, not taken from the flag: every run records the digest
of its puzzle list (:func:`proofs_check.experiments.sudoku.puzzles_digest`; a baseline as ``data.sha256``, an
AP-MDM run in the name of its transition store, ``sudoku-<first 16 hex digits>-seed<S>-n<N>``; runs since this
command also as ``data.puzzles_sha256`` beside ``data.train_file``).  A ``--train-file`` must hold exactly those
puzzles; without it the candidates are, in order, the file the run's ``result.json`` names, the file the
experiment's table ``DIR/result.json`` names, and the default file (a relative path is looked up from the working
directory, then from the repository root, as runs record files inside the repository relative to it); the first
whose puzzles have that digest (and count) is the training file.  A ``--train-file`` that does not match, or no
match at all, is refused (:class:`~proofs_check.experiments.sudoku_run.SudokuModelError`).

**Command.**  The manifest records the command the run's ``result.json`` records; runs from before that field get
one rebuilt from the result's fields, marked as rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proofs_check.experiments import ship
from proofs_check.experiments import sudoku as sx
from proofs_check.experiments import sudoku_run as sr
from proofs_check.experiments.ship import repo_relative

__all__ = ["ShipPlan", "plan_ship", "ship_name", "ship_runs", "training_file"]

_STORE_NAME = re.compile(r"sudoku-([0-9a-f]{16})-seed\d+-n(\d+)")


@dataclass(frozen=True)
class ShipPlan:
    """What shipping one run writes: the run, its kind, the shipped name, the command and the training file."""

    run_dir: Path
    kind: str
    name: str
    command: str
    training: dict[str, Any]


def ship_name(kind: str, *, default: bool, puzzles: int) -> str:
    """The shipped name of a ``kind`` model trained on ``puzzles`` puzzles (``default``: the default file's).

    Examples
    --------
    >>> ship_name("ao-mdm", default=True, puzzles=100), ship_name("ao-mdm", default=False, puzzles=10000)
    ('ao-mdm', 'ao-mdm-train10000')
    """
    return kind if default else f"{kind}-train{puzzles}"


def _recorded_digest(run_dir: Path, result: dict[str, Any]) -> tuple[str, int]:
    """The puzzle-list digest (or its first 16 hex digits) and puzzle count the run's result records."""
    data: dict[str, Any] = result["data"] if isinstance(result.get("data"), dict) else {}
    count = data.get("puzzles")
    digest = data.get("puzzles_sha256")
    if digest is None and result.get("model_kind") in sr.APMDM:
        m = _STORE_NAME.fullmatch(Path(str(data.get("directory", ""))).name)
        digest, count = (m.group(1), int(m.group(2))) if m else (None, count)
    elif digest is None:
        digest = data.get("sha256")
    if not isinstance(digest, str) or len(digest) < 16 or not isinstance(count, int) or isinstance(count, bool):
        raise sr.SudokuModelError(f"{run_dir}: result.json records no digest of the training puzzles; the training "
                                  "file cannot be known, so the run is not shipped")
    return digest, count


def training_file(run_dir: str | Path, result: dict[str, Any], *, flag: str | None = None) -> dict[str, Any]:
    """The training file of the run (module notes): ``{"train_file", "train_file_sha256", "train_puzzles",
    "default"}``; :class:`~proofs_check.experiments.sudoku_run.SudokuModelError` when it cannot be known."""
    run = Path(run_dir)
    digest, count = _recorded_digest(run, result)
    data: dict[str, Any] = result["data"] if isinstance(result.get("data"), dict) else {}
    table: dict[str, Any] = {}
    try:
        table = json.loads((run.parent / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    default_digest = sx.puzzles_digest(sx.read_puzzles(sx.TRAIN_FILE))

    def match(path: str) -> dict[str, Any] | None:
        puzzles = sx.read_puzzles(path)
        got = sx.puzzles_digest(puzzles)
        if not (got.startswith(digest) and len(puzzles) == count):
            return None
        default = got == default_digest  # the default puzzles are recorded under the default file's name
        where = sx.TRAIN_FILE if default else Path(path)
        return {"train_file": repo_relative(where), "train_file_sha256": hashlib.sha256(where.read_bytes())
                .hexdigest(), "train_puzzles": count, "default": default}

    if flag is not None:  # a flag that names another file is a mistake, even when the run's record would do
        found = match(flag)
        if found is None:
            raise sr.SudokuModelError(f"--train-file {flag} does not hold the {count} puzzles the run in {run} "
                                      f"trained on (puzzle-list digest {digest[:16]})")
        return found
    for cand in (data.get("train_file"), table.get("train_file") if isinstance(table, dict) else None,
                 str(sx.TRAIN_FILE)):
        if not isinstance(cand, str):
            continue
        # a file inside the repository is recorded relative to it (repo_relative): look there too
        places = [cand] if Path(cand).is_absolute() else [cand, str(ship.REPO_ROOT / cand)]
        for where in places:
            try:
                found = match(where)
            except sx.SudokuDataError:  # moved or changed since the run: try the next record
                continue
            if found is not None:
                return found
    raise sr.SudokuModelError(f"{run}: the run trained on {count} puzzles with digest {digest[:16]}, which is none of "
                              f"the known training files: pass the file with --train-file F")


def _rebuilt_command(result: dict[str, Any], run_root: Path, training: dict[str, Any]) -> str:
    """A ``powergen experiment sudoku`` command rebuilt from a result that records none."""
    def fields(key: str) -> dict[str, Any]:  # an older or edited result may hold anything: '?' for what is not there
        got = result.get(key)
        return got if isinstance(got, dict) else {}

    train, ev = fields("train"), fields("eval_settings")
    parts = ["powergen experiment sudoku", f"--models {result.get('model_kind')}", f"--seed {result.get('seed', 0)}"]
    budget = result.get("budget_cpu_seconds")
    if isinstance(budget, (int, float)) and not isinstance(budget, bool):
        parts.append(f"--budget-cpu-minutes {budget / 60:g}")
    parts += [f"--steps {train.get('steps', '?')}", f"--batch-size {train.get('batch_size', '?')}",
              f"--test-count {ev.get('n_test', '?')}", f"--cap-multiple {ev.get('cap_multiple', '?')}",
              f"--tf-count {ev.get('tf_count', '?')}", f"--run-dir {run_root}"]
    if not training["default"]:
        parts.append(f"--train-file {training['train_file']}")
    return " ".join(parts) + "  # rebuilt from result.json (model config in the weights file)"


def plan_ship(run_root: str | Path, kind: str, *, train_file: str | None = None) -> ShipPlan:
    """Check the finished run ``run_root/kind`` (:func:`~proofs_check.experiments.sudoku_run.finished_run`) and
    work out its shipped name, command and training file."""
    run = Path(run_root) / kind
    _, result = sr.finished_run(run, kind)
    training = training_file(run, result, flag=train_file)
    command = str(result.get("command") or _rebuilt_command(result, Path(run_root), training))
    name = ship_name(kind, default=training["default"], puzzles=training["train_puzzles"])
    return ShipPlan(run_dir=run, kind=kind, name=name, command=command,
                    training={k: v for k, v in training.items() if k != "default"})


def ship_runs(run_root: str | Path, kinds: tuple[str, ...], *, train_file: str | None = None,
              directory: str | Path | None = None) -> dict[str, tuple[str, Path]]:
    """Ship every run ``run_root/<kind>`` of ``kinds`` to ``directory`` (default the package's shipped folder);
    every run is checked before anything is written.  Returns ``{kind: (shipped name, weights path)}``."""
    plans = [plan_ship(run_root, k, train_file=train_file) for k in kinds]
    return {p.kind: (p.name, sr.export_shipped(p.run_dir, p.kind, command=p.command, directory=directory,
                                               name=p.name, training=p.training)) for p in plans}
