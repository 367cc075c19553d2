"""The CPU-budgeted trainer: a resumed run equals the uninterrupted one, a run directory refuses other settings, the
AP-MDM sampler learns a tiny store, BLAS is single-threaded inside (proofs_check/experiments/trainer.py)."""

from __future__ import annotations

import numpy as np
import pytest

from machines.neural.config import ModelConfig, TrainConfig
from proofs_check.experiments.maxflow import MaxflowSource, store_sampler
from proofs_check.experiments.store import build_store
from proofs_check.experiments.trainer import (
    RunError,
    TrainingInterrupted,
    load_run,
    lr_schedule,
    single_thread_blas,
    train_run,
)
from reductions.tasks.maxflow import FLOW_VOCAB, M

CFG = ModelConfig(vocab_size=FLOW_VOCAB.size, mask_id=M, d_model=16, n_heads=2, n_layers=1)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(MaxflowSource(sizes=(4,)), seed=0, count=3, root=tmp_path_factory.mktemp("st"))


def test_a_resumed_run_equals_the_uninterrupted_run(store, tmp_path):
    tc = TrainConfig(steps=8, batch_size=4, lr=3e-3, warmup=2, log_every=2)
    kw = dict(model=CFG, train=tc, seed=1, data=store.content_sha256)
    whole = train_run(store_sampler(store, 4), run_dir=tmp_path / "whole", **kw)
    part = train_run(store_sampler(store, 4), run_dir=tmp_path / "part", stop_after=3, **kw)
    assert part.step == 3 and part.stopped == "stop_after"
    resumed = train_run(store_sampler(store, 4), run_dir=tmp_path / "part", **kw)
    assert resumed.step == whole.step == 8
    for k in whole.params:
        assert np.array_equal(whole.params[k], resumed.params[k]), k
    assert [h["loss"] for h in whole.history or []] == [h["loss"] for h in resumed.history or []]
    back = load_run(tmp_path / "part")
    assert back.step == 8 and all(np.array_equal(back.params[k], whole.params[k]) for k in whole.params)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_signal_saves_the_run_and_the_same_call_resumes_it_exactly(store, tmp_path, signame):
    """SIGTERM / SIGINT during training (sent to this process after update 4): the update in progress finishes, the
    checkpoint is written, TrainingInterrupted is raised; resuming gives the uninterrupted run's weights bit for bit,
    and the signal handlers are the old ones again afterwards."""
    import os
    import signal

    sig = getattr(signal, signame)
    tc = TrainConfig(steps=8, batch_size=4, lr=3e-3, warmup=2, log_every=1)
    kw = dict(model=CFG, train=tc, seed=1, data=store.content_sha256)
    whole = train_run(store_sampler(store, 4), run_dir=tmp_path / "whole", **kw)
    before = signal.getsignal(sig)

    def kill_at_4(entry):
        if entry["step"] == 4:
            os.kill(os.getpid(), sig)

    with pytest.raises(TrainingInterrupted, match="checkpoint saved at update 4"):
        train_run(store_sampler(store, 4), run_dir=tmp_path / "part", on_log=kill_at_4, **kw)
    assert signal.getsignal(sig) is before
    saved = load_run(tmp_path / "part")
    assert saved.step == 4 and saved.stopped == "interrupted"
    resumed = train_run(store_sampler(store, 4), run_dir=tmp_path / "part", **kw)
    assert resumed.step == 8
    for k in whole.params:
        assert np.array_equal(whole.params[k], resumed.params[k]), k


def _kill_at(step, *sigs):
    import os

    def on_log(entry):
        if entry["step"] == step:
            for sig in sigs:
                os.kill(os.getpid(), sig)
    return on_log


def test_an_ignored_sigint_stays_ignored(store, tmp_path):
    """A process that ignores SIGINT (a job started with '&' by a script) is not stopped by one: the run goes on to
    its last update and returns, and SIGINT is still ignored afterwards."""
    import signal

    tc = TrainConfig(steps=6, batch_size=4, log_every=1)
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        st = train_run(store_sampler(store, 4), model=CFG, train=tc, seed=1, data=store.content_sha256,
                       run_dir=tmp_path, on_log=_kill_at(3, signal.SIGINT))
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
    assert st.step == 6 and st.stopped == "steps"


def test_a_handler_not_set_from_python_is_left_alone(store, tmp_path, monkeypatch):
    """signal.getsignal gives None for a handler installed outside Python; it cannot be restored, so the trainer
    must not replace it (and must still train and honour SIGINT)."""
    import signal

    real_get, real_term = signal.getsignal, signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(signal, "getsignal", lambda s: None if s == signal.SIGTERM else real_get(s))
    tc = TrainConfig(steps=6, batch_size=4, log_every=1)
    try:
        with pytest.raises(TrainingInterrupted, match="update 3"):
            train_run(store_sampler(store, 4), model=CFG, train=tc, seed=1, data=store.content_sha256,
                      run_dir=tmp_path, on_log=_kill_at(3, signal.SIGINT))
        assert real_get(signal.SIGTERM) is real_term
    finally:
        signal.signal(signal.SIGTERM, real_term)


def test_a_second_signal_stops_at_once_and_leaves_the_previous_checkpoint(store, tmp_path):
    """Two SIGINTs: the second acts as Ctrl-C without the handler (a plain KeyboardInterrupt, here inside the
    logging callback of update 3), so nothing is saved by this call; the run directory keeps the checkpoint of the
    earlier call and no stray temporary file."""
    import signal

    tc = TrainConfig(steps=6, batch_size=4, log_every=1)
    kw = dict(model=CFG, train=tc, seed=1, data=store.content_sha256, run_dir=tmp_path)
    train_run(store_sampler(store, 4), stop_after=2, **kw)
    with pytest.raises(KeyboardInterrupt) as info:
        train_run(store_sampler(store, 4), on_log=_kill_at(3, signal.SIGINT, signal.SIGINT), **kw)
    assert not isinstance(info.value, TrainingInterrupted)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert load_run(tmp_path).step == 2
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_interrupted_save_leaves_no_temporary_file(store, tmp_path, monkeypatch):
    """A Ctrl-C (or a full disk) while the checkpoint is written: the exception propagates, the previous
    checkpoint stays, and no ``.checkpoint.npz.*`` file is left behind."""
    import os

    tc = TrainConfig(steps=4, batch_size=4, log_every=1)
    kw = dict(model=CFG, train=tc, seed=1, data=store.content_sha256, run_dir=tmp_path)
    train_run(store_sampler(store, 4), stop_after=2, **kw)

    def fsync(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(KeyboardInterrupt):
        train_run(store_sampler(store, 4), **kw)
    monkeypatch.undo()
    assert load_run(tmp_path).step == 2
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_signal_during_the_final_probe_keeps_the_finished_run(store, tmp_path):
    """SIGTERM while the last probe runs: the probe and the final save complete (the run is finished), then
    TrainingInterrupted; the same call again trains nothing and does not probe again."""
    import os
    import signal

    tc = TrainConfig(steps=4, batch_size=4, log_every=1)
    kw = dict(model=CFG, train=tc, seed=1, data=store.content_sha256, run_dir=tmp_path)
    probes = []

    def probe(params, step):
        probes.append(step)
        os.kill(os.getpid(), signal.SIGTERM)
        return {"probe": len(probes)}

    with pytest.raises(TrainingInterrupted, match="update 4"):
        train_run(store_sampler(store, 4), evaluate=probe, **kw)
    saved = load_run(tmp_path)
    assert saved.step == 4 and saved.stopped == "steps" and [e["step"] for e in saved.evals or []] == [4]
    again = train_run(store_sampler(store, 4), evaluate=probe, **kw)
    assert again.step == 4 and probes == [4]


def test_train_run_in_another_thread_sets_no_handler_and_trains(store, tmp_path):
    """Outside the main thread Python allows no signal handler: the run trains without one (no ValueError)."""
    import signal
    import threading

    tc = TrainConfig(steps=3, batch_size=4, log_every=1)
    seen, got = [], []

    def on_log(entry):
        seen.append(signal.getsignal(signal.SIGTERM))

    t = threading.Thread(target=lambda: got.append(train_run(
        store_sampler(store, 4), model=CFG, train=tc, seed=1, data=store.content_sha256, run_dir=tmp_path,
        on_log=on_log)))
    t.start()
    t.join()
    assert [st.step for st in got] == [3] and seen == [signal.getsignal(signal.SIGTERM)] * 3


def test_a_run_directory_refuses_other_settings(store, tmp_path):
    tc = TrainConfig(steps=2, batch_size=2, log_every=1)
    train_run(store_sampler(store, 2), model=CFG, train=tc, seed=0, data=store.content_sha256, run_dir=tmp_path)
    with pytest.raises(RunError, match="another seed"):
        train_run(store_sampler(store, 2), model=CFG, train=tc, seed=5, data=store.content_sha256, run_dir=tmp_path)
    with pytest.raises(RunError, match="another data"):
        train_run(store_sampler(store, 2), model=CFG, train=tc, seed=0, data="other", run_dir=tmp_path)


def test_training_lowers_the_apmdm_loss_on_a_tiny_store(store, tmp_path):
    tc = TrainConfig(steps=60, batch_size=8, lr=1e-2, warmup=5, log_every=5)
    st = train_run(store_sampler(store, 8), model=CFG, train=tc, seed=0, data=store.content_sha256, run_dir=tmp_path)
    hist = st.history or []
    assert hist[-1]["loss"] < 0.5 * hist[0]["loss"]


def test_cpu_budget_stops_the_run(store, tmp_path):
    tc = TrainConfig(steps=10_000, batch_size=2, log_every=1)
    st = train_run(store_sampler(store, 2), model=CFG, train=tc, seed=0, data=store.content_sha256, run_dir=tmp_path,
                   budget_cpu_seconds=0.2)
    assert st.stopped == "budget" and 0 < st.step < 10_000 and st.cpu_train >= 0.2


def test_lr_schedule_and_single_thread_blas():
    tc = TrainConfig(lr=1.0, warmup=10, steps=110)
    assert lr_schedule(tc, 5) == 0.5 and lr_schedule(tc, 10) == 1.0
    assert lr_schedule(tc, 60) == pytest.approx(0.55) and lr_schedule(tc, 110) == pytest.approx(0.1)
    from threadpoolctl import threadpool_info

    with single_thread_blas():
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
