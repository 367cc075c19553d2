"""``powergen experiment sudoku``: train the four Sudoku models under one CPU budget each, evaluate, write the table;
and the shipped weights (``powergen eval sudoku --checkpoint shipped``, ``powergen sudoku solve --model``).

**Runs.**  Model ``kind`` trains in ``<run_dir>/<kind>/`` (:func:`proofs_check.experiments.trainer.train_run`:
one atomic checkpoint, exact resume, the CPU budget counted over sessions); its final evaluation is kept in
``<run_dir>/<kind>/result.json`` (reused when the checkpoint has not moved and the evaluation settings are the same),
the table of all kinds in ``<run_dir>/result.json``.  The AP-MDM transition stores live in ``<run_dir>/../stores``
(shared by runs on the same puzzles).

**Shipped weights** (the project's convention [I], beside max-flow's): ``proofs_check/experiments/shipped/sudoku/``
holds ``manifest.json`` (schema, and per shipped name: the weights file, its sha256, the updates, the training CPU
seconds, the command that trained it, the run's own final evaluation and, for entries shipped since the names below,
the model ``kind`` and the training file) and one ``<name>.npz`` of float32 parameters (model config inside) per name.
A model trained on the default training file ships under its kind; one trained on another file under
``<kind>-train<N>`` (:mod:`proofs_check.experiments.sudoku_ship`, ``powergen experiment sudoku --ship``), so a variant
never overwrites the 100-puzzle model.  Readers take an entry's ``kind`` (the key for older entries, which have none).
:func:`export_shipped` writes an entry from a finished, evaluated run; until one exists :func:`load_model`
``("shipped")`` raises :class:`NoShippedWeights`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from machines.io import atomic_write_text
from machines.neural.config import ModelConfig, TrainConfig
from machines.neural.layers import Params
from machines.neural.model import Transformer
from proofs_check.errors import CheckError
from proofs_check.experiments import sudoku as sx
from proofs_check.experiments import sudoku_baselines as sb
from proofs_check.experiments.ship import repo_relative

__all__ = ["MODELS", "NoShippedWeights", "SHIPPED_DIR", "LoadedModel", "entry_kind", "export_shipped",
           "finished_run", "load_model", "run_experiment", "run_model"]

MODELS = ("ap-mdm", "ap-mdm-peer", "ao-mdm", "arm")
APMDM = ("ap-mdm", "ap-mdm-peer")
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped" / "sudoku"
SHIPPED_SCHEMA = "powergen.shipped.sudoku/1"
RESULT_SCHEMA = "powergen.experiment.sudoku/1"


class NoShippedWeights(CheckError, FileNotFoundError):
    """No shipped Sudoku weights (yet), or not for the requested model kind."""


class SudokuModelError(CheckError, ValueError):
    """A model path or weights file cannot be used for the Sudoku experiment."""


def default_config(kind: str) -> ModelConfig:
    """The model of ``kind`` (:data:`MODELS`)."""
    if kind in APMDM:
        return sx.model_config(kind)
    if kind == "ao-mdm":
        return sb.aomdm_config()
    if kind == "arm":
        return sb.arm_config()
    raise SudokuModelError(f"unknown model kind {kind!r} (one of {', '.join(MODELS)})")


def evaluate_kind(kind: str, config: ModelConfig, params: Params, puzzles: Sequence[str], *,
                  cap_multiple: float = 2.0, tf_puzzles: Sequence[str] = (), tf_stride: int = 1,
                  on_step: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Evaluate one model on ``puzzles`` (rollout / decoding) and, for AP-MDM, teacher-forced on ``tf_puzzles``."""
    if kind in APMDM:
        pred = sx.neural_predictor(config, params)
        res = sx.evaluate_apmdm(pred, puzzles, cap_multiple=cap_multiple, on_step=on_step)
        if tf_puzzles:
            res["teacher_forced"] = sx.step_accuracy(pred, tf_puzzles, stride=tf_stride)
        return res
    if kind == "ao-mdm":
        return sb.evaluate_aomdm(config, params, puzzles)
    return sb.evaluate_arm(config, params, puzzles)


def _sampler_and_data(kind: str, puzzles: Sequence[str], tcfg: TrainConfig, *, store_root: Path,
                      processes: int) -> tuple[Any, str, dict[str, Any]]:
    from proofs_check.experiments.store import build_store

    digest = sx.puzzles_digest(puzzles)
    if kind in APMDM:
        c0 = time.process_time()
        store = build_store(sx.SudokuSource(puzzles), seed=0, count=len(puzzles), root=store_root,
                            processes=processes, shard_size=max(1, -(-len(puzzles) // max(processes, 1))))
        info = {"transitions": len(store), "puzzles": len(puzzles), "sha256": store.content_sha256,
                "per_puzzle_mean": round(len(store) / len(puzzles), 1),
                "build_cpu_seconds": round(time.process_time() - c0, 1), "directory": str(store.directory)}
        sampler = sx.store_sampler(store, tcfg.batch_size, halt_examples=kind == "ap-mdm-peer")
        return sampler, f"{kind}:{store.content_sha256}", info
    info = {"puzzles": len(puzzles), "sha256": digest}
    if kind == "ao-mdm":
        return sb.mdm_sampler(puzzles, tcfg.batch_size), f"{kind}:{digest}", info
    return sb.arm_sampler(puzzles, tcfg.batch_size), f"{kind}:{digest}", info


def run_model(kind: str, *, run_dir: str | Path, train_puzzles: Sequence[str], test_puzzles: Sequence[str],
              seed: int = 0, budget_cpu_seconds: float | None = 3600.0, model: ModelConfig | None = None,
              train: TrainConfig | None = None, cap_multiple: float = 2.0, tf_count: int = 20, tf_stride: int = 1,
              probe_count: int = 3, eval_every: int = 500, processes: int = 1, store_root: str | Path | None = None,
              checkpoint_every_cpu_seconds: float = 180.0, stop_after: int | None = None,
              on_log: Callable[[dict[str, Any]], None] | None = None,
              on_eval_step: Callable[[int, int], None] | None = None, command: str | None = None,
              train_file: str | Path | None = None) -> dict[str, Any]:
    """Train (resuming) and evaluate one model kind; write and return ``<run_dir>/result.json``
    (``on_log(entry)`` gets each log entry with ``"kind"`` added; ``on_eval_step(step, n_running)``: progress of
    the final evaluation's batched rollout).  ``command`` and
    ``train_file`` (the file ``train_puzzles`` came from) are recorded in the result, for shipping."""
    from proofs_check.experiments.trainer import train_run

    run = Path(run_dir)
    mcfg = model or default_config(kind)
    tcfg = train or sx.train_config()
    root = Path(store_root) if store_root is not None else run.parent.parent / "stores"
    sampler, data, info = _sampler_and_data(kind, train_puzzles, tcfg, store_root=root, processes=processes)
    info["puzzles_sha256"] = sx.puzzles_digest(train_puzzles)
    if train_file is not None:
        info["train_file"] = repo_relative(train_file)
        info["train_file_sha256"] = hashlib.sha256(Path(train_file).read_bytes()).hexdigest()
    probe_set = list(test_puzzles[:probe_count])

    def probe(params: Params, step: int) -> dict[str, Any]:
        if not probe_set:
            return {}
        res = evaluate_kind(kind, mcfg, params, probe_set, cap_multiple=cap_multiple,
                            tf_puzzles=probe_set[:2], tf_stride=5)
        out = {"probe_accuracy": res["accuracy"], "probe_outcomes": res["outcomes"], "eval_cpu": res["cpu_seconds"]}
        if "teacher_forced" in res:
            out["probe_step_accuracy"] = res["teacher_forced"]["accuracy"]
            out["probe_per_decision"] = {k: v["accuracy"] for k, v in res["teacher_forced"]["per_decision"].items()}
        return out

    st = train_run(sampler, model=mcfg, train=tcfg, seed=seed, data=data, run_dir=run,
                   budget_cpu_seconds=budget_cpu_seconds, checkpoint_every_cpu_seconds=checkpoint_every_cpu_seconds,
                   evaluate=probe, eval_every=eval_every, stop_after=stop_after,
                   on_log=None if on_log is None else (lambda entry: on_log(entry | {"kind": kind})))
    settings = {"test": sx.puzzles_digest(test_puzzles), "n_test": len(test_puzzles), "cap_multiple": cap_multiple,
                "tf_count": tf_count, "tf_stride": tf_stride}
    cached = run / "result.json"
    if cached.is_file():
        old = json.loads(cached.read_text(encoding="utf-8"))
        if old.get("steps_done") == st.step and old.get("eval_settings") == settings:
            return dict(old)
    final = evaluate_kind(kind, mcfg, st.params, test_puzzles, cap_multiple=cap_multiple,
                          tf_puzzles=test_puzzles[:tf_count] if kind in APMDM else (), tf_stride=tf_stride,
                          on_step=on_eval_step)
    result = {"schema": RESULT_SCHEMA, "model_kind": kind, "seed": seed, "n_params": Transformer(mcfg).param_count(),
              "model": mcfg.to_json(), "train": tcfg.to_json(), "steps_done": st.step, "stopped": st.stopped,
              "cpu_train_seconds": round(st.cpu_train, 1), "budget_cpu_seconds": budget_cpu_seconds, "data": info,
              "eval_settings": settings, "eval": final, "paper": sx.PAPER_ACCURACY[kind],
              "history": st.history or [], "probes": st.evals or []}
    if command is not None:
        result["command"] = command
    atomic_write_text(cached, json.dumps(result, indent=1, sort_keys=True, allow_nan=False) + "\n")
    return result


def run_experiment(*, run_dir: str | Path, models: Sequence[str] = MODELS, train_file: str | Path = sx.TRAIN_FILE,
                   test_file: str | Path = sx.TEST_FILE, test_count: int | None = None,
                   **kwargs: Any) -> dict[str, Any]:
    """:func:`run_model` for every kind in ``models`` on the same puzzles; ``<run_dir>/result.json`` gets the
    table (``kwargs`` go to :func:`run_model`)."""
    train_p = sx.read_puzzles(train_file)
    test_p = sx.read_puzzles(test_file)[:test_count]
    out: dict[str, Any] = {"schema": RESULT_SCHEMA, "train_file": str(train_file), "test_file": str(test_file),
                           "train_puzzles": len(train_p), "test_puzzles": len(test_p), "models": {}}
    configs = {k: kwargs.pop(f"model_{k.replace('-', '_')}", None) for k in MODELS}
    for kind in models:
        out["models"][kind] = run_model(kind, run_dir=Path(run_dir) / kind, train_puzzles=train_p,
                                        test_puzzles=test_p, model=configs[kind], train_file=train_file, **kwargs)
    slim = {k: {kk: vv for kk, vv in v.items() if kk not in ("history",)} for k, v in out["models"].items()}
    atomic_write_text(Path(run_dir) / "result.json",
                      json.dumps(out | {"models": slim}, indent=1, sort_keys=True, allow_nan=False) + "\n")
    return out


# -- shipped weights and model loading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadedModel:
    """A model ready to evaluate: its kind, config, float32 parameters, where it came from, and its name (the
    shipped name, e.g. ``ao-mdm-train10000``; the kind for a run directory or a weights file)."""

    kind: str
    config: ModelConfig
    params: Params
    source: str
    updates: int
    name: str


def _weights_bytes(kind: str, config: ModelConfig, params: Params, updates: int) -> bytes:
    import io
    import zipfile

    meta = json.dumps({"kind": kind, "model": config.to_json(), "updates": updates}, sort_keys=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:  # fixed timestamps: byte-identical
        for name, arr in [("meta.json", np.frombuffer(meta.encode(), np.uint8))] + sorted(
                (f"param.{k}", np.asarray(v, np.float32)) for k, v in params.items()):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            b = io.BytesIO()
            np.save(b, arr, allow_pickle=False)
            z.writestr(info, b.getvalue())
    return buf.getvalue()


def finished_run(run_dir: str | Path, kind: str) -> tuple[Any, dict[str, Any]]:
    """The trainer state and ``result.json`` of the finished, evaluated ``kind`` run in ``run_dir``:
    :class:`SudokuModelError` unless the run holds ``kind``, and its ``result.json`` was written at the checkpoint's
    update for the checkpoint's model and holds the final evaluation (``eval`` with ``n`` and ``per_puzzle``,
    ``eval_settings``): the evaluation that ships with the weights is the weights' own."""
    from proofs_check.experiments.trainer import RunError, load_run

    try:
        st = load_run(run_dir)
    except RunError as exc:
        raise SudokuModelError(str(exc)) from None
    if not st.data.startswith(kind + ":"):
        raise SudokuModelError(f"{run_dir} holds a {st.data.split(':')[0]!r} run, not {kind!r}")
    res_path = Path(run_dir) / "result.json"
    try:
        res = json.loads(res_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SudokuModelError(f"{run_dir}: no readable result.json (is the run finished and evaluated? run its "
                               f"command again): {exc}") from None
    if not isinstance(res, dict) or res.get("steps_done") != st.step:
        got = res.get("steps_done") if isinstance(res, dict) else None
        raise SudokuModelError(f"{run_dir}: result.json was written at update {got}, the checkpoint is at update "
                               f"{st.step}: run the experiment command again to evaluate it before shipping")
    if res.get("model") != json.loads(json.dumps(st.model.to_json())) or res.get("model_kind") != kind:
        raise SudokuModelError(f"{run_dir}: result.json and checkpoint.npz describe different models")
    ev, settings = res.get("eval"), res.get("eval_settings")
    if not (isinstance(ev, dict) and isinstance(ev.get("n"), int) and isinstance(ev.get("per_puzzle"), list)
            and isinstance(settings, dict)):
        raise SudokuModelError(f"{run_dir}: result.json holds no final evaluation (eval with n and per_puzzle, and "
                               "eval_settings): run the experiment command again to evaluate it before shipping")
    return st, res


def export_shipped(run_dir: str | Path, kind: str, *, command: str, directory: str | Path | None = None,
                   name: str | None = None, training: dict[str, Any] | None = None) -> Path:
    """Write ``<directory>/<name>.npz`` (default :data:`SHIPPED_DIR`; ``name`` defaults to ``kind``) from the
    finished run's checkpoint (:func:`finished_run`) and record it, with the run's final evaluation, its ``kind`` and
    ``training`` (``train_file``, ``train_file_sha256``, ``train_puzzles``), in ``<directory>/manifest.json``; the
    other entries are kept as they are."""
    st, res = finished_run(run_dir, kind)
    name = kind if name is None else name
    if not name or "/" in name or name.startswith(".") or name == "manifest":
        raise SudokuModelError(f"shipped name must be a plain file name, got {name!r}")
    d = Path(SHIPPED_DIR if directory is None else directory)
    man_path = d / "manifest.json"
    man: dict[str, Any] = (shipped_manifest(d) if man_path.is_file()
                           else {"schema": SHIPPED_SCHEMA, "models": {}})
    data = _weights_bytes(kind, st.model, st.params, st.step)
    entry: dict[str, Any] = {"file": f"{name}.npz", "sha256": hashlib.sha256(data).hexdigest(), "updates": st.step,
                             "cpu_train_seconds": round(st.cpu_train, 1), "command": command,
                             "n_params": Transformer(st.model).param_count(), "kind": kind, **(training or {})}
    ev = res["eval"]  # the run's own final evaluation, for `eval --checkpoint shipped` to be checked against
    entry["eval"] = {"settings": res["eval_settings"],
                     **{k: ev[k] for k in ("n", "exact", "accuracy", "outcomes", "stuck_at_cap", "per_puzzle")
                        if k in ev}}
    man["models"][name] = entry
    # The weights and the manifest change together (ship.write_dir_atomically: a staged copy of the folder, swapped
    # in), so an interrupted shipping leaves the old folder or the new one, never a manifest naming other weights.
    from proofs_check.experiments import ship

    try:
        ship.write_dir_atomically(d, {f"{name}.npz": data, "manifest.json": (
            json.dumps(man, indent=1, sort_keys=True) + "\n").encode("utf-8")}, keep_existing=True)
    except OSError as exc:
        raise SudokuModelError(f"cannot write {d}: {exc.strerror or exc}") from None
    return d / f"{name}.npz"


def entry_kind(name: str, entry: dict[str, Any]) -> str:
    """The model kind of the shipped manifest entry ``name``: its ``kind`` field, or the name for the entries
    shipped before the field existed.

    Examples
    --------
    >>> entry_kind("arm", {}), entry_kind("ao-mdm-train10000", {"kind": "ao-mdm"})
    ('arm', 'ao-mdm')
    """
    return str(entry.get("kind", name))


def _read_weights(path: Path, expect_sha: str | None = None, *, shipped: bool = False,
                  name: str | None = None) -> LoadedModel:
    """The weights file ``path`` (checked against ``expect_sha``); a ``shipped`` file's source is shown relative to
    the repository (the same in every clone), any other as given; ``name`` defaults to the file's model kind."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SudokuModelError(f"cannot read {path}: {exc}") from None
    if expect_sha is not None and hashlib.sha256(raw).hexdigest() != expect_sha:
        raise SudokuModelError(f"{path}: sha256 differs from the shipped manifest")
    import io

    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            meta = json.loads(z["meta.json"].tobytes().decode())
            params = {k.removeprefix("param."): z[k] for k in z.files if k.startswith("param.")}
        cfg = ModelConfig.from_json(meta["model"])
        kind = str(meta["kind"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SudokuModelError(f"{path} is not a Sudoku weights file: {exc}") from None
    if {k: v.shape for k, v in params.items()} != Transformer(cfg).shapes():
        raise SudokuModelError(f"{path}: the parameters do not match the model config")
    return LoadedModel(kind=kind, config=cfg, params=params, source=repo_relative(path) if shipped else str(path),
                       updates=int(meta.get("updates", 0)), name=kind if name is None else name)


def shipped_manifest(directory: str | Path | None = None) -> dict[str, Any]:
    """The shipped manifest; :class:`NoShippedWeights` when nothing is shipped."""
    p = Path(SHIPPED_DIR if directory is None else directory) / "manifest.json"
    if not p.is_file():
        raise NoShippedWeights(f"no shipped Sudoku weights yet ({p} does not exist): train with powergen experiment "
                               "sudoku, or pass a run directory or weights file")
    try:
        man = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SudokuModelError(f"cannot read {p}: {exc}") from None
    if not isinstance(man, dict) or man.get("schema") != SHIPPED_SCHEMA or not isinstance(man.get("models"), dict):
        raise SudokuModelError(f"{p}: expected schema {SHIPPED_SCHEMA!r}")
    problems = [f"entry {name!r}: {why}" for name, e in sorted(man["models"].items())
                for why in _entry_problems(e)]
    if problems:
        raise SudokuModelError(f"{p}: malformed manifest: {'; '.join(problems)}")
    return man


def _entry_problems(entry: Any) -> list[str]:
    """What is wrong with one manifest entry (every problem, empty when it is readable)."""
    if not isinstance(entry, dict):
        return [f"expected an object, got {type(entry).__name__}"]
    out = []
    f = entry.get("file")
    if not isinstance(f, str) or not f or "/" in f or "\\" in f or f.startswith("."):
        out.append(f"'file' must be a plain file name, got {f!r}")
    if "kind" in entry and entry["kind"] not in MODELS:
        out.append(f"'kind' must be one of {', '.join(MODELS)}, got {entry['kind']!r}")
    return out


def load_model(spec: str, *, kinds: Sequence[str] = MODELS,
               directory: str | Path | None = None) -> list[LoadedModel]:
    """``"shipped"`` (every shipped entry whose kind (:func:`entry_kind`) is among ``kinds``), a run directory
    (``checkpoint.npz`` of the trainer) or a weights ``.npz`` written by :func:`export_shipped`."""
    if spec == "shipped":
        directory = SHIPPED_DIR if directory is None else directory
        man = shipped_manifest(directory)
        got = []
        for name, e in sorted(man["models"].items()):
            if entry_kind(name, e) not in kinds:
                continue
            m = _read_weights(Path(directory) / e["file"], e.get("sha256"), shipped=True, name=name)
            if m.kind != entry_kind(name, e):
                raise SudokuModelError(f"{e['file']} holds a {m.kind!r} model, the manifest entry {name!r} says "
                                       f"{entry_kind(name, e)!r}")
            got.append(m)
        if not got:
            raise NoShippedWeights(f"no shipped Sudoku weights for {', '.join(kinds)}")
        return got
    p = Path(spec)
    if p.is_dir():
        from proofs_check.experiments.trainer import RunError, load_run

        try:
            st = load_run(p)
        except RunError as exc:
            raise SudokuModelError(str(exc)) from None
        kind = st.data.split(":")[0]
        if kind not in MODELS:
            raise SudokuModelError(f"{p} holds a run of {kind!r}, not a Sudoku model")
        loaded = [LoadedModel(kind=kind, config=st.model, params=st.params, source=str(p), updates=st.step,
                              name=kind)]
    elif p.is_file():
        loaded = [_read_weights(p)]
    else:
        raise SudokuModelError(f"no such model: {spec} (expected 'shipped', a run directory or a weights file)")
    if loaded[0].kind not in kinds:
        raise SudokuModelError(f"{spec} holds a {loaded[0].kind!r} model; expected one of {', '.join(kinds)}")
    return loaded
