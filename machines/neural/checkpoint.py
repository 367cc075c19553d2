"""Checkpoints: ``weights.npz`` (parameters and optimiser moments) plus ``checkpoint.json`` (configs, training state).

Both files are written atomically (:mod:`machines.io`), and byte-identically for identical content: the ``.npz``
is a zip built here with a fixed timestamp (``numpy.savez`` stamps the current time), the JSON has a fixed key order.
The JSON carries the model and training configs, the task name, the seed, the number of updates done, the state of
the batch-sampling generator and the loss history, so that a resumed run continues exactly as the uninterrupted one.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from machines.errors import MachineError
from machines.io import atomic_write_bytes, atomic_write_text
from machines.neural.config import ModelConfig, TrainConfig

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "npz_bytes", "CheckpointError",
           "CHECKPOINT_SCHEMA"]

CHECKPOINT_SCHEMA = "powergen.checkpoint/1"
WEIGHTS, META = "weights.npz", "checkpoint.json"


class CheckpointError(MachineError, ValueError):
    """A checkpoint directory is missing, incomplete or inconsistent."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Everything needed to predict with, or to resume, a training run."""

    model: ModelConfig
    train: TrainConfig
    params: dict[str, np.ndarray]
    opt_arrays: dict[str, np.ndarray]
    state: dict[str, Any]


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


def save_checkpoint(directory: str | Path, ckpt: Checkpoint) -> None:
    """Write ``weights.npz`` then ``checkpoint.json`` into ``directory`` (the JSON last: it names a complete set)."""
    d = Path(directory)
    arrays = {f"param.{k}": v for k, v in ckpt.params.items()} | ckpt.opt_arrays
    atomic_write_bytes(d / WEIGHTS, npz_bytes(arrays))
    meta = {"schema": CHECKPOINT_SCHEMA, "model": ckpt.model.to_json(), "train": ckpt.train.to_json(),
            "param_names": list(ckpt.params), "state": ckpt.state}
    atomic_write_text(d / META, json.dumps(meta, indent=1, allow_nan=False) + "\n")


def load_checkpoint(directory: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; every problem becomes one :class:`CheckpointError`."""
    d = Path(directory)
    problems = [f"missing {d / n}" for n in (WEIGHTS, META) if not (d / n).is_file()]
    if problems:
        raise CheckpointError(f"not a checkpoint directory: {'; '.join(problems)}")
    try:
        meta = json.loads((d / META).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read {d / META}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("schema") != CHECKPOINT_SCHEMA:
        raise CheckpointError(f"{d / META}: expected schema {CHECKPOINT_SCHEMA!r}")
    try:
        with np.load(d / WEIGHTS, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"cannot read {d / WEIGHTS}: {exc}") from None
    names = meta.get("param_names", [])
    missing = [n for n in names if f"param.{n}" not in arrays]
    if missing:
        raise CheckpointError(f"{d / WEIGHTS} lacks parameters {missing}")
    params = {n: arrays[f"param.{n}"] for n in names}
    opt = {k: v for k, v in arrays.items() if k.startswith("adam.")}
    return Checkpoint(model=ModelConfig.from_json(meta["model"]), train=TrainConfig.from_json(meta["train"]),
                      params=params, opt_arrays=opt, state=meta.get("state", {}))
