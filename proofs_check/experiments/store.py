"""A compact on-disk store of a task's oracle transitions, verified with ``g`` as it is built, memory-mapped to read.

A *source* (:class:`TrajectorySource`) turns ``(index, seed)`` into the oracle trajectory of instance ``index`` --
a list of :class:`machines.predictor.Transition` -- deterministically.  :func:`build_store` asks it for the
trajectories ``0 .. count-1`` and writes, for ``(source.name, seed, count)``, one directory::

    x.npy      (T,)   uint8/uint16  the tokens of every x_k, concatenated
    y.npy      (T,)   uint8/uint16  the targets y*  (equal to x_k off the masks)
    ctrl.npy   (T,)   uint8         bit 0 remask*, bit 1 insert*, bit 2 delete*
    start.npy  (N+1,) int64         transition k occupies tokens start[k] .. start[k+1]
    traj.npy   (count+1,) int64     trajectory j is transitions traj[j] .. traj[j+1]
    final.npy  (F,)   token dtype   the final sequence of every trajectory, concatenated
    fstart.npy (count+1,) int64     offsets into final.npy
    manifest.json                   schema, source name, seed, count, sizes, dtype, per-file and content sha256

Tokens are uint8 when the vocabulary has at most 256 ids, else uint16.  ``x_{k+1}`` is not stored: it is the next
transition's ``x`` within a trajectory, or the trajectory's final sequence, so :meth:`TransitionStore.verify` can
re-check ``g(x_k, y*, ctrl*) == x_{k+1}`` for every stored transition.

**Verification while building.**  Every transition is checked with :func:`machines.transition.apply_g` against
the oracle's ``x_next``, and every trajectory for continuity (``x_{k+1}`` is the next ``x``); any mismatch raises
:class:`StoreError` naming the trajectory and the step -- nothing is written for that shard.

**Parallel and resumable.**  Trajectories are built in shards of ``shard_size`` (each shard a separate job; with
``processes > 1`` on a process pool).  Each finished shard is written atomically to ``<dir>.partial/``; a build
that is interrupted resumes from the shards already there.  The shards are then merged into a temporary directory
that is renamed onto ``<dir>`` in one step (the store appears whole or not at all).  The content hash depends only on
``(source, seed, count)`` -- not on ``processes`` or ``shard_size`` -- since instance ``j`` is drawn from its own
seed by the source.

**Reading.**  :func:`open_store` memory-maps the arrays and (by default) checks the content hash, so a store
corrupted on disk is rejected; :func:`sample_batch` draws a batch uniformly over transitions.  A million
transitions of length 250 take about 750 MB (three bytes per token position).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from machines.neural.loss import Batch
from machines.predictor import Transition
from machines.transition import apply_g
from proofs_check.errors import CheckError

__all__ = ["STORE_SCHEMA", "StoreError", "TrajectorySource", "TransitionStore", "build_store", "open_store",
           "sample_batch", "store_dir"]

STORE_SCHEMA = "powergen.transition-store/1"
_ARRAYS = ("x", "y", "ctrl", "start", "traj", "final", "fstart")


class StoreError(CheckError, ValueError):
    """A transition store cannot be built or read: a transition fails ``g``, a file is missing, a hash differs."""


class TrajectorySource(Protocol):
    """What :func:`build_store` needs: a name fixing the data distribution, the vocabulary size, MASK's id, and a
    deterministic trajectory per ``(index, seed)``.  Must be picklable for ``processes > 1``."""

    name: str
    vocab_size: int
    mask_id: int

    def trajectory(self, index: int, seed: int) -> Sequence[Transition]: ...


def _token_dtype(vocab_size: int) -> type[np.unsignedinteger[Any]]:
    return np.uint8 if vocab_size <= 256 else np.uint16


def store_dir(root: str | os.PathLike[str], name: str, seed: int, count: int) -> Path:
    """The directory of the store of ``(name, seed, count)`` under ``root``.

    Examples
    --------
    >>> store_dir("/tmp/s", "maxflow", 0, 100).name
    'maxflow-seed0-n100'
    """
    return Path(root) / f"{name}-seed{seed}-n{count}"


# -- building ------------------------------------------------------------------------------------------------------
def _verify_trajectory(traj: Sequence[Transition], *, mask_id: int, where: str) -> None:
    prev: np.ndarray | None = None
    for k, t in enumerate(traj):
        x = np.asarray(t.x)
        if prev is not None and not np.array_equal(prev, x):
            raise StoreError(f"{where}, step {k}: x_k is not the previous step's x_(k+1) (broken trajectory)")
        got = apply_g(x, t.y, t.remask, t.insert, t.delete, mask_id=mask_id)
        if not np.array_equal(got, np.asarray(t.x_next)):
            raise StoreError(f"{where}, step {k}: g(x_k, y*, ctrl*) differs from x_(k+1) "
                             f"(length {got.shape[0]} vs {np.asarray(t.x_next).shape[0]})")
        prev = np.asarray(t.x_next)


def _build_shard(source: TrajectorySource, seed: int, lo: int, hi: int) -> dict[str, np.ndarray]:
    """Trajectories ``lo .. hi-1`` as shard arrays (offsets relative to the shard), each verified with g."""
    dt = _token_dtype(source.vocab_size)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    cs: list[np.ndarray] = []
    lens: list[int] = []
    tlens: list[int] = []
    finals: list[np.ndarray] = []
    for j in range(lo, hi):
        traj = source.trajectory(j, seed)
        if not traj:
            raise StoreError(f"{source.name} seed {seed}: trajectory {j} is empty")
        _verify_trajectory(traj, mask_id=source.mask_id, where=f"{source.name} seed {seed}, trajectory {j}")
        for t in traj:
            x = np.asarray(t.x)
            if x.size and (x.min() < 0 or x.max() >= source.vocab_size):
                raise StoreError(f"trajectory {j}: a token lies outside 0..{source.vocab_size - 1}")
            xs.append(x.astype(dt))
            ys.append(np.asarray(t.y).astype(dt))
            cs.append((np.asarray(t.remask, np.uint8) | (np.asarray(t.insert, np.uint8) << 1)
                       | (np.asarray(t.delete, np.uint8) << 2)).astype(np.uint8))
            lens.append(x.shape[0])
        tlens.append(len(traj))
        finals.append(np.asarray(traj[-1].x_next).astype(dt))
    return {"x": np.concatenate(xs), "y": np.concatenate(ys), "ctrl": np.concatenate(cs),
            "lens": np.asarray(lens, np.int64), "tlens": np.asarray(tlens, np.int64),
            "final": np.concatenate(finals), "flens": np.asarray([f.shape[0] for f in finals], np.int64)}


def _shard_job(args: tuple[TrajectorySource, int, int, int, str]) -> str:
    source, seed, lo, hi, path = args
    target = Path(path)
    if target.is_file():
        return path  # resumed: built by an earlier, interrupted run
    arrays = _build_shard(source, seed, lo, hi)
    fd, tmp = tempfile.mkstemp(prefix=".shard.", suffix=".npz", dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, target)
    return path


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).view(np.uint8).tobytes()).hexdigest()


def _content_hash(header: dict[str, Any], file_hashes: dict[str, str]) -> str:
    h = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
    for name in _ARRAYS:
        h.update(f"{name}:{file_hashes[name]}".encode())
    return h.hexdigest()


def build_store(source: TrajectorySource, *, seed: int, count: int, root: str | os.PathLike[str],
                processes: int = 1, shard_size: int = 256, stop_after_shards: int | None = None) -> TransitionStore:
    """Build (or reuse, or finish) the store of ``(source.name, seed, count)`` under ``root`` and open it.

    An existing complete store is reused when its content hash checks; a damaged one raises :class:`StoreError`
    (delete the directory to rebuild).  ``stop_after_shards`` stops after that many new shards without merging (to
    test resuming) and then raises :class:`StoreError`.

    Examples
    --------
    >>> import tempfile
    >>> class Copy:  # a one-step toy process: unmask the single mask to token 1
    ...     name, vocab_size, mask_id = "toy", 3, 0
    ...     def trajectory(self, index, seed):
    ...         x = np.array([2, 0]); z = np.zeros(2, np.int64)
    ...         return [Transition(x=x, y=np.array([2, 1]), remask=z, insert=z, delete=z, x_next=np.array([2, 1]))]
    >>> st = build_store(Copy(), seed=0, count=3, root=tempfile.mkdtemp())
    >>> len(st), st.transition(1).y.tolist(), st.x.dtype.name
    (3, [2, 1], 'uint8')

    Notes
    -----
    O(total tokens) besides the source's own work; one process per shard job with ``processes > 1``.
    """
    if not isinstance(count, int) or count < 1:
        raise StoreError(f"count must be a positive int, got {count!r}")
    if not isinstance(processes, int) or processes < 1:
        raise StoreError(f"processes must be a positive int, got {processes!r}")
    final_dir = store_dir(root, source.name, seed, count)
    if (final_dir / "manifest.json").is_file():
        return open_store(final_dir)
    if final_dir.exists():
        raise StoreError(f"{final_dir} exists without a manifest (an incomplete store): delete it to rebuild")
    partial = final_dir.parent / (final_dir.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    bounds = [(lo, min(lo + shard_size, count)) for lo in range(0, count, shard_size)]
    paths = [str(partial / f"shard-{k:05d}.npz") for k in range(len(bounds))]
    todo = [(source, seed, lo, hi, p) for (lo, hi), p in zip(bounds, paths, strict=True) if not Path(p).is_file()]
    if stop_after_shards is not None:
        todo = todo[:stop_after_shards]
    if processes > 1 and len(todo) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(min(processes, len(todo))) as pool:
            for _ in pool.imap_unordered(_shard_job, todo):
                pass
    else:
        for job in todo:
            _shard_job(job)
    if stop_after_shards is not None and not all(Path(p).is_file() for p in paths):
        raise StoreError(f"build of {final_dir.name} stopped after {stop_after_shards} shard(s); call again to resume")
    _merge(source, seed, count, paths, final_dir)
    shutil.rmtree(partial, ignore_errors=True)
    return open_store(final_dir)


def _merge(source: TrajectorySource, seed: int, count: int, paths: list[str], final_dir: Path) -> None:
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("x", "y", "ctrl", "lens", "tlens", "final", "flens")}
    for p in paths:
        with np.load(p) as z:
            for k in parts:
                parts[k].append(z[k])
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    arrays = {"x": cat["x"], "y": cat["y"], "ctrl": cat["ctrl"],
              "start": np.concatenate([[0], np.cumsum(cat["lens"])]).astype(np.int64),
              "traj": np.concatenate([[0], np.cumsum(cat["tlens"])]).astype(np.int64),
              "final": cat["final"], "fstart": np.concatenate([[0], np.cumsum(cat["flens"])]).astype(np.int64)}
    header = {"schema": STORE_SCHEMA, "source": source.name, "seed": seed, "count": count,
              "vocab_size": source.vocab_size, "mask_id": source.mask_id, "dtype": arrays["x"].dtype.name}
    hashes = {k: _sha(a) for k, a in arrays.items()}
    manifest = header | {"transitions": int(arrays["start"].shape[0] - 1), "tokens": int(arrays["x"].shape[0]),
                         "files": hashes, "content_sha256": _content_hash(header, hashes)}
    tmp = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.", dir=final_dir.parent))
    try:
        for k, a in arrays.items():
            np.save(tmp / f"{k}.npy", a)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, final_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# -- reading -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransitionStore:
    """A built store, memory-mapped (see the module docstring for the arrays)."""

    directory: Path
    manifest: dict[str, Any]
    x: np.ndarray
    y: np.ndarray
    ctrl: np.ndarray
    start: np.ndarray
    traj: np.ndarray
    final: np.ndarray
    fstart: np.ndarray

    def __len__(self) -> int:
        return int(self.start.shape[0] - 1)

    @property
    def content_sha256(self) -> str:
        return str(self.manifest["content_sha256"])

    @property
    def n_trajectories(self) -> int:
        return int(self.traj.shape[0] - 1)

    def lengths(self) -> np.ndarray:
        """The length of every transition's ``x_k``."""
        return np.diff(self.start)

    def x_next(self, k: int) -> np.ndarray:
        """``x_{k+1}`` of transition ``k``: the next transition's ``x``, or its trajectory's final sequence."""
        j = int(np.searchsorted(self.traj, k, side="right") - 1)
        if k + 1 < int(self.traj[j + 1]):
            return np.asarray(self.x[self.start[k + 1]:self.start[k + 2]], np.int64)
        return np.asarray(self.final[self.fstart[j]:self.fstart[j + 1]], np.int64)

    def transition(self, k: int) -> Transition:
        """Transition ``k`` as int64 arrays."""
        if not 0 <= k < len(self):
            raise StoreError(f"transition index {k} outside 0..{len(self) - 1}")
        a, b = int(self.start[k]), int(self.start[k + 1])
        c = np.asarray(self.ctrl[a:b])
        return Transition(x=np.asarray(self.x[a:b], np.int64), y=np.asarray(self.y[a:b], np.int64),
                          remask=(c & 1).astype(np.int64), insert=((c >> 1) & 1).astype(np.int64),
                          delete=((c >> 2) & 1).astype(np.int64), x_next=self.x_next(k))

    def batch(self, index: np.ndarray) -> Batch:
        """The transitions ``index`` as a padded :class:`~machines.neural.loss.Batch` (padding: token 0, invalid)."""
        starts, ends = self.start[index], self.start[np.asarray(index) + 1]
        L = int((ends - starts).max())
        B = len(index)
        x = np.zeros((B, L), np.int64)
        y = np.zeros((B, L), np.int64)
        c = np.zeros((B, L), np.uint8)
        valid = np.zeros((B, L), bool)
        for r, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            n = b - a
            x[r, :n], y[r, :n], c[r, :n], valid[r, :n] = self.x[a:b], self.y[a:b], self.ctrl[a:b], True
        ctrl = np.stack([c & 1, (c >> 1) & 1, (c >> 2) & 1], axis=-1).astype(np.int64)
        return Batch(x=x, y=y, ctrl=ctrl, valid=valid)

    def verify(self) -> None:
        """Re-check ``g(x_k, y*, ctrl*) == x_{k+1}`` for every stored transition; raise :class:`StoreError`."""
        mask_id = int(self.manifest["mask_id"])
        for k in range(len(self)):
            t = self.transition(k)
            got = apply_g(t.x, t.y, t.remask, t.insert, t.delete, mask_id=mask_id)
            if not np.array_equal(got, t.x_next):
                raise StoreError(f"{self.directory}: transition {k} fails g(x_k, y*, ctrl*) == x_(k+1)")


def open_store(directory: str | os.PathLike[str], *, check_hash: bool = True) -> TransitionStore:
    """Memory-map a store built by :func:`build_store`; with ``check_hash`` recompute and compare every hash."""
    d = Path(directory)
    try:
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"cannot read {d / 'manifest.json'}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != STORE_SCHEMA:
        raise StoreError(f"{d / 'manifest.json'}: expected schema {STORE_SCHEMA!r}")
    arrays: dict[str, np.ndarray] = {}
    problems = []
    for k in _ARRAYS:
        try:
            arrays[k] = np.load(d / f"{k}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            problems.append(f"{k}.npy: {exc}")
            continue
        if check_hash and _sha(arrays[k]) != manifest["files"].get(k):
            problems.append(f"{k}.npy: sha256 differs from the manifest")
    if problems:
        raise StoreError(f"damaged store {d}: " + "; ".join(problems))
    header = {k: manifest[k] for k in ("schema", "source", "seed", "count", "vocab_size", "mask_id", "dtype")}
    if check_hash and _content_hash(header, manifest["files"]) != manifest.get("content_sha256"):
        raise StoreError(f"damaged store {d}: the content hash differs from the manifest")
    return TransitionStore(directory=d, manifest=manifest, **arrays)


def sample_batch(store: TransitionStore, rng: np.random.Generator, batch_size: int) -> tuple[np.ndarray, Batch]:
    """``batch_size`` transitions drawn uniformly (with replacement) over the whole store: (indices, batch)."""
    index = rng.integers(0, len(store), size=batch_size)
    return index, store.batch(index)
