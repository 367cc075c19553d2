"""The transition store: content, hash, verification with g, resume, sampling (proofs_check/experiments/store.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from machines.predictor import Transition
from proofs_check.experiments.maxflow import MaxflowSource
from proofs_check.experiments.store import StoreError, build_store, open_store, sample_batch, store_dir
from reductions.tasks.maxflow import run_maxflow

SRC = MaxflowSource(sizes=(4, 5))


def _oracle_trajectories(count: int, seed: int) -> list[list[Transition]]:
    out = []
    for j in range(count):
        run = run_maxflow(SRC.instance(j, seed))
        out.append([Transition(x=r.x, y=r.prediction.y, remask=r.prediction.remask, insert=r.prediction.insert,
                               delete=r.prediction.delete, x_next=r.x_next) for r in run.records])
    return out


def test_store_holds_exactly_the_oracle_transitions(tmp_path):
    st = build_store(SRC, seed=3, count=5, root=tmp_path, shard_size=2)
    trajs = _oracle_trajectories(5, 3)  # from the machine's own records, not through the store's source
    flat = [t for tr in trajs for t in tr]
    assert len(st) == len(flat) and st.n_trajectories == 5
    assert st.x.dtype == np.uint8  # 53 token ids fit in a byte
    for k, t in enumerate(flat):
        s = st.transition(k)
        for name in ("x", "y", "remask", "insert", "delete", "x_next"):
            assert np.array_equal(getattr(s, name), np.asarray(getattr(t, name), np.int64)), (k, name)
    st.verify()


def test_hash_is_independent_of_sharding_and_processes_but_not_of_seed(tmp_path):
    a = build_store(SRC, seed=0, count=6, root=tmp_path / "a", shard_size=6)
    b = build_store(SRC, seed=0, count=6, root=tmp_path / "b", shard_size=2, processes=2)
    c = build_store(SRC, seed=1, count=6, root=tmp_path / "c", shard_size=6)
    assert a.content_sha256 == b.content_sha256
    assert a.content_sha256 != c.content_sha256
    for name in ("x", "y", "ctrl", "start", "traj", "final", "fstart"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


class _Corrupting:
    """The max-flow source, with one transition of trajectory ``bad`` given a wrong target token."""

    name, vocab_size, mask_id = "corrupt", SRC.vocab_size, SRC.mask_id

    def __init__(self, bad: int) -> None:
        self.bad = bad

    def trajectory(self, index: int, seed: int) -> list[Transition]:
        traj = SRC.trajectory(index, seed)
        if index != self.bad:
            return traj
        # the step that unmasks node levels (INIT_SLOT2): change one unmasked token, keep x_next
        k = next(i for i, t in enumerate(traj) if ((t.x == SRC.mask_id) & (t.remask == 0)).any())
        t = traj[k]
        pos = int(np.flatnonzero((t.x == SRC.mask_id) & (t.remask == 0) & (t.delete == 0))[0])
        y = t.y.copy()
        y[pos] = 7 if y[pos] != 7 else 8
        traj[k] = replace(t, y=y)
        return traj


def test_a_corrupted_transition_is_rejected_while_building(tmp_path):
    with pytest.raises(StoreError, match=r"trajectory 2, step \d+: g\(x_k, y\*, ctrl\*\) differs"):
        build_store(_Corrupting(bad=2), seed=0, count=4, root=tmp_path, shard_size=2)
    assert not store_dir(tmp_path, "corrupt", 0, 4).exists()


def test_a_store_damaged_on_disk_is_rejected_by_hash_and_by_g(tmp_path):
    st = build_store(SRC, seed=0, count=3, root=tmp_path)
    d = st.directory
    t0 = st.transition(0)
    del st
    y = np.load(d / "y.npy")
    x = np.load(d / "x.npy")
    ctrl = np.load(d / "ctrl.npy")
    # a position whose y* is used by g (a mask, not remasked, not deleted)
    pos = int(np.flatnonzero((x == SRC.mask_id) & (ctrl & 1 == 0) & (ctrl & 4 == 0))[0])
    y[pos] = 7 if y[pos] != 7 else 8
    np.save(d / "y.npy", y)
    with pytest.raises(StoreError, match="y.npy: sha256 differs"):
        open_store(d)
    unchecked = open_store(d, check_hash=False)
    with pytest.raises(StoreError, match="fails g"):
        unchecked.verify()
    assert t0.x.shape[0] > 0


def test_an_interrupted_build_resumes_to_the_same_store(tmp_path):
    with pytest.raises(StoreError, match="stopped after 1 shard"):
        build_store(SRC, seed=2, count=5, root=tmp_path / "r", shard_size=2, stop_after_shards=1)
    partial = store_dir(tmp_path / "r", SRC.name, 2, 5).with_name(f"{SRC.name}-seed2-n5.partial")
    assert sorted(p.name for p in partial.iterdir()) == ["shard-00000.npz"]
    resumed = build_store(SRC, seed=2, count=5, root=tmp_path / "r", shard_size=2)
    fresh = build_store(SRC, seed=2, count=5, root=tmp_path / "f", shard_size=2)
    assert resumed.content_sha256 == fresh.content_sha256
    assert not partial.exists()
    # a second call reuses the finished store (same manifest, no rebuild)
    again = build_store(SRC, seed=2, count=5, root=tmp_path / "r", shard_size=2)
    assert json.loads((again.directory / "manifest.json").read_text())["content_sha256"] == fresh.content_sha256


def test_bad_requests_raise_store_errors(tmp_path):
    with pytest.raises(StoreError, match="count must be a positive int"):
        build_store(SRC, seed=0, count=0, root=tmp_path)
    with pytest.raises(StoreError, match="cannot read"):
        open_store(tmp_path / "nothing")
    st = build_store(SRC, seed=0, count=1, root=tmp_path)
    with pytest.raises(StoreError, match="outside"):
        st.transition(len(st))


def test_batches_are_uniform_over_transitions_and_padded(tmp_path):
    st = build_store(SRC, seed=0, count=4, root=tmp_path)
    n = len(st)
    rng = np.random.default_rng(0)
    counts = np.zeros(n)
    draws = 200 * n
    for _ in range(draws // 50):
        idx, _ = sample_batch(st, rng, 50)
        counts += np.bincount(idx, minlength=n)
    # chi-square with n-1 degrees of freedom; uniform over *trajectories* would over-draw the short trajectory
    expected = draws / n
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < n - 1 + 5 * np.sqrt(2 * (n - 1))
    idx, batch = sample_batch(st, np.random.default_rng(1), 8)
    for r, k in enumerate(idx):
        t = st.transition(int(k))
        m = t.x.shape[0]
        assert batch.valid[r].sum() == m and np.array_equal(batch.x[r, :m], t.x)
        assert np.array_equal(batch.ctrl[r, :m], np.stack([t.remask, t.insert, t.delete], axis=1))
        assert not batch.valid[r, m:].any() and (batch.x[r, m:] == 0).all()
