"""Checkpoints as one unit: a manifest with the sha256 of every array, swapped in atomically as a whole.

Layout of a checkpoint directory ``DIR`` (the project's design [I]; the paper fixes none)::

    DIR/current                  one line: the name of the live version, e.g. "v00000600-3f2a9c0d1e4b5a67"
    DIR/v00000600-3f2a.../       one version, never changed once it is named
        manifest.json            schema, task, step, model and training configs, the optimiser's state
                                 description, the training state (seed, batch-sampler state, loss history), the
                                 sha256 of arrays.npz and, for every array, its dtype, shape and sha256
        arrays.npz               parameters ``param.NAME`` and Adam moments ``adam.m.NAME`` / ``adam.v.NAME``

A save writes the two files into a fresh ``DIR/.ckpt.tmp-XXXX`` directory, fsyncs them and the directory, renames
the directory to its version name (derived from the manifest's hash, so equal content gives an equal name), fsyncs
``DIR``, then replaces ``DIR/current`` with :func:`os.replace` (itself written to a temporary file and fsynced
first).  The switch of ``current`` is the single atomic step: a crash at any moment leaves ``current`` naming
either the old version or the new one, both complete.  After the switch the save removes every other version,
every stale temporary and the files of the earlier two-file format, so a successful save leaves one version and
no temporary files.  :func:`load_checkpoint` only reads (a shipped checkpoint may sit on a read-only file system).

Loading validates everything and raises one :class:`~machines.errors.CheckpointError` that lists every problem:
the pointer here, then the version's content (:func:`machines.neural.checkpoint_format.validate`): the manifest's
encoding, depth, schema and hash, the configs, the archive's hash, every array's presence, dtype, shape, hash and
finiteness, the parameter set and shapes against the model config (so a ``vocab_size`` that disagrees with the
embedding rows is caught), the optimiser moments and the sampler state.

Byte-determinism: the ``.npz`` is a zip built with fixed timestamps (``numpy.savez`` stamps the clock) and the
manifest has a fixed key order, so the same run gives byte-identical files and the same version name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from machines.errors import CheckpointError, OutputError
from machines.neural.checkpoint_format import (
    ARRAYS,
    CHECKPOINT_SCHEMA,
    MANIFEST,
    Checkpoint,
    file_sha256,
    manifest_of,
    npz_bytes,
    read_arrays,
    read_manifest,
    validate,
)

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "validate", "npz_bytes", "has_checkpoint",
           "CheckpointError", "CHECKPOINT_SCHEMA", "POINTER", "MANIFEST", "ARRAYS"]

POINTER = "current"
TMP_PREFIX, POINTER_TMP_PREFIX = ".ckpt.tmp-", ".current.tmp-"
LEGACY_FILES = ("weights.npz", "checkpoint.json")  # the two-file format of schema powergen.checkpoint/1
VERSION_RE = re.compile(r"v\d{8}-[0-9a-f]{16}")


# -- saving ------------------------------------------------------------------------------------------------------
def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _clean(d: Path, keep: str | None) -> None:
    """Remove stale temporaries, versions other than ``keep`` and the files of the earlier format."""
    for entry in d.iterdir():
        name = entry.name
        stale = (name.startswith((TMP_PREFIX, POINTER_TMP_PREFIX)) or name in LEGACY_FILES
                 or name.startswith((".weights.npz.", ".checkpoint.json.")) and name.endswith(".tmp")
                 or (VERSION_RE.fullmatch(name) is not None and name != keep))
        if stale:
            _remove(entry)


def save_checkpoint(directory: str | Path, ckpt: Checkpoint) -> str:
    """Save ``ckpt`` into ``directory`` as one unit (see the module notes); return the version name.

    ``ckpt`` is validated first, as :func:`load_checkpoint` would (a checkpoint that could not be loaded back is
    never written): every problem goes into one :class:`CheckpointError`.

    Examples
    --------
    >>> import tempfile
    >>> from machines.neural.config import ModelConfig, TrainConfig
    >>> from machines.neural.model import Transformer
    >>> cfg = ModelConfig(vocab_size=4, mask_id=1, d_model=4, d_mlp=4)
    >>> params = Transformer(cfg).init(np.random.default_rng(0))
    >>> state = {"seed": 0, "batch_rng": np.random.default_rng(0).bit_generator.state, "history": [], "last": None}
    >>> d = tempfile.mkdtemp()
    >>> ck = Checkpoint(task="demo", step=0, model=cfg, train=TrainConfig(), params=params, state=state)
    >>> name = save_checkpoint(d, ck)
    >>> sorted(p.name for p in Path(d).iterdir()) == ["current", name], load_checkpoint(d).task
    (True, 'demo')

    Notes
    -----
    ``O(size of the arrays)``, plus four fsyncs.
    """
    d = Path(directory)
    arrays = {f"param.{k}": np.ascontiguousarray(v) for k, v in ckpt.params.items()}
    arrays |= {k: np.ascontiguousarray(v) for k, v in ckpt.opt_arrays.items()}
    blob = npz_bytes(arrays)
    meta = manifest_of(ckpt, arrays, blob)
    problems, _ = validate(json.loads(json.dumps(meta)), arrays, archive_sha256=hashlib.sha256(blob).hexdigest())
    if problems:
        raise CheckpointError(directory=os.fspath(d), problems=["refusing to save an invalid checkpoint", *problems])
    manifest = (json.dumps(meta, indent=1, allow_nan=False) + "\n").encode("utf-8")
    version = f"v{ckpt.step:08d}-{hashlib.sha256(manifest).hexdigest()[:16]}"
    try:
        d.mkdir(parents=True, exist_ok=True)
        current = _read_pointer(d)
        if current != version:
            if not (d / version).is_dir():
                tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=d))
                os.chmod(tmp, 0o777 & ~_umask())
                _write_synced(tmp / ARRAYS, blob)
                _write_synced(tmp / MANIFEST, manifest)
                _fsync_dir(tmp)
                os.rename(tmp, d / version)
                _fsync_dir(d)
            fd, ptmp = tempfile.mkstemp(prefix=POINTER_TMP_PREFIX, dir=d)
            os.fchmod(fd, 0o666 & ~_umask())
            os.close(fd)
            _write_synced(Path(ptmp), (version + "\n").encode("ascii"))
            os.replace(ptmp, d / POINTER)
            _fsync_dir(d)
        _clean(d, keep=version)
    except OSError as exc:
        raise OutputError(f"cannot write the checkpoint in {os.fspath(d)}: {exc.strerror or exc}") from None
    return version


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _read_pointer(d: Path) -> str | None:
    """The version ``d/current`` names, or None when it is missing or malformed (only for saving)."""
    try:
        text = (d / POINTER).read_bytes()[:64].decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if VERSION_RE.fullmatch(text) else None


def has_checkpoint(directory: str | Path) -> bool:
    """True when ``directory`` holds a checkpoint pointer (valid or not) or files of the earlier format."""
    d = Path(directory)
    return (d / POINTER).exists() or any((d / n).exists() for n in LEGACY_FILES)


# -- loading -----------------------------------------------------------------------------------------------------
def load_checkpoint(directory: str | Path) -> Checkpoint:
    """Read and validate the checkpoint in ``directory``; every problem goes into one :class:`CheckpointError`.

    Examples
    --------
    >>> import tempfile
    >>> try:
    ...     load_checkpoint(tempfile.mkdtemp())
    ... except CheckpointError as exc:
    ...     print(exc.problems)
    ['no checkpoint here (the directory is empty)']

    Notes
    -----
    ``O(size of the arrays)``.  Read-only: stale temporaries are removed by the next save, not here.
    """
    d = Path(directory)
    if not d.is_dir():
        why = "not a directory" if d.exists() else "no such directory"
        raise CheckpointError(directory=os.fspath(d), problems=[why])
    problems: list[str] = []
    pointer = d / POINTER
    if not pointer.exists():
        if any((d / n).exists() for n in LEGACY_FILES):
            problems.append(f"a checkpoint of the earlier two-file format ({' + '.join(LEGACY_FILES)}), which "
                            f"cannot be verified; train again to write {CHECKPOINT_SCHEMA}")
        elif not any(d.iterdir()):
            problems.append("no checkpoint here (the directory is empty)")
        else:
            problems.append(f"no checkpoint here (no '{POINTER}' file)")
        raise CheckpointError(directory=os.fspath(d), problems=problems)
    try:
        with open(pointer, "rb") as fh:
            raw = fh.read(200)
    except OSError as exc:
        raise CheckpointError(directory=os.fspath(d), problems=[f"cannot read {POINTER}: {exc.strerror}"]) from None
    try:
        version = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        version = ""
    if not VERSION_RE.fullmatch(version):
        raise CheckpointError(directory=os.fspath(d),
                              problems=[f"'{POINTER}' does not name a version (vNNNNNNNN-<16 hex>): {raw[:40]!r}"])
    vdir = d / version
    if not vdir.is_dir():
        raise CheckpointError(directory=os.fspath(d), problems=[f"'{POINTER}' names {version}, which is missing"])
    meta = read_manifest(vdir / MANIFEST, problems) if (vdir / MANIFEST).is_file() else None
    if meta is None and not problems:
        problems.append(f"{version}/{MANIFEST} is missing")
    if meta is not None and file_sha256(vdir / MANIFEST)[:16] != version[-16:]:
        problems.append(f"{MANIFEST} does not hash to the version name {version} (it changed after saving)")
    arrays = read_arrays(vdir / ARRAYS, problems) if (vdir / ARRAYS).is_file() else None
    if arrays is None and not (vdir / ARRAYS).is_file():
        problems.append(f"{version}/{ARRAYS} is missing")
    ck = None
    if meta is not None:
        more, ck = validate(meta, arrays, archive_sha256=file_sha256(vdir / ARRAYS))
        problems += more
    if problems or ck is None:
        raise CheckpointError(directory=os.fspath(d), problems=problems or ["unreadable checkpoint"])
    return ck

