"""The content of one checkpoint version: the :class:`Checkpoint` record, its manifest, and every check on load.

A version holds ``manifest.json`` and ``arrays.npz`` (see :mod:`machines.neural.checkpoint` for the directory
layout and the atomic swap).  :func:`validate` checks a manifest and its arrays and returns every problem found: the
manifest's keys and schema, the configs, the archive's sha256, every array's presence, dtype, shape, sha256 and
finiteness, the parameter set and shapes against the model config (a ``vocab_size`` that disagrees with the
embedding rows is named), the Adam moments, the optimiser description and the sampler state.  :func:`read_manifest`
and :func:`read_arrays` read the two files defensively (size caps, strict UTF-8, bounded JSON depth, ``.npy``
headers checked before any allocation, no pickles).  The format is the project's design [I].
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from machines.errors import MachineError
from machines.io import json_depth
from machines.neural.config import ModelConfig, TrainConfig
from machines.neural.model import Transformer

__all__ = ["Checkpoint", "validate", "npz_bytes", "array_sha256", "manifest_of", "read_manifest", "read_arrays",
           "file_sha256", "CHECKPOINT_SCHEMA", "MANIFEST", "ARRAYS"]

CHECKPOINT_SCHEMA = "powergen.checkpoint/2"
MANIFEST, ARRAYS = "manifest.json", "arrays.npz"
MAX_MANIFEST_BYTES = 256 * 2**20
MAX_ARRAYS_BYTES = 8 * 2**30  # far above 3 x 50M float32 (weights, two moments); refuses zip bombs
MAX_JSON_DEPTH = 32
OPTIMIZER = {"name": "adamw", "moments": ["adam.m.NAME (first moment)", "adam.v.NAME (second moment)"],
             "step": "number of updates done (bias correction uses it)"}
STATE_KEYS = ("seed", "batch_rng", "history", "last")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Everything needed to predict with, or to resume, a training run.

    ``task`` names the task the weights were trained on; ``step`` is the number of updates done; ``opt_arrays``
    holds the Adam moments (``adam.m.NAME``, ``adam.v.NAME``; empty at step 0); ``state`` holds ``seed``,
    ``batch_rng`` (the bit-generator state of the batch sampler), ``history`` (logged updates) and ``last`` (the
    log of the latest update, or None).
    """

    task: str
    step: int
    model: ModelConfig
    train: TrainConfig
    params: dict[str, np.ndarray]
    opt_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """True when the run has made all ``train.steps`` updates."""
        return self.step >= self.train.steps


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A ``.npz`` archive of ``arrays`` (sorted names, fixed timestamps), readable by ``numpy.load``.

    Examples
    --------
    >>> b = npz_bytes({"a": np.arange(3)})
    >>> np.load(io.BytesIO(b))["a"].tolist(), b == npz_bytes({"a": np.arange(3)})
    ([0, 1, 2], True)
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            arr = io.BytesIO()
            np.lib.format.write_array(arr, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, arr.getvalue())
    return buf.getvalue()


def array_sha256(a: np.ndarray) -> str:
    """sha256 of the array's C-order bytes (dtype and shape are recorded beside it in the manifest).

    Examples
    --------
    >>> array_sha256(np.zeros(2, np.float32)) == hashlib.sha256(bytes(8)).hexdigest()
    True
    """
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def manifest_of(ck: Checkpoint, arrays: dict[str, np.ndarray], archive: bytes) -> dict[str, Any]:
    return {"schema": CHECKPOINT_SCHEMA, "task": ck.task, "step": ck.step, "model": ck.model.to_json(),
            "train": ck.train.to_json(), "optimizer": {**OPTIMIZER, "step": ck.step}, "params": list(ck.params),
            "archive": {"file": ARRAYS, "bytes": len(archive), "sha256": hashlib.sha256(archive).hexdigest()},
            "arrays": {name: {"dtype": a.dtype.str, "shape": list(a.shape), "sha256": array_sha256(a)}
                       for name, a in sorted(arrays.items())},
            "state": {k: ck.state.get(k) for k in STATE_KEYS}}


def read_manifest(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            problems.append(f"{path.name} is {size:,} bytes, above the limit of {MAX_MANIFEST_BYTES:,}")
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(f"cannot read {path.name}: {exc.strerror or exc}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{path.name} is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
        return None
    if json_depth(text) > MAX_JSON_DEPTH:
        problems.append(f"{path.name} is nested deeper than {MAX_JSON_DEPTH} levels")
        return None
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        problems.append(f"{path.name} is not valid JSON ({str(exc)[:80]})")
        return None
    if not isinstance(meta, dict):
        problems.append(f"{path.name} holds a JSON {type(meta).__name__}, not an object")
        return None
    return meta


def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _read_npy(data: bytes) -> np.ndarray:
    """One ``.npy`` member, its header checked before anything is allocated (no object dtype, a shape whose size
    the bytes actually hold)."""
    buf = io.BytesIO(data)
    version = np.lib.format.read_magic(buf)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    if dtype.hasobject:
        raise ValueError("object arrays are refused")
    if math.prod(shape) * dtype.itemsize != len(data) - buf.tell():
        raise ValueError(f"the header says {shape} {dtype}, the member holds {len(data) - buf.tell()} bytes")
    buf.seek(0)
    return np.lib.format.read_array(buf, allow_pickle=False)


def read_arrays(path: Path, problems: list[str]) -> dict[str, np.ndarray] | None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.append(f"cannot read {path.name}: {exc.strerror or exc}")
        return None
    if size == 0:
        problems.append(f"{path.name} is empty")
        return None
    if size > MAX_ARRAYS_BYTES:
        problems.append(f"{path.name} is {size:,} bytes, above the limit of {MAX_ARRAYS_BYTES:,}")
        return None
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(info.file_size for info in zf.infolist())
            if declared > MAX_ARRAYS_BYTES:
                problems.append(f"{path.name} declares {declared:,} bytes of arrays, above {MAX_ARRAYS_BYTES:,}")
                return None
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    problems.append(f"{path.name} holds {info.filename!r}, not an .npy array")
                    continue
                try:
                    out[info.filename[:-4]] = _read_npy(zf.read(info))  # zf.read checks the member's CRC
                except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError, SyntaxError) as exc:
                    problems.append(f"{path.name}: array {info.filename[:-4]!r} is unreadable ({str(exc)[:60]})")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        problems.append(f"{path.name} is not a readable .npz archive ({str(exc)[:60]})")
        return None
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_state(state: Any, problems: list[str]) -> None:
    if not isinstance(state, dict):
        problems.append(f"state must be an object, got {type(state).__name__}")
        return
    extra = sorted(set(state) - set(STATE_KEYS))
    missing = [k for k in STATE_KEYS if k not in state]
    if missing:
        problems.append(f"state lacks {missing}")
    if extra:
        problems.append(f"state has unknown keys {extra[:5]}")
    if "seed" in state and not (_is_int(state["seed"]) and state["seed"] >= 0):
        problems.append(f"state.seed must be an int >= 0, got {state['seed']!r:.40}")
    if "batch_rng" in state:
        try:
            np.random.PCG64().state = state["batch_rng"]
        except (ValueError, TypeError, KeyError, OverflowError):
            problems.append("state.batch_rng is not a PCG64 bit-generator state")
    hist = state.get("history")
    if "history" in state and not (isinstance(hist, list) and all(_is_log(h) for h in hist)):
        problems.append("state.history must be a list of {step, loss, parts, accuracy} objects")
    if state.get("last") is not None and not _is_log(state["last"]):
        problems.append("state.last must be null or a {step, loss, parts, accuracy} object")


def _is_log(h: Any) -> bool:
    return (isinstance(h, dict) and set(h) == {"step", "loss", "parts", "accuracy"} and _is_int(h["step"])
            and isinstance(h["loss"], int | float) and math.isfinite(h["loss"]) and isinstance(h["parts"], dict)
            and isinstance(h["accuracy"], dict))


def _configs(meta: dict[str, Any], problems: list[str]) -> tuple[ModelConfig | None, TrainConfig | None]:
    out: list[Any] = []
    for key, cls in (("model", ModelConfig), ("train", TrainConfig)):
        try:
            out.append(cls.from_json(meta[key]))
        except KeyError:
            out.append(None)
        except (MachineError, TypeError, ValueError) as exc:
            problems.append(f"{key}: {str(exc)[:200]}")
            out.append(None)
    return out[0], out[1]


def validate(meta: dict[str, Any], arrays: dict[str, np.ndarray] | None, *,
             archive_sha256: str | None = None) -> tuple[list[str], Checkpoint | None]:
    """Every problem of a manifest and its arrays (an empty list when they form a valid checkpoint).

    ``arrays`` is None when the archive could not be read (its problem is reported by the caller); the manifest is
    then still checked on its own.  ``archive_sha256`` is the hash of the archive file's bytes, compared with the
    one the manifest records.  Returns the problems and, when there are none, the checkpoint.

    Notes
    -----
    ``O(size of the arrays)`` (hashing and finiteness).
    """
    problems: list[str] = []
    required = ("schema", "task", "step", "model", "train", "optimizer", "params", "archive", "arrays", "state")
    missing = [k for k in required if k not in meta]
    if missing:
        problems.append(f"manifest lacks {missing}")
    unknown = sorted(set(meta) - set(required))
    if unknown:
        problems.append(f"manifest has unknown keys {[u[:40] for u in unknown[:5]]}")
    if "schema" in meta and meta["schema"] != CHECKPOINT_SCHEMA:
        problems.append(f"schema is {str(meta['schema'])[:60]!r}, expected {CHECKPOINT_SCHEMA!r}")
    task: Any = meta.get("task")
    step: int | None = meta.get("step") if _is_int(meta.get("step")) and meta["step"] >= 0 else None
    if "task" in meta and not (isinstance(task, str) and 0 < len(task) <= 100):
        problems.append(f"task must be a non-empty name, got {str(task)[:60]!r}")
    if "step" in meta and step is None:
        problems.append(f"step must be an int >= 0, got {str(meta['step'])[:40]!r}")
    model, train = _configs(meta, problems)
    opt = meta.get("optimizer")
    if "optimizer" in meta and not (isinstance(opt, dict) and opt.get("name") == "adamw" and opt.get("step") == step):
        problems.append(f"optimizer must describe adamw at step {step}")
    if step is not None and train is not None and step > train.steps:
        problems.append(f"step {step} is beyond train.steps {train.steps}")
    if "state" in meta:
        _check_state(meta["state"], problems)
    archive = meta.get("archive")
    if "archive" in meta and not (isinstance(archive, dict) and set(archive) == {"file", "bytes", "sha256"}
                                  and archive["file"] == ARRAYS):
        problems.append(f"archive must be {{file: {ARRAYS!r}, bytes, sha256}}")
    elif isinstance(archive, dict) and archive_sha256 is not None and archive.get("sha256") != archive_sha256:
        problems.append(f"{ARRAYS} does not match the sha256 the manifest records (its bytes changed)")
    table = meta.get("arrays")
    if "arrays" in meta and not (isinstance(table, dict) and all(
            isinstance(v, dict) and set(v) == {"dtype", "shape", "sha256"} for v in table.values())):
        problems.append("arrays must map each array name to {dtype, shape, sha256}")
        table = None
    names = meta.get("params")
    if "params" in meta and not (isinstance(names, list) and all(isinstance(n, str) for n in names)
                                 and len(set(names)) == len(names)):
        problems.append("params must be a list of distinct parameter names")
        names = None
    if model is not None and names is not None and model.n_layers > len(names):
        # every layer has a dozen parameters: do not build the structure of an absurd model (n_layers = 10**9)
        problems.append(f"model.n_layers is {model.n_layers} but only {len(names)} parameters are listed")
        model = None
    if model is not None and names is not None:
        _check_param_set(model, names, problems)
    if table is not None and names is not None and step is not None:
        wanted = {f"param.{n}" for n in names}
        if step > 0:
            wanted |= {f"adam.{m}.{n}" for n in names for m in "mv"}
        lacking = sorted(wanted - set(table))
        if lacking:
            problems.append(f"the manifest lists no entry for {_few(lacking)}")
        surplus = sorted(set(table) - wanted)
        if surplus:
            problems.append(f"the manifest lists unexpected arrays {_few(surplus)}")
    if arrays is not None and table is not None:
        _check_arrays(table, arrays, problems)
    if model is not None and names is not None and arrays is not None:
        _check_shapes(model, names, arrays, problems)
    if problems or arrays is None:
        return problems, None
    assert model is not None and train is not None and names is not None and step is not None
    assert isinstance(task, str)
    params = {n: arrays[f"param.{n}"] for n in names}
    moments = {k: v for k, v in arrays.items() if k.startswith("adam.")}
    return [], Checkpoint(task=task, step=step, model=model, train=train, params=params, opt_arrays=moments,
                          state=dict(meta["state"]))


def _few(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(n[:60] for n in names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _check_param_set(model: ModelConfig, names: list[str], problems: list[str]) -> None:
    expected = Transformer(model).shapes()
    lacking = [n for n in expected if n not in names]
    extra = [n for n in names if n not in expected]
    if lacking:
        problems.append(f"parameters missing for this model: {_few(lacking)}")
    if extra:
        problems.append(f"parameters this model does not have: {_few(extra)}")


def _check_arrays(table: dict[str, Any], arrays: dict[str, np.ndarray], problems: list[str]) -> None:
    absent = sorted(set(table) - set(arrays))
    if absent:
        problems.append(f"{ARRAYS} lacks {_few(absent)}")
    unlisted = sorted(set(arrays) - set(table))
    if unlisted:
        problems.append(f"{ARRAYS} holds arrays the manifest does not list: {_few(unlisted)}")
    bad_meta, bad_hash, not_finite, bad_dtype = [], [], [], []
    for name in sorted(set(table) & set(arrays)):
        a, rec = arrays[name], table[name]
        if a.dtype.str != rec["dtype"] or list(a.shape) != rec["shape"]:
            bad_meta.append(f"{name} is {a.dtype.str}{list(a.shape)}, the manifest says "
                            f"{str(rec['dtype'])[:12]}{str(rec['shape'])[:40]}")
            continue
        if a.dtype not in (np.float32, np.float64):
            bad_dtype.append(f"{name} ({a.dtype})")
            continue
        if array_sha256(a) != rec["sha256"]:
            bad_hash.append(name)
        elif not np.isfinite(a).all():
            not_finite.append(name)
    if bad_meta:
        problems.append("dtype or shape differs from the manifest: " + _few(bad_meta))
    if bad_dtype:
        problems.append("arrays must be float32 or float64: " + _few(bad_dtype))
    if bad_hash:
        problems.append(f"sha256 mismatch (the bytes changed after saving): {_few(bad_hash)}")
    if not_finite:
        problems.append(f"non-finite values in {_few(not_finite)}")


def _check_shapes(model: ModelConfig, names: list[str], arrays: dict[str, np.ndarray], problems: list[str]) -> None:
    expected = Transformer(model).shapes()
    wrong = []
    for n in names:
        a = arrays.get(f"param.{n}")
        if n not in expected or a is None:
            continue
        if a.shape != expected[n]:
            if n == "tok.w" and a.ndim == 2 and a.shape[1] == model.d_model:
                wrong.append(f"model.vocab_size is {model.vocab_size} but the embedding tok.w has {a.shape[0]} rows")
            else:
                wrong.append(f"{n} has shape {a.shape}, the model config gives {expected[n]}")
        for m in "mv":
            mom = arrays.get(f"adam.{m}.{n}")
            if mom is not None and (mom.shape != a.shape or mom.dtype != a.dtype):
                wrong.append(f"adam.{m}.{n} is {mom.dtype}{mom.shape}, its parameter {a.dtype}{a.shape}")
    dtypes = {arrays[f"param.{n}"].dtype.str for n in names if f"param.{n}" in arrays}
    if len(dtypes) > 1:
        wrong.append(f"parameters mix dtypes {sorted(dtypes)}")
    if wrong:
        problems.append("; ".join(wrong[:6]) + (f" and {len(wrong) - 6} more" if len(wrong) > 6 else ""))
