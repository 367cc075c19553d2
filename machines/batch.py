"""Many AP-MDM runs in lock step: one discipline check and one ``g`` per step for all running instances.

:func:`run_many` gives, for every start sequence, exactly what ``machine.run(x0, seed=seed)`` gives (the same
final sequence, halt reason and counters, per step) or the :class:`~machines.errors.MachineError` that call would
raise.  It exists because a run of short sequences pays mostly for the fixed cost of a step (some forty numpy calls
on small arrays); advancing the running instances together pays that cost once per step for all of them.

Why one check and one ``g`` on the concatenation are exact.  Every rule of the AP-MDM discipline
(:func:`machines.discipline.advance`) is a rule about one position (a control bit is 0 or 1, a token written at an
unmasked position is a non-MASK vocabulary id, a claimed unmask bit equals the one ``g`` uses), and ``g`` maps each
position to zero, one or two output tokens on its own (Algorithm 1), so ``g`` of a concatenation is the
concatenation of the ``g`` s.  What is not per position is done per instance: the predictor call, the array shapes,
the length cap, the per-step counts (segment sums of the same bit vectors the check uses, cross-checked against the
check's totals), the fixed-point test (the machine's ``array_equal``, on the instance's own slice), the step cap
and EOS halting.  Whenever the joint check fails, or a
prediction does not fit the joint layout, the instances of that step go through
:func:`~machines.discipline.advance` one by one, so an error names the instance's own step and position and is
the error its own run would raise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

import numpy as np

from machines.discipline import advance
from machines.errors import LimitExceeded, MachineConfigError, MachineError
from machines.paradigms import APMDM
from machines.predictor import Prediction
from machines.records import RunResult, StepCounts, Tally
from pram.rng import SeedLike, as_generator

__all__ = ["run_many"]

_CONTROLS = ("unmask", "remask", "insert", "delete")

T = TypeVar("T")


class _Run:
    """The state of one run inside :func:`run_many` (its sequence, generator, step number and tally)."""

    __slots__ = ("x", "rng", "t", "tally")

    def __init__(self, x: np.ndarray, rng: np.random.Generator) -> None:
        self.x, self.rng, self.t = x, rng, 0
        self.tally = Tally(int(x.shape[0]))


def run_many(machine: APMDM, starts: Sequence[np.ndarray | list[int]], *, seeds: Sequence[SeedLike],
             on_done: Callable[[int], None] | None = None) -> list[RunResult | MachineError]:
    """Run ``machine`` from every start sequence; item ``k`` is what ``machine.run(starts[k], seed=seeds[k])``
    returns, or the :class:`~machines.errors.MachineError` it raises.

    Any other exception (from the predictor, say) is raised after the batch, that of the lowest instance, as a
    sequential loop over the instances would raise it.  ``on_done(k)`` is called when instance ``k`` ends.

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> v = simple_vocabulary(["a"])  # MASK 0, 'a' 1
    >>> def grow(x, rng):  # double the masks until there are 4, then unmask them all
    ...     n = len(x); return Prediction(y=np.full(n, 1), remask=np.full(n, n < 4), insert=np.full(n, n < 4))
    >>> m = APMDM(vocab=v, predictor=grow)
    >>> [(r.final.tolist(), r.halt_reason, r.counters.steps) for r in run_many(m, [[0], [0, 0]], seeds=[0, 1])]
    [([1, 1, 1, 1], 'fixed-point', 3), ([1, 1, 1, 1], 'fixed-point', 2)]

    Notes
    -----
    Per step: one predictor call per running instance, then ``O(sum of lengths)`` vectorised work in a constant
    number of numpy calls.  Serves the evaluation of the learned tasks (``powergen eval``).
    """
    if not isinstance(machine, APMDM):
        raise MachineConfigError(f"run_many runs an AP-MDM machine, got {type(machine).__name__}")
    if len(seeds) != len(starts):
        raise MachineConfigError(f"run_many needs one seed per start sequence, got {len(seeds)} seeds for "
                                 f"{len(starts)} starts")
    out: list[RunResult | MachineError | None] = [None] * len(starts)
    other: dict[int, BaseException] = {}
    runs: dict[int, _Run] = {}

    def finish(k: int, res: RunResult | MachineError) -> None:
        out[k] = res
        runs.pop(k, None)
        if on_done is not None:
            on_done(k)

    for k, (x0, seed) in enumerate(zip(starts, seeds, strict=True)):
        try:
            runs[k] = _Run(machine._start(x0), as_generator(seed))
        except MachineError as exc:
            finish(k, exc)
    while runs:
        batch: list[tuple[int, Prediction]] = []
        for k in list(runs):
            r = runs[k]
            pred = _routed(k, partial(machine.predictor, r.x, r.rng), runs, finish, other)
            if isinstance(pred, _Failed):
                continue
            if isinstance(pred, Prediction) and bool(pred.halt):
                finish(k, _result(r, "done"))
                continue
            batch.append((k, pred))
        _step(machine, runs, batch, finish, other)
        if other:  # instances after the lowest failing one no longer matter
            first = min(other)
            for k in [k for k in runs if k > first]:
                runs.pop(k)
    if other:
        raise other[min(other)]
    assert all(o is not None for o in out)  # every instance ended
    return [o for o in out if o is not None]


class _Failed:
    """The value :func:`_routed` returns when the call raised (the instance is already dealt with)."""

    __slots__ = ()


_FAILED = _Failed()


def _routed(k: int, call: Callable[[], T], runs: dict[int, _Run],
            finish: Callable[[int, RunResult | MachineError], None], other: dict[int, BaseException]) -> T | _Failed:
    """``call()`` on behalf of instance ``k``, with the errors routed as its own run would meet them.

    A :class:`~machines.errors.MachineError` ends instance ``k`` with that error (its run would raise it); any other
    exception is kept in ``other`` to be raised after the batch (a sequential loop would raise it) and ``k`` leaves
    ``runs``.  Either way :data:`_FAILED` is returned.
    """
    try:
        return call()
    except MachineError as exc:
        finish(k, exc)
    except Exception as exc:  # noqa: BLE001 - re-raised after the batch, as a sequential loop would
        other[k] = exc
        runs.pop(k)
    return _FAILED


def _result(r: _Run, reason: str) -> RunResult:
    final = r.x if r.x.base is None else r.x.copy()  # a view into a joint buffer: detach it
    final.setflags(write=False)
    return RunResult(final=final, halt_reason=reason, counters=r.tally.freeze(), records=None)


def _layout(pred: object, n: int) -> tuple[bool, ...] | None:
    """Which controls ``pred`` leaves out, if it fits the joint layout (a Prediction of arrays of shape (n,))."""
    if type(pred) is not Prediction or n == 0:
        return None
    shape = (n,)
    y, u, r, i, d = pred.y, pred.unmask, pred.remask, pred.insert, pred.delete
    for a in (y, u, r, i, d):
        if a is not None and (type(a) is not np.ndarray or a.shape != shape):
            return None
    return (u is None, r is None, i is None, d is None)


def _step(machine: APMDM, runs: dict[int, _Run], batch: list[tuple[int, Prediction]],
          finish: Callable[[int, RunResult | MachineError], None], other: dict[int, BaseException]) -> None:
    """Advance every instance of ``batch`` by one step (jointly where possible, else one by one)."""
    if not batch:
        return
    layouts = [_layout(p, int(runs[k].x.shape[0])) for k, p in batch]
    layout = layouts[0]
    joint = [kp for kp, lay in zip(batch, layouts, strict=True) if lay is not None and lay == layout]
    alone = [kp for kp, lay in zip(batch, layouts, strict=True) if lay is None or lay != layout]
    if len(joint) > 1:
        assert layout is not None
        alone += _step_joint(machine, runs, joint, layout, finish)
    else:
        alone += joint
    for k, p in sorted(alone, key=lambda kp: kp[0]):
        r = runs[k]
        nxt = _routed(k, partial(advance, "ap-mdm", r.x, p, step=r.t + 1, mask_id=machine.vocab.mask_id,
                                 vocab_size=machine.vocab.size, max_length=machine.max_length), runs, finish, other)
        if isinstance(nxt, _Failed):
            continue
        if np.array_equal(nxt.x_next, r.x):
            finish(k, _result(r, "fixed-point"))
            continue
        eos = machine.vocab.eos_id
        wrote_eos = eos is not None and bool((nxt.written == eos).any())
        _commit(machine, r, k, nxt.x_next, nxt.counts, wrote_eos, finish)


def _commit(machine: APMDM, r: _Run, k: int, x_next: np.ndarray, counts: StepCounts, wrote_eos: bool,
            finish: Callable[[int, RunResult | MachineError], None]) -> None:
    """The machine's bookkeeping after a changing step (the order of ``Machine._execute``)."""
    r.t += 1
    if r.t > machine.max_steps:
        finish(k, LimitExceeded(limit_name="max_steps", limit=machine.max_steps,
                                hint="the machine's max_steps= keyword or --max-steps"))
        return
    x_next.setflags(write=False)
    r.tally.add(counts, int(x_next.shape[0]))
    r.x = x_next
    if machine.halt_on_eos and wrote_eos:
        finish(k, _result(r, "eos"))


def _step_joint(machine: APMDM, runs: dict[int, _Run], joint: list[tuple[int, Prediction]],
                layout: tuple[bool, ...], finish: Callable[[int, RunResult | MachineError], None]
                ) -> list[tuple[int, Prediction]]:
    """One discipline check and one ``g`` for all of ``joint``; returns the instances left to step one by one."""
    vocab = machine.vocab
    mask_id = vocab.mask_id
    lengths = np.array([runs[k].x.shape[0] for k, _ in joint], dtype=np.int64)
    ends = np.cumsum(lengths)
    x = np.concatenate([runs[k].x for k, _ in joint])
    fields: dict[str, np.ndarray | None] = {c: None if absent else np.concatenate([getattr(p, c) for _, p in joint])
                                            for c, absent in zip(_CONTROLS, layout, strict=True)}
    pred = Prediction(y=np.concatenate([p.y for _, p in joint]), unmask=fields["unmask"], remask=fields["remask"],
                      insert=fields["insert"], delete=fields["delete"])
    try:
        nxt = advance("ap-mdm", x, pred, step=1, mask_id=mask_id, vocab_size=vocab.size, max_length=None)
    except MachineError:  # some instance breaks a rule: let each one report its own
        return joint
    # per-instance counts: segment sums of the bit vectors the check used (definitions of StepCounts)
    is_mask = x == mask_id
    remask, insert, delete = fields["remask"], fields["insert"], fields["delete"]
    deleted = None if delete is None else (delete != 0) & is_mask
    used = is_mask if remask is None else is_mask & (remask == 0)
    if deleted is not None:
        used &= ~deleted
    zero = np.zeros(len(joint), dtype=np.int64)
    unmasked = _segment_counts(used, ends)
    remasked = zero if remask is None else _segment_counts((remask != 0) & ~is_mask, ends)
    inserted = zero if insert is None else _segment_counts(
        insert != 0 if deleted is None else (insert != 0) & ~deleted, ends)
    n_deleted = zero if deleted is None else _segment_counts(deleted, ends)
    total = nxt.counts
    assert (int(unmasked.sum()), int(remasked.sum()), int(inserted.sum()), int(n_deleted.sum())) == (
        total.unmasked, total.remasked, total.inserted, total.deleted)
    new_lengths = lengths + inserted - n_deleted
    eos = vocab.eos_id
    wrote_eos = zero if eos is None or not machine.halt_on_eos else _segment_counts(used & (pred.y == eos), ends)
    starts_out = np.concatenate([[0], np.cumsum(new_lengths)[:-1]])
    alone: list[tuple[int, Prediction]] = []
    rows = zip(lengths.tolist(), unmasked.tolist(), remasked.tolist(), inserted.tolist(), n_deleted.tolist(),
               new_lengths.tolist(), starts_out.tolist(), wrote_eos.tolist(), strict=True)
    for (k, p), (n, u, rm, ins, de, m, s, we) in zip(joint, rows, strict=True):
        if m > machine.max_length:  # its own check raises the machine's LimitExceeded
            alone.append((k, p))
            continue
        r = runs[k]
        x_next = nxt.x_next[s:s + m]
        # the machine's fixed-point test.  Without insert or delete every position maps to itself, and an unmask
        # or a remask of a token changes it, so the counts decide; with them (deleting a mask next to an insert
        # can give x back) the slices are compared
        if not ins and not de:
            fixed = not u and not rm
        else:
            fixed = m == n and np.array_equal(x_next, r.x)
        if fixed:
            finish(k, _result(r, "fixed-point"))
            continue
        _commit(machine, r, k, x_next, StepCounts(length=n, unmasked=u, remasked=rm, inserted=ins,
                                                                 deleted=de), bool(we), finish)
    return alone


def _segment_counts(bits: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The number of set bits in each segment ``[ends[i-1], ends[i])`` of ``bits``."""
    seg = np.searchsorted(ends, np.flatnonzero(bits), side="right")
    return np.bincount(seg, minlength=ends.shape[0]).astype(np.int64)
