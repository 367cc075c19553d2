"""Checkpoints as one unit: every corruption is reported (all problems at once, one CLI line, exit 2), a save is
atomic as a whole (an interrupted save leaves the old checkpoint), ``--resume`` refuses what it cannot continue and
is byte-identical to an uninterrupted run, also after ``kill -9`` at random moments (slow)."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from machines.errors import CheckpointError, MachineError
from machines.neural.checkpoint import (
    ARRAYS,
    MANIFEST,
    POINTER,
    Checkpoint,
    has_checkpoint,
    load_checkpoint,
    npz_bytes,
    save_checkpoint,
)
from machines.neural.checkpoint_format import array_sha256
from proofs_check.cli import main

ROOT = Path(__file__).resolve().parents[2]
STEPS = 6


def tree_bytes(d: Path) -> dict[str, bytes]:
    """Every file under ``d`` (relative path -> bytes), hidden temporaries included."""
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ck") / "parity"
    assert main(["train", "parity", "--seed", "1", "--steps", str(STEPS), "--out", str(d), "--json"]) == 0
    return d


@pytest.fixture
def ck(trained: Path, tmp_path: Path) -> Path:
    d = tmp_path / "ck"
    shutil.copytree(trained, d)
    return d


def version(d: Path) -> Path:
    return d / (d / POINTER).read_text().strip()


def edit_manifest(d: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = version(d) / MANIFEST
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta, indent=1))


def read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def rewrite_arrays(d: Path, change: Callable[[dict[str, np.ndarray]], None], *, rehash: bool) -> None:
    """Change the arrays; with ``rehash`` also update the manifest's table, so only the other checks can object."""
    path = version(d) / ARRAYS
    arrays = read_npz(path)
    change(arrays)
    path.write_bytes(npz_bytes(arrays))
    if rehash:
        def fix(meta: dict[str, Any]) -> None:
            meta["arrays"] = {k: {"dtype": a.dtype.str, "shape": list(a.shape), "sha256": array_sha256(a)}
                              for k, a in sorted(arrays.items())}
        edit_manifest(d, fix)


def problems_of(d: Path) -> list[str]:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(d)
    assert isinstance(info.value, MachineError) and isinstance(info.value, ValueError)
    return info.value.problems


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(meta: dict[str, Any]) -> None:
        *keys, last = path.split(".")
        for k in keys:
            meta = meta[k]
        meta[last] = value
    return change


def _flip_ff(d: Path) -> None:
    p = version(d) / MANIFEST
    raw = bytearray(p.read_bytes())
    raw[10] = 0xFF
    p.write_bytes(bytes(raw))


def _set_nan(a: dict[str, np.ndarray]) -> None:
    a["param.lnf.g"] = a["param.lnf.g"].copy()
    a["param.lnf.g"][0] = np.nan


def _pickled(d: Path) -> None:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([object()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(version(d) / ARRAYS, "a") as zf:
        zf.writestr("evil.npy", buf.getvalue())


# (name, corruption, words one of the problems must contain)
CORRUPTIONS: list[tuple[str, Callable[[Path], None], str]] = [
    ("empty arrays file", lambda d: (version(d) / ARRAYS).write_bytes(b""), "arrays.npz is empty"),
    ("truncated arrays file", lambda d: (version(d) / ARRAYS).write_bytes((version(d) / ARRAYS).read_bytes()[:300]),
     "not a readable .npz"),
    ("arrays file deleted", lambda d: (version(d) / ARRAYS).unlink(), "arrays.npz is missing"),
    ("0xff byte in the manifest", _flip_ff, "not UTF-8"),
    ("manifest truncated", lambda d: (version(d) / MANIFEST).write_text('{"schema": "powergen.check'),
     "not valid JSON"),
    ("deeply nested manifest", lambda d: (version(d) / MANIFEST).write_text("[" * 100_000), "nested deeper"),
    ("manifest is a list", lambda d: (version(d) / MANIFEST).write_text("[1, 2]"), "not an object"),
    ("missing key", lambda d: edit_manifest(d, lambda m: m.pop("task")), "manifest lacks ['task']"),
    ("unknown key", lambda d: edit_manifest(d, _set("surprise", 1)), "unknown keys ['surprise']"),
    ("other schema", lambda d: edit_manifest(d, _set("schema", "powergen.checkpoint/9")), "expected"),
    ("changed d_model", lambda d: edit_manifest(d, _set("model.d_model", 8)), "the model config gives"),
    ("vocab_size vs embedding rows", lambda d: edit_manifest(d, _set("model.vocab_size", 6)),
     "vocab_size is 6 but the embedding tok.w has 5 rows"),
    ("absurd number of layers", lambda d: edit_manifest(d, _set("model.n_layers", 10**9)),
     "n_layers is 1000000000 but only"),
    ("invalid model config", lambda d: edit_manifest(d, _set("model.n_heads", 0)), "n_heads must be a positive"),
    ("model config of the wrong type", lambda d: edit_manifest(d, _set("model.rotary", 5)), "model:"),
    ("step beyond the total", lambda d: edit_manifest(d, _set("step", 10**6)), "beyond train.steps"),
    ("negative step", lambda d: edit_manifest(d, _set("step", -1)), "step must be an int >= 0"),
    ("bad sampler state", lambda d: edit_manifest(d, _set("state.batch_rng", {"bit_generator": "MT19937"})),
     "PCG64"),
    ("bad history", lambda d: edit_manifest(d, _set("state.history", [{"step": 1}])), "state.history"),
    ("manifest edited after saving", lambda d: edit_manifest(d, _set("state.seed", 7)), "does not hash"),
    ("array bytes changed", lambda d: rewrite_arrays(d, lambda a: a.__setitem__("param.lnf.b", a["param.lnf.b"] + 1),
                                                      rehash=False), "sha256 mismatch"),
    ("non-finite weight", lambda d: rewrite_arrays(d, _set_nan, rehash=True), "non-finite values in param.lnf.g"),
    ("missing parameter", lambda d: rewrite_arrays(d, lambda a: a.pop("param.lnf.b"), rehash=False),
     "arrays.npz lacks param.lnf.b"),
    ("parameter dropped from the manifest too", lambda d: edit_manifest(d, lambda m: m["params"].remove("lnf.b")),
     "parameters missing for this model: lnf.b"),
    ("extra parameter", lambda d: (rewrite_arrays(d, lambda a: a.__setitem__("param.extra.w", np.zeros(2, "f4")),
                                                  rehash=True),
                                   edit_manifest(d, lambda m: m["params"].append("extra.w"))),
     "parameters this model does not have: extra.w"),
    ("wrong dtype", lambda d: rewrite_arrays(d, lambda a: a.__setitem__("param.lnf.b", a["param.lnf.b"].astype("i4")),
                                             rehash=True), "float32 or float64"),
    ("wrong shape", lambda d: rewrite_arrays(d, lambda a: a.__setitem__("param.lnf.b", np.zeros(5, "f4")),
                                             rehash=True), "lnf.b has shape (5,)"),
    ("Adam moment missing", lambda d: rewrite_arrays(d, lambda a: a.pop("adam.v.tok.w"), rehash=True),
     "lists no entry for adam.v.tok.w"),
    ("pickled object array", _pickled, "unreadable"),
    ("pointer names nothing", lambda d: (d / POINTER).write_text("v00000001-0123456789abcdef\n"), "which is missing"),
    ("pointer garbage", lambda d: (d / POINTER).write_bytes(b"\xff" * 1000), "does not name a version"),
    ("pointer deleted", lambda d: (d / POINTER).unlink(), "no 'current' file"),
]


@pytest.mark.parametrize(("name", "corrupt", "words"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_each_corruption_is_named(ck: Path, name: str, corrupt: Callable[[Path], None], words: str) -> None:
    load_checkpoint(ck)  # valid before
    corrupt(ck)
    problems = problems_of(ck)
    assert any(words in p for p in problems), problems


@pytest.mark.parametrize(("name", "corrupt", "words"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_eval_on_a_corrupt_checkpoint_is_one_line_exit_2(ck: Path, capsys: pytest.CaptureFixture[str], name: str,
                                                         corrupt: Callable[[Path], None], words: str) -> None:
    corrupt(ck)
    assert main(["eval", "parity", "--checkpoint", str(ck), "--lengths", "4", "--count", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and words in err and len(err) < 800, err


def test_random_byte_damage_is_always_a_checkpoint_error(trained: Path, tmp_path: Path) -> None:
    # 300 seeded mutations (a flipped byte, a truncation, a run of zeros) of either file: never another exception
    rng = random.Random(7)
    for k in range(300):
        d = tmp_path / f"m{k}"
        shutil.copytree(trained, d)
        target = version(d) / rng.choice([MANIFEST, ARRAYS])
        raw = bytearray(target.read_bytes())
        at = rng.randrange(len(raw))
        kind = rng.choice(["flip", "truncate", "zeros"])
        if kind == "flip":
            raw[at] ^= 1 << rng.randrange(8)
        elif kind == "truncate":
            del raw[at:]
        else:
            raw[at:at + 16] = bytes(len(raw[at:at + 16]))
        if bytes(raw) == target.read_bytes():
            continue
        target.write_bytes(bytes(raw))
        with pytest.raises(CheckpointError):
            load_checkpoint(d)
        shutil.rmtree(d)


def test_every_problem_is_reported_at_once(ck: Path) -> None:
    def three(m: dict[str, Any]) -> None:
        m["model"]["vocab_size"] = 6
        m.pop("optimizer")
        m["state"]["seed"] = -3
    edit_manifest(ck, three)
    text = " | ".join(problems_of(ck))
    for words in ("vocab_size is 6", "manifest lacks ['optimizer']", "state.seed must be", "does not hash"):
        assert words in text, text


def test_valid_checkpoint_round_trips(trained: Path) -> None:
    ck = load_checkpoint(trained)
    assert ck.task == "parity" and ck.step == STEPS and ck.done and ck.state["seed"] == 1
    assert all(a.dtype == np.float32 and np.isfinite(a).all() for a in ck.params.values())
    assert set(ck.opt_arrays) == {f"adam.{m}.{n}" for n in ck.params for m in "mv"}
    assert sorted(p.name for p in trained.iterdir()) == [POINTER, version(trained).name]


def test_save_refuses_an_invalid_checkpoint(trained: Path, tmp_path: Path) -> None:
    good = load_checkpoint(trained)
    bad = Checkpoint(task=good.task, step=good.step, model=good.model, train=good.train,
                     params={**good.params, "lnf.g": np.full(4, np.inf, np.float32)}, opt_arrays=good.opt_arrays,
                     state=good.state)
    with pytest.raises(CheckpointError, match="refusing to save an invalid checkpoint.*non-finite"):
        save_checkpoint(tmp_path / "out", bad)
    assert not has_checkpoint(tmp_path / "out")


@pytest.mark.parametrize("fail_at", ["rename", "replace"])
def test_an_interrupted_save_leaves_the_old_checkpoint(trained: Path, tmp_path: Path, fail_at: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "ck"
    shutil.copytree(trained, d)
    live = version(d).name
    before = tree_bytes(d)
    old = load_checkpoint(d)
    newer = Checkpoint(task=old.task, step=old.step, model=old.model, train=old.train,
                       params={k: v * 0.5 for k, v in old.params.items()}, opt_arrays=old.opt_arrays, state=old.state)

    def boom(*args: Any) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, fail_at, boom)
    with pytest.raises(MachineError, match="No space left"):
        save_checkpoint(d, newer)
    monkeypatch.undo()
    # the pointer and the version it names are untouched (an orphan new version may remain until the next save)
    assert {k: v for k, v in tree_bytes(d).items() if k == POINTER or k.startswith(live)} == before
    assert all(np.array_equal(load_checkpoint(d).params[k], v) for k, v in old.params.items())
    save_checkpoint(d, newer)  # the next successful save clears the debris
    assert sorted(p.name for p in d.iterdir()) == [POINTER, version(d).name]
    assert np.array_equal(load_checkpoint(d).params["tok.w"], old.params["tok.w"] * 0.5)


def test_stale_files_are_removed_by_the_next_save(ck: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ck / ".ckpt.tmp-deadbeef").mkdir()
    (ck / ".ckpt.tmp-deadbeef" / ARRAYS).write_bytes(b"half")
    (ck / ".current.tmp-1234").write_text("v")
    (ck / "v00000003-0123456789abcdef").mkdir()
    (ck / "weights.npz").write_bytes(b"old format")
    (ck / ".weights.npz.abc.tmp").write_bytes(b"old temp")
    (ck / "notes.txt").write_text("the user's file stays")
    load_checkpoint(ck)  # loading only reads
    assert main(["train", "parity", "--seed", "1", "--steps", str(STEPS + 2), "--out", str(ck), "--resume",
                 "--json"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in ck.iterdir()) == [POINTER, "notes.txt", version(ck).name]


# -- the command line: --resume, --force, --out ----------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == (code != 0), err
    return code, err


def test_resume_refuses_another_task(ck: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_bytes(ck)
    code, err = run(capsys, "train", "parity-seven", "--seed", "1", "--out", str(ck), "--resume")
    assert code == 2 and "of task 'parity', not 'parity-seven'" in err
    assert tree_bytes(ck) == before  # nothing relabelled


def test_resume_refuses_other_seed_model_or_settings(ck: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "train", "parity", "--seed", "2", "--out", str(ck), "--resume")
    assert code == 2 and "trained with seed 1, not 2" in err
    code, err = run(capsys, "train", "parity", "--seed", "1", "--out", str(ck), "--resume", "--model", "d_model=8")
    assert code == 2 and "its model differs: d_model 4 (asked 8)" in err
    code, err = run(capsys, "train", "parity", "--seed", "1", "--steps", str(STEPS - 1), "--out", str(ck), "--resume")
    assert code == 2 and f"at update {STEPS}, beyond the total of {STEPS - 1}" in err


def test_resume_refuses_a_corrupt_checkpoint(ck: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rewrite_arrays(ck, _set_nan, rehash=True)
    before = tree_bytes(ck)
    code, err = run(capsys, "train", "parity", "--seed", "1", "--out", str(ck), "--resume")
    assert code == 2 and "non-finite" in err
    assert tree_bytes(ck) == before  # not re-saved as if valid


def test_resume_with_nothing_to_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    for d in (tmp_path / "empty", tmp_path / "absent"):
        code, err = run(capsys, "train", "parity", "--out", str(d), "--resume")
        assert code == 2 and "nothing to resume" in err
    assert not (tmp_path / "absent").exists() and not any((tmp_path / "empty").iterdir())


def test_out_is_never_overwritten_without_force(ck: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_bytes(ck)
    code, err = run(capsys, "train", "parity", "--seed", "3", "--steps", "2", "--out", str(ck))
    assert code == 2 and "already holds a training run" in err and "--force" in err
    assert tree_bytes(ck) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "x").write_text("x")
    code, err = run(capsys, "train", "parity", "--steps", "2", "--out", str(other))
    assert code == 2 and "is not empty" in err
    code, _ = run(capsys, "train", "parity", "--seed", "3", "--steps", "2", "--out", str(ck), "--force", "--json")
    assert code == 0
    new = load_checkpoint(ck)
    assert new.state["seed"] == 3 and new.step == 2 and sorted(p.name for p in ck.iterdir()) == [
        POINTER, version(ck).name]
    assert run(capsys, "train", "parity", "--out", str(ck), "--force", "--resume")[0] == 2


def test_out_empty_string_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for bad in ("", "  "):
        code, err = run(capsys, "train", "parity", "--steps", "2", "--out", bad)
        assert code == 2 and "--out" in err
    assert not any(tmp_path.iterdir())


def test_steps_is_the_total_and_resume_extends_a_finished_run(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    short, full = tmp_path / "short", tmp_path / "full"
    assert run(capsys, "train", "parity", "--seed", "4", "--steps", "13", "--out", str(short), "--json")[0] == 0
    assert load_checkpoint(short).step == 13
    # resuming a finished run at the same total changes nothing
    before = tree_bytes(short)
    assert run(capsys, "train", "parity", "--seed", "4", "--steps", "13", "--out", str(short), "--resume",
               "--json")[0] == 0
    assert tree_bytes(short) == before
    capsys.readouterr()
    assert main(["train", "parity", "--seed", "4", "--steps", "25", "--out", str(short), "--resume", "--json"]) == 0
    extended = json.loads(capsys.readouterr().out)
    assert main(["train", "parity", "--seed", "4", "--steps", "25", "--out", str(full), "--json"]) == 0
    uninterrupted = json.loads(capsys.readouterr().out)
    assert load_checkpoint(short).step == 25
    assert tree_bytes(short) == tree_bytes(full)  # weights, moments, sampler state, history: the same bytes
    assert {k: v for k, v in extended.items() if k != "out"} == {k: v for k, v in uninterrupted.items() if k != "out"}


# -- kill -9 at random moments ---------------------------------------------------------------------------------
KILL_STEPS = 40


@pytest.fixture
def fast_dir() -> Iterator[Path]:
    """A scratch directory in memory when the machine has one (fsync there is cheap; a kill -9 does not lose the
    page cache, so the kill test is the same test on any file system)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    d = Path(tempfile.mkdtemp(prefix="powergen-kill-", dir=base))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _train_cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "proofs_check", "train", "parity", "--seed", "5", "--steps", str(KILL_STEPS),
            "--checkpoint-every", "1", "--json", "--out", str(out), *extra]


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_is_byte_identical(fast_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ref = fast_dir / "ref"
    t0 = time.monotonic()
    proc = subprocess.Popen(_train_cmd(ref), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    while not (ref / POINTER).exists() and proc.poll() is None:
        time.sleep(0.005)
    first = time.monotonic() - t0
    assert proc.wait() == 0
    # the timings only spread the kills over the updates (start-up excluded); nothing is asserted about them
    span = time.monotonic() - t0
    reference = tree_bytes(ref)
    rng = random.Random(20261204)
    at_kill: list[int | None] = []
    mid_run: list[int] = []
    hi = span
    # until 10 kills have landed mid-run (at most 60 trials): the moments are drawn in [first, hi], and hi shrinks
    # whenever a kill comes after the run has finished (a loaded machine runs the trial slower than the reference),
    # so the number of kills that test a run mid-save does not depend on the machine's load
    for trial in range(60):
        if len(mid_run) >= 10:
            break
        d = fast_dir / f"trial{trial}"
        proc = subprocess.Popen(_train_cmd(d), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                cwd=ROOT)
        time.sleep(rng.uniform(first, hi))
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # whatever the moment, the directory holds no checkpoint yet, or one valid checkpoint (never a mix)
        if has_checkpoint(d):
            ck = load_checkpoint(d)
            assert 1 <= ck.step <= KILL_STEPS
            at_kill.append(ck.step)
            again = _train_cmd(d, "--resume")
        else:
            at_kill.append(None)
            again = _train_cmd(d, "--force")
        subprocess.run(again, check=True, capture_output=True, env=env, cwd=ROOT)
        assert tree_bytes(d) == reference, f"trial {trial}: killed at update {at_kill[-1]}"
        step = at_kill[-1]
        if step is not None and step < KILL_STEPS:
            mid_run.append(step)
        elif finished or step == KILL_STEPS:
            hi = first + 0.7 * (hi - first)
    assert len(mid_run) >= 10, at_kill  # enough kills landed while the run was saving every update
