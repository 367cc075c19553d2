"""From a task's oracle process to a trained predictor: verified transitions -> padded batches -> AdamW training.

A *task* (see :class:`TrainingTask`; the tasks live in :mod:`reductions.tasks`) supplies its oracle trajectories as
:class:`machines.predictor.Transition` tuples ``(x_k, y*, remask*, insert*, delete*, x_{k+1})``.
:func:`verify_transitions` checks every one with ``g`` (``apply_g(x_k, y*, controls*) == x_{k+1}``, else
:class:`~machines.errors.TransitionError`); :func:`make_batch` pads a batch (attention mask + loss mask, never MASK);
:func:`train` runs the updates, and resumes exactly from a checkpoint.

Determinism: the weights come from ``seed``, the batch indices from a second stream ``default_rng([seed, 1])``; its
state is saved in the checkpoint, so that a run resumed at update ``k`` draws the same batches as the uninterrupted
run, and the same seed gives byte-identical checkpoint files.  A checkpoint is one unit swapped in atomically
(:mod:`machines.neural.checkpoint`), so a run killed at any moment (``kill -9``) resumes to the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from machines.errors import CheckpointError, TransitionError
from machines.neural.checkpoint import Checkpoint, has_checkpoint, load_checkpoint, save_checkpoint
from machines.neural.config import ModelConfig, NeuralConfigError, TrainConfig
from machines.neural.layers import Params
from machines.neural.loss import Batch, LossResult, apmdm_loss
from machines.neural.model import Transformer
from machines.neural.optim import AdamW
from machines.predictor import Transition
from machines.transition import apply_g
from machines.vocab import Vocabulary

__all__ = ["TrainingTask", "TrainLog", "TrainResult", "verify_transitions", "make_batch", "train", "train_task",
           "MAX_PARAMS"]

MAX_PARAMS = 50_000_000  # refuse larger models before allocating them (``--max-params`` raises it)


class TrainingTask(Protocol):
    """What :func:`train` needs from a task: a name, a vocabulary, transitions and default configs."""

    name: str
    vocab: Vocabulary

    def transitions(self, *, seed: int) -> list[Transition]: ...

    def model_config(self) -> ModelConfig: ...

    def train_config(self) -> TrainConfig: ...


@dataclass(frozen=True, slots=True)
class TrainLog:
    """One logged update: its number, the loss, its parts and the accuracy of every head on that batch."""

    step: int
    loss: float
    parts: dict[str, float]
    accuracy: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "loss": self.loss, "parts": self.parts, "accuracy": self.accuracy}


@dataclass(frozen=True, slots=True)
class TrainResult:
    """The trained weights and everything a checkpoint records (``last``: the log of the final update)."""

    model: ModelConfig
    train: TrainConfig
    params: Params
    history: tuple[TrainLog, ...]
    n_params: int
    extra: dict[str, Any] = field(default_factory=dict)
    last: TrainLog | None = None
    step: int = 0


def verify_transitions(transitions: Sequence[Transition], *, mask_id: int) -> list[Transition]:
    """Check ``g(x_k, y*, controls*) == x_{k+1}`` for every transition; return them as a list.

    Examples
    --------
    >>> t = Transition(x=np.array([5, 0]), y=np.array([5, 7]), remask=np.zeros(2, int), insert=np.zeros(2, int),
    ...                delete=np.zeros(2, int), x_next=np.array([5, 7]))
    >>> len(verify_transitions([t], mask_id=0))
    1
    """
    out = []
    for k, t in enumerate(transitions):
        got = apply_g(t.x, t.y, t.remask, t.insert, t.delete, mask_id=mask_id)
        if not np.array_equal(got, np.asarray(t.x_next)):
            raise TransitionError(f"transition {k}: g(x_k, y*, controls*) = {got.tolist()} but x_(k+1) = "
                                  f"{np.asarray(t.x_next).tolist()}")
        out.append(t)
    return out


def make_batch(transitions: Sequence[Transition], index: np.ndarray) -> Batch:
    """Pad ``transitions[index]`` to the longest; padding is token 0 with ``valid = False`` (never MASK).

    Examples
    --------
    >>> t = Transition(x=np.array([3]), y=np.array([3]), remask=np.array([1]), insert=np.array([0]),
    ...                delete=np.array([0]), x_next=np.array([0]))
    >>> make_batch([t], np.array([0, 0])).ctrl.shape
    (2, 1, 3)
    """
    rows = [transitions[int(i)] for i in index]
    L = max(len(t.x) for t in rows)
    B = len(rows)
    x = np.zeros((B, L), dtype=np.int64)
    y = np.zeros((B, L), dtype=np.int64)
    ctrl = np.zeros((B, L, 3), dtype=np.int64)
    valid = np.zeros((B, L), dtype=bool)
    for b, t in enumerate(rows):
        n = len(t.x)
        x[b, :n], y[b, :n], valid[b, :n] = t.x, t.y, True
        ctrl[b, :n] = np.stack([t.remask, t.insert, t.delete], axis=1)
    return Batch(x=x, y=y, ctrl=ctrl, valid=valid)


def train_step(net: Transformer, params: Params, opt: AdamW, batch: Batch) -> LossResult:
    """Forward, loss, backward and one AdamW update (in place)."""
    out, cache = net.forward(params, batch.x, batch.valid)
    res = apmdm_loss(out, batch, mask_id=net.cfg.mask_id)
    grads = net.backward(params, res.d_token, res.d_ctrl, cache)
    opt.update(params, grads)
    return res


def train(
    transitions: Sequence[Transition],
    *,
    model: ModelConfig,
    train_cfg: TrainConfig,
    seed: int,
    task: str | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    checkpoint_every: int | None = None,
    stop_after: int | None = None,
    on_log: Callable[[TrainLog], None] | None = None,
    extra: dict[str, Any] | None = None,
    max_params: int = MAX_PARAMS,
) -> TrainResult:
    """Train a fresh model (or resume the checkpoint in ``out_dir``) on ``transitions``.

    ``train_cfg.steps`` is the **total** number of updates of the run.  With ``resume`` the run continues the
    checkpoint in ``out_dir`` up to that total: the checkpoint must exist and be valid, be of the same ``task``,
    model, seed and training settings (the total may differ), and be at most at that total; a larger total extends
    a finished run.  The result, the files included, is byte-identical to an uninterrupted run of that total,
    however often the run was stopped (the weights, the Adam moments and the state of the batch sampler are all
    in the checkpoint).  Without ``resume`` an ``out_dir`` that exists and is not empty is refused unless
    ``force`` (the old checkpoint stays valid until the first save of the new run replaces it).

    ``task`` names the task in the checkpoint (default: ``extra["task"]``, else ``"unnamed"``); ``stop_after`` ends
    the run early after that many updates (used to test resuming); ``extra`` is returned in the result.  A model
    with more than ``max_params`` parameters is refused before anything is allocated.

    Notes
    -----
    ``O(steps * batch * L * (d^2 + L * d))`` float32 work, plus one checkpoint every ``checkpoint_every``
    updates and at the end.  Serves the learned AP-MDM experiments.
    """
    name = task or str((extra or {}).get("task") or "unnamed")
    net = Transformer(model)
    if net.param_count() > max_params:
        raise NeuralConfigError(f"the model has {net.param_count():,} parameters, above the limit of {max_params:,} "
                                f"(max_params; --max-params on the command line)")
    data = verify_transitions(transitions, mask_id=model.mask_id)
    if not data:
        raise TransitionError("no transitions to train on")
    opt = AdamW(train_cfg)
    batch_rng = np.random.default_rng([seed, 1])
    history: list[TrainLog] = []
    last: TrainLog | None = None
    if resume:
        ck = _resumable(out_dir, task=name, model=model, train_cfg=train_cfg, seed=seed)
        params = {k: v.copy() for k, v in ck.params.items()}
        opt.load_arrays(ck.step, ck.opt_arrays)
        batch_rng.bit_generator.state = ck.state["batch_rng"]
        history = [TrainLog(**h) for h in ck.state["history"]]
        last = TrainLog(**ck.state["last"]) if ck.state["last"] is not None else None
    else:
        if out_dir is not None:
            _check_fresh(out_dir, force=force)
        params = net.init(np.random.default_rng(seed), np.float32)
    stop = min(train_cfg.steps, stop_after) if stop_after is not None else train_cfg.steps

    def save() -> None:
        if out_dir is None:
            return
        state = {"seed": seed, "batch_rng": batch_rng.bit_generator.state, "history": [h.to_json() for h in history],
                 "last": None if last is None else last.to_json()}
        save_checkpoint(out_dir, Checkpoint(task=name, step=opt.t, model=model, train=train_cfg, params=params,
                                            opt_arrays=opt.state_arrays(), state=state))

    while opt.t < stop:
        index = batch_rng.integers(0, len(data), size=train_cfg.batch_size)
        res = train_step(net, params, opt, make_batch(data, index))
        last = TrainLog(step=opt.t, loss=round(res.loss, 6), parts={k: round(v, 6) for k, v in res.parts.items()},
                        accuracy={k: round(v, 6) for k, v in res.accuracy.items()})
        if opt.t % train_cfg.log_every == 0:
            history.append(last)
        if on_log is not None and (opt.t % train_cfg.log_every == 0 or opt.t == train_cfg.steps):
            on_log(last)
        if checkpoint_every and opt.t % checkpoint_every == 0:
            save()
    save()
    return TrainResult(model=model, train=train_cfg, params=params, history=tuple(history),
                       n_params=net.n_params(params), extra=dict(extra or {}), last=last, step=opt.t)


def _resumable(out_dir: str | Path | None, *, task: str, model: ModelConfig, train_cfg: TrainConfig,
               seed: int) -> Checkpoint:
    """The checkpoint in ``out_dir``, checked to be one that this run may continue (every problem at once)."""
    if out_dir is None or str(out_dir) == "":
        raise CheckpointError(directory=repr(out_dir), problems=["--resume needs the directory of a run"])
    d = Path(out_dir)
    if not d.is_dir() or not any(d.iterdir()):
        why = "the directory is empty" if d.is_dir() else "no such directory"
        raise CheckpointError(directory=str(d), problems=[f"nothing to resume ({why}); train without --resume"])
    ck = load_checkpoint(d)
    problems = []
    if ck.task != task:
        problems.append(f"it holds a checkpoint of task {ck.task!r}, not {task!r}")
    if ck.state["seed"] != seed:
        problems.append(f"it was trained with seed {ck.state['seed']}, not {seed}")
    if ck.model != model:
        diff = [f"{k} {v!r} (asked {model.to_json()[k]!r})" for k, v in ck.model.to_json().items()
                if model.to_json()[k] != v]
        problems.append("its model differs: " + ", ".join(diff))
    if replace(ck.train, steps=train_cfg.steps) != train_cfg:
        diff = [f"{k} {v!r} (asked {train_cfg.to_json()[k]!r})" for k, v in ck.train.to_json().items()
                if k != "steps" and train_cfg.to_json()[k] != v]
        problems.append("its training settings differ: " + ", ".join(diff))
    if ck.step > train_cfg.steps:
        problems.append(f"it is at update {ck.step}, beyond the total of {train_cfg.steps} asked (--steps is the "
                        f"total number of updates, not the number still to do)")
    if problems:
        raise CheckpointError(directory=str(d), problems=problems)
    return ck


def _check_fresh(out_dir: str | Path, *, force: bool) -> None:
    """Refuse to start a new run in ``out_dir`` when it is a file, or holds anything, unless ``force``."""
    if str(out_dir) == "":
        raise CheckpointError(directory="''", problems=["the output directory is the empty string; name one"])
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise CheckpointError(directory=str(d), problems=["exists and is not a directory"])
    if force or not d.is_dir() or not any(d.iterdir()):
        return
    what = "already holds a training run" if has_checkpoint(d) else "is not empty"
    raise CheckpointError(directory=str(d), problems=[f"{what}; pass --force to overwrite it, or --resume to "
                                                      f"continue it"])


def train_task(task: TrainingTask, *, seed: int, model: ModelConfig | None = None, steps: int | None = None,
               out_dir: str | Path | None = None, resume: bool = False, force: bool = False,
               checkpoint_every: int | None = None,
               on_log: Callable[[TrainLog], None] | None = None, max_params: int = MAX_PARAMS,
               transitions: Sequence[Transition] | None = None) -> TrainResult:
    """Train ``task`` on its transitions for ``seed`` with its settings (``model`` replaces its model, ``steps`` its
    number of updates; ``transitions`` passes ``task.transitions(seed=seed)`` when the caller already has them);
    the checkpoint records the task name.  This is what ``powergen train`` and
    ``powergen seeds`` run, so seed ``S`` of a seed study is the model ``powergen train TASK --seed S`` writes.

    Examples
    --------
    >>> from reductions.tasks.parity import ParityTask
    >>> res = train_task(ParityTask(), seed=0, steps=3)
    >>> res.n_params, res.train.steps, res.extra
    (204, 3, {'task': 'parity'})
    """
    tcfg = task.train_config() if steps is None else replace(task.train_config(), steps=steps)
    data = task.transitions(seed=seed) if transitions is None else transitions
    return train(data, model=model or task.model_config(), train_cfg=tcfg, seed=seed, task=task.name,
                 out_dir=out_dir, resume=resume, force=force, checkpoint_every=checkpoint_every, on_log=on_log,
                 extra={"task": task.name}, max_params=max_params)
