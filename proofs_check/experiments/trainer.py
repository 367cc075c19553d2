"""A CPU-budgeted, resumable training loop for any of the three objectives, with single-threaded BLAS.

:func:`train_run` draws a batch with ``sampler(rng)`` -- ``(x, valid, loss_fn)``, where ``loss_fn(outputs)`` is one
of the objectives of :mod:`machines.neural.objectives` bound to the batch -- and takes an AdamW step, until
``train.steps`` updates or ``budget_cpu_seconds`` of *training* CPU time (evaluation excluded; summed over resumed
sessions) are used.  The learning rate warms up linearly over ``train.warmup`` updates, then follows a cosine from
``train.lr`` down to ``lr_floor * train.lr`` at ``train.steps`` (the project's choice [I]; the official configs keep
it constant).

**Checkpoints are one file.**  ``<run>/checkpoint.npz`` holds the parameters, the AdamW moments and the run state
(update count, the batch generator's state, CPU seconds used, the loss history, the evaluations) as one archive
written to a temporary file and renamed over the old one (:func:`os.replace`), every ``checkpoint_every_cpu_seconds``
and at the end.  A run killed at any point resumes from its last checkpoint and continues exactly as it would have
(same batches, same updates).  ``<run>/state.json`` is a readable copy of the state; ``<run>/train.log`` gets one
line per log.

**Interrupts save.**  While :func:`train_run` trains, SIGINT (Ctrl-C) and SIGTERM (``kill``) finish the update in
progress, write the checkpoint and raise :class:`TrainingInterrupted` (a :class:`KeyboardInterrupt`: the CLI prints
one line and exits 130); nothing of the run is lost, and the same command resumes it.  A second signal before the
checkpoint is written stops at once, as without the handler (then the run resumes from its previous checkpoint).
A probe (``evaluate``) in progress is finished first, so the first signal may take a probe's time to act.  A
signal the process ignores (``SIG_IGN``, as a non-interactive shell sets SIGINT for a job started with ``&``) stays
ignored, and outside the main thread no handler is set (Python allows none there): the project's choices [I].

**BLAS threads.**  :func:`single_thread_blas` limits OpenBLAS/MKL to one thread (threadpoolctl) around training and
evaluation: on this 2-core shared machine a second BLAS thread makes the small products of a ~1M-parameter model
slower, not faster (docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from machines.io import atomic_write_bytes
from machines.neural.config import ModelConfig, TrainConfig
from machines.neural.layers import Params
from machines.neural.loss import LossResult
from machines.neural.model import Outputs, Transformer
from machines.neural.optim import AdamW
from proofs_check.errors import CheckError

__all__ = ["RunError", "RunState", "Sampler", "TrainingInterrupted", "load_run", "logged_runs", "lr_schedule",
           "read_log", "single_thread_blas", "train_run"]

Sampler = Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray, Callable[[Outputs], LossResult]]]
CHECKPOINT = "checkpoint.npz"
RUN_SCHEMA = "powergen.run/1"


class RunError(CheckError, ValueError):
    """A run directory holds a checkpoint of another model, training config, seed or data."""


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped :func:`train_run` after it saved the run's checkpoint (the message says where)."""


@contextlib.contextmanager
def _save_on_signal(pending: list[int]) -> Iterator[None]:
    """Turn the first SIGINT/SIGTERM into a request (``pending`` gets the signal number) that the training loop
    honours after the update in progress; the handlers are restored on exit, and a second signal acts at once."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():  # handlers can only be set in the main thread
        yield
        return
    # A signal the process ignores (SIG_IGN: e.g. SIGINT of a job started with ``&`` by a non-interactive shell,
    # so that Ctrl-C in that shell spares it) stays ignored; one whose handler was not set from Python (getsignal
    # gives None) cannot be restored, so it is left alone too.
    old = {n: h for n in ("SIGINT", "SIGTERM")
           if (h := signal.getsignal(getattr(signal, n))) is not None and h != signal.SIG_IGN}
    names = tuple(old)

    def request(signum: int, frame: Any) -> None:
        pending.append(signum)
        for n in names:  # a second signal: the previous behaviour, at once
            signal.signal(getattr(signal, n), old[n])

    for n in names:
        signal.signal(getattr(signal, n), request)
    try:
        yield
    finally:
        for n in names:
            signal.signal(getattr(signal, n), old[n])


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """Limit the BLAS thread pools to one thread inside the ``with`` block (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def lr_schedule(cfg: TrainConfig, step: int, *, lr_floor: float = 0.1) -> float:
    """Learning rate of (1-based) update ``step``: linear warm-up, then cosine decay to ``lr_floor * lr``.

    Examples
    --------
    >>> cfg = TrainConfig(lr=1.0, warmup=2, steps=12)
    >>> [round(lr_schedule(cfg, s), 3) for s in (1, 2, 7, 12)]
    [0.5, 1.0, 0.55, 0.1]
    """
    if cfg.warmup and step < cfg.warmup:
        return cfg.lr * step / cfg.warmup
    span = max(cfg.steps - cfg.warmup, 1)
    frac = min(max(step - cfg.warmup, 0) / span, 1.0)
    return cfg.lr * (lr_floor + (1.0 - lr_floor) * 0.5 * (1.0 + math.cos(math.pi * frac)))


@dataclass
class RunState:
    """What a run directory records: configs, weights, optimiser, progress, history and evaluations."""

    model: ModelConfig
    train: TrainConfig
    seed: int
    data: str
    params: Params
    opt: AdamW
    batch_rng: np.random.Generator
    cpu_train: float = 0.0
    cpu_eval: float = 0.0
    history: list[dict[str, Any]] | None = None
    evals: list[dict[str, Any]] | None = None
    stopped: str = ""

    @property
    def step(self) -> int:
        return self.opt.t

    def meta(self) -> dict[str, Any]:
        return {"schema": RUN_SCHEMA, "model": self.model.to_json(), "train": self.train.to_json(), "seed": self.seed,
                "data": self.data, "step": self.opt.t, "cpu_train": round(self.cpu_train, 3),
                "cpu_eval": round(self.cpu_eval, 3), "batch_rng": self.batch_rng.bit_generator.state,
                "n_params": Transformer.n_params(self.params), "stopped": self.stopped,
                "history": self.history or [], "evals": self.evals or []}


def _save(run_dir: Path, st: RunState) -> None:
    meta = json.dumps(st.meta(), indent=1, allow_nan=False)
    arrays = {f"param.{k}": v for k, v in st.params.items()} | st.opt.state_arrays()
    arrays["meta.json"] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    run_dir.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    # each file through a fsynced temporary file and a rename; a full disk or a second Ctrl-C leaves no stray
    # temporary file in the run (machines.io)
    atomic_write_bytes(run_dir / CHECKPOINT, buf.getvalue())
    atomic_write_bytes(run_dir / "state.json", (meta + "\n").encode("utf-8"))


def load_run(run_dir: str | os.PathLike[str]) -> RunState:
    """Read ``<run_dir>/checkpoint.npz`` (raises :class:`RunError` if missing or unreadable)."""
    path = Path(run_dir) / CHECKPOINT
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise RunError(f"cannot read the checkpoint {path}: {exc}") from None
    meta = json.loads(arrays.pop("meta.json").tobytes().decode("utf-8"))
    train = TrainConfig.from_json(meta["train"])
    opt = AdamW(train)
    opt.load_arrays(int(meta["step"]), {k: v for k, v in arrays.items() if k.startswith("adam.")})
    rng = np.random.default_rng()
    rng.bit_generator.state = meta["batch_rng"]
    params = {k.removeprefix("param."): v for k, v in arrays.items() if k.startswith("param.")}
    return RunState(model=ModelConfig.from_json(meta["model"]), train=train, seed=int(meta["seed"]),
                    data=str(meta["data"]), params=params, opt=opt, batch_rng=rng,
                    cpu_train=float(meta["cpu_train"]), cpu_eval=float(meta["cpu_eval"]), history=meta["history"],
                    evals=meta["evals"], stopped=str(meta.get("stopped", "")))


def train_run(sampler: Sampler, *, model: ModelConfig, train: TrainConfig, seed: int, data: str,
              run_dir: str | os.PathLike[str], budget_cpu_seconds: float | None = None,
              checkpoint_every_cpu_seconds: float = 180.0, lr_floor: float = 0.1,
              evaluate: Callable[[Params, int], dict[str, Any]] | None = None, eval_every: int | None = None,
              on_log: Callable[[dict[str, Any]], None] | None = None, stop_after: int | None = None) -> RunState:
    """Train (or resume the run in ``run_dir``) until ``train.steps`` updates or the CPU budget; see the module
    docstring.  ``data`` names the training data (e.g. a store's content hash): resuming on other data, another
    model, training config or seed raises :class:`RunError`.  ``evaluate(params, step)`` runs every ``eval_every``
    updates and at the end (its CPU time is kept apart from the budget).  ``stop_after`` stops after that many
    updates in this call (tests of resuming).

    Notes
    -----
    ``O(steps * batch * L * (d^2 + L * d))`` float32 work.  Serves every learned experiment.
    """
    run = Path(run_dir)
    net = Transformer(model)
    if (run / CHECKPOINT).is_file():
        st = load_run(run)
        diffs = [n for n, a, b in (("model", st.model, model), ("train", st.train, train), ("seed", st.seed, seed),
                                   ("data", st.data, data)) if a != b]
        if diffs:
            raise RunError(f"{run} holds a run with another {', '.join(diffs)}: choose another directory")
    else:
        st = RunState(model=model, train=train, seed=seed, data=data, params=net.init(np.random.default_rng(seed)),
                      opt=AdamW(train), batch_rng=np.random.default_rng([seed, 1]), history=[], evals=[])
    history, evals = st.history if st.history is not None else [], st.evals if st.evals is not None else []
    st.history, st.evals = history, evals
    log_path = run / "train.log"
    run.mkdir(parents=True, exist_ok=True)

    def log_line(text: str) -> None:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")

    def run_eval() -> None:
        if evaluate is None:
            return
        c0 = time.process_time()
        res = evaluate(st.params, st.step)
        st.cpu_eval += time.process_time() - c0
        entry = {"step": st.step, "cpu_train": round(st.cpu_train, 1)} | res
        evals.append(entry)
        log_line("eval " + json.dumps(entry, sort_keys=True))

    log_line(f"session start: step {st.step}, cpu_train {st.cpu_train:.1f}s, pid {os.getpid()}")
    done_here = 0
    last_ckpt = st.cpu_train
    pending: list[int] = []
    with single_thread_blas(), _save_on_signal(pending):
        while st.step < train.steps:
            if pending:
                st.stopped = "interrupted"
                break
            if budget_cpu_seconds is not None and st.cpu_train >= budget_cpu_seconds:
                st.stopped = "budget"
                break
            if stop_after is not None and done_here >= stop_after:
                st.stopped = "stop_after"
                break
            c0 = time.process_time()
            x, valid, loss_fn = sampler(st.batch_rng)
            out, cache = net.forward(st.params, x, valid)
            res = loss_fn(out)
            grads = net.backward(st.params, res.d_token, res.d_ctrl, cache)
            st.opt.cfg = replace(train, lr=lr_schedule(train, st.step + 1, lr_floor=lr_floor), warmup=0)
            st.opt.update(st.params, grads)
            st.cpu_train += time.process_time() - c0
            done_here += 1
            if st.step % train.log_every == 0 or st.step == train.steps:
                entry = {"step": st.step, "cpu": round(st.cpu_train, 1), "loss": round(res.loss, 5),
                         "parts": {k: round(v, 5) for k, v in res.parts.items()},
                         "acc": {k: round(v, 5) for k, v in res.accuracy.items()}}
                history.append(entry)
                log_line(json.dumps(entry, sort_keys=True))
                if on_log is not None:
                    on_log(entry)
            if eval_every and st.step % eval_every == 0:
                run_eval()
            if st.cpu_train - last_ckpt >= checkpoint_every_cpu_seconds:
                _save(run, st)
                last_ckpt = st.cpu_train
        else:
            st.stopped = "steps"
        if st.stopped not in ("stop_after", "interrupted") and (not evals or evals[-1]["step"] != st.step):
            run_eval()
        st.opt.cfg = train
        _save(run, st)  # still under the handlers: a signal now waits for the checkpoint
    log_line(f"session end: step {st.step}, cpu_train {st.cpu_train:.1f}s, stopped by {st.stopped}")
    if pending:  # during the updates, or during the last probe (the run is complete and saved then)
        raise TrainingInterrupted(f"checkpoint saved at update {st.step} in {run}; the same command resumes the run")
    return st


def read_log(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(update logs, probe logs)`` of a run's ``train.log`` (one JSON object per logged update, one ``eval {...}``
    line per probe; ``session start/end`` lines and malformed lines, including update logs without a numeric
    ``loss``, are skipped; when a resumed run logged a step twice, the later entry is kept).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "train.log"
    >>> _ = p.write_text('session start: step 0\\n{"step": 50, "loss": 1.5}\\neval {"step": 50, "x": 1}\\n')
    >>> read_log(p)
    ([{'step': 50, 'loss': 1.5}], [{'step': 50, 'x': 1}])
    """
    logs: list[dict[str, Any]] = []
    evals: list[dict[str, Any]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        text, bucket = (line[5:], evals) if line.startswith("eval ") else (line, logs)
        if not text.startswith("{"):
            continue
        try:
            obj = json.loads(text)
        except ValueError:
            continue
        if not (isinstance(obj, dict) and isinstance(obj.get("step"), int)):
            continue
        if bucket is logs and not isinstance(obj.get("loss"), (int, float)):
            continue  # an update log without a numeric loss is malformed
        bucket.append(obj)
    # a resumed run repeats the updates after its last checkpoint: keep the last entry of each step, in step order
    return ([e for _, e in sorted({e["step"]: e for e in logs}.items())],
            [e for _, e in sorted({e["step"]: e for e in evals}.items())])


def logged_runs(runs: dict[str, Any], out_dir: str | os.PathLike[str]) -> tuple[dict[str, Path], Path]:
    """The run directories of ``runs`` (key -> directory) that hold a ``train.log``, and ``out_dir`` created, for the
    experiments' plots; :class:`~proofs_check.errors.UsageError` when none has a log."""
    from proofs_check.errors import UsageError

    found = {k: Path(d) for k, d in runs.items() if (Path(d) / "train.log").is_file()}
    if not found:
        raise UsageError(f"no train.log in {', '.join(map(str, runs.values()))}: nothing to plot")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return found, out
