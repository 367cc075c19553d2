"""One step of each paradigm: validate the prediction against the paradigm's discipline, then apply it.

:func:`advance` is shared by the machines (:mod:`machines.paradigms`) and by trace replay (:mod:`machines.trace`),
so a trace is checked by exactly the rules that produced it.  Every violation raises
:class:`~machines.errors.DisciplineViolation` naming the paradigm, the step, the position (when the rule is about
one position) and the rule.

The rules (PAPER.md §1.3-1.6):

* **ARM** -- appends ``y[-1]`` to the sequence; no unmask/remask/insert/delete control (a written token never
  changes); the appended token is a vocabulary token other than MASK.
* **MDM** -- ``unmask`` selects a non-empty set of *masked* positions (a decoded token is frozen); no
  remask/insert/delete (the length is fixed); ``y`` at the selected positions is a non-MASK vocabulary token.
* **AO-MDM** -- MDM with exactly one position per step, anywhere.
* **Masked-ARM** -- MDM with exactly the leftmost mask per step ("leftmost" is the project's reading of PAPER.md
  §1.5, marked [I] there).
* **AP-MDM** -- any 3-bit control (remask, insert, delete) per position; ``x_next = g(x, y, c)`` of Algorithm 1.
  An ``unmask`` vector is optional and, if given, must equal the set g unmasks (masks neither remasked nor deleted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.errors import DisciplineViolation, LimitExceeded, MachineConfigError, TransitionError
from machines.predictor import Prediction
from machines.records import StepCounts
from machines.transition import apply_g

__all__ = ["MDM_FAMILY", "PARADIGMS", "Advance", "advance"]

PARADIGMS = ("arm", "mdm", "ao-mdm", "masked-arm", "ap-mdm")
MDM_FAMILY = ("mdm", "ao-mdm", "masked-arm")


@dataclass(frozen=True, slots=True)
class Advance:
    """Result of one validated step: the next sequence, its counts, and the tokens written by unmask/append."""

    x_next: np.ndarray
    counts: StepCounts
    written: np.ndarray


class _Rules:
    """Small helper binding (paradigm, step) so each check is one line."""

    __slots__ = ("paradigm", "step")

    def __init__(self, paradigm: str, step: int) -> None:
        self.paradigm, self.step = paradigm, step

    def fail(self, rule: str, position: int | None = None) -> DisciplineViolation:
        return DisciplineViolation(paradigm=self.paradigm, step=self.step, position=position, rule=rule)

    def ids(self, name: str, a: Any, n: int) -> np.ndarray:
        arr = np.asarray(a)
        if arr.shape != (n,):
            raise self.fail(f"{name} has shape {arr.shape}, expected ({n},)")
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if arr.dtype.kind not in "iub":
            raise self.fail(f"{name} must hold integer token ids, got dtype {arr.dtype}")
        return arr.astype(np.int64, copy=False)

    def bits(self, name: str, a: Any, n: int) -> np.ndarray | None:
        if a is None:
            return None
        arr = np.asarray(a)
        if arr.shape != (n,):
            raise self.fail(f"{name} has shape {arr.shape}, expected ({n},)")
        if n == 0:
            return np.zeros(0, dtype=np.bool_)
        if arr.dtype == np.bool_:
            return arr
        on, _ = self._zero_one(name, arr)
        return np.zeros(n, dtype=np.bool_) if on is None else on

    def control(self, name: str, a: Any, n: int) -> tuple[np.ndarray | None, int]:
        """A control vector as ``(bools, number set)``, the bools ``None`` when absent or all zero.

        The same checks as :meth:`bits`; an all-zero vector cannot break any rule, so no later pass is spent on it.
        """
        if a is None:
            return None, 0
        arr = np.asarray(a)
        if arr.shape != (n,):
            raise self.fail(f"{name} has shape {arr.shape}, expected ({n},)")
        if n == 0:
            return None, 0
        if arr.dtype == np.bool_:
            k = int(np.count_nonzero(arr))
            return (arr if k else None), k
        return self._zero_one(name, arr)

    def _zero_one(self, name: str, arr: np.ndarray) -> tuple[np.ndarray | None, int]:
        """An integer array of 0/1 as ``(bools or None when all zero, number of ones)``; else the 0/1 rule fails.

        Every entry is 0 or 1 exactly when the entries equal to 1 are all the non-zero ones (two counts).
        """
        if arr.dtype.kind not in "iu":
            raise self.fail(f"{name} must hold only 0/1")
        k = int(np.count_nonzero(arr))
        if not k:
            return None, 0
        on = arr == 1
        if int(np.count_nonzero(on)) != k:
            raise self.fail(f"{name} must hold only 0/1")
        return on, k

    def tokens(self, y: np.ndarray, where: np.ndarray, mask_id: int, vocab_size: int) -> None:
        """``y`` must be a non-MASK vocabulary token at every selected position."""
        vals = y[where]
        bad = (vals == mask_id) | (vals < 0) | (vals >= vocab_size)
        if bad.any():
            pos = int(np.flatnonzero(where)[int(np.argmax(bad))])
            v = int(y[pos])
            what = "MASK" if v == mask_id else f"id {v}, not in the vocabulary"
            raise self.fail(f"the token written here is {what}", pos)

    def none_or_zero(self, pred: Prediction, names: tuple[str, ...], n: int, rule: str) -> None:
        for name in names:
            bits, _ = self.control(name, getattr(pred, name), n)
            if bits is not None:
                raise self.fail(f"{rule} ({name} is set)", int(np.argmax(bits)))


def advance(paradigm: str, x: np.ndarray, pred: object, *, step: int, mask_id: int, vocab_size: int,
            max_length: int | None = None) -> Advance:
    """Validate ``pred`` against ``paradigm``'s discipline on ``x`` and return the next sequence.

    Parameters
    ----------
    paradigm : one of :data:`PARADIGMS`
    x : (L,) int64 array, the current sequence
    pred : the predictor's output (must be a :class:`~machines.predictor.Prediction`)
    step : the step number reported in errors (from 1)
    mask_id, vocab_size : the vocabulary's MASK id and size (ids are ``0..vocab_size-1``)
    max_length : if given, a step whose output would be longer raises
        :class:`~machines.errors.LimitExceeded` *before* the output is built.

    Examples
    --------
    >>> x = np.array([1, 0, 0])
    >>> advance("ao-mdm", x, Prediction(y=np.array([1, 2, 2]), unmask=np.array([0, 0, 1])), step=1, mask_id=0,
    ...         vocab_size=3).x_next.tolist()
    [1, 0, 2]
    >>> advance("masked-arm", x, Prediction(y=np.array([1, 2, 2]), unmask=np.array([0, 0, 1])), step=1, mask_id=0,
    ...         vocab_size=3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    machines.errors.DisciplineViolation: masked-arm step 1, position 2: a Masked-ARM unmasks exactly the leftmost ...

    Notes
    -----
    O(L) vectorised work.  Serves every machine run and every trace replay.
    """
    rules = _Rules(paradigm, step)
    if paradigm not in PARADIGMS:
        raise MachineConfigError(f"unknown paradigm {paradigm!r}; expected one of {', '.join(PARADIGMS)}")
    if not isinstance(pred, Prediction):
        raise rules.fail(f"the predictor must return a Prediction, got {type(pred).__name__}")
    n = int(x.shape[0])
    y = rules.ids("y", pred.y, n)
    if paradigm == "arm":
        return _advance_arm(rules, x, y, pred, mask_id, vocab_size, max_length)
    if paradigm == "ap-mdm":
        return _advance_apmdm(rules, x, y, pred, mask_id, vocab_size, max_length)
    return _advance_mdm(rules, x, y, pred, mask_id, vocab_size)


def _advance_arm(rules: _Rules, x: np.ndarray, y: np.ndarray, pred: Prediction, mask_id: int, vocab_size: int,
                 max_length: int | None) -> Advance:
    n = int(x.shape[0])
    if n == 0:
        raise rules.fail("an ARM needs a non-empty context (start from a prompt or BOS)")
    rules.none_or_zero(pred, ("unmask", "remask", "insert", "delete"), n,
                       "an ARM only appends: it never changes a written token")
    last = np.zeros(n, dtype=np.bool_)
    last[-1] = True
    rules.tokens(y, last, mask_id, vocab_size)
    if max_length is not None and n + 1 > max_length:
        raise _length_cap(max_length, n + 1)
    tok = y[-1:]
    x_next = np.concatenate([x, tok])
    return Advance(x_next, StepCounts(length=n, unmasked=0, remasked=0, inserted=1, deleted=0), tok.copy())


def _advance_mdm(rules: _Rules, x: np.ndarray, y: np.ndarray, pred: Prediction, mask_id: int,
                 vocab_size: int) -> Advance:
    n = int(x.shape[0])
    p = rules.paradigm
    rules.none_or_zero(pred, ("remask", "insert", "delete"), n,
                       "an MDM only unmasks: decoded tokens are frozen and the length is fixed")
    unmask = rules.bits("unmask", pred.unmask, n)
    if unmask is None:
        raise rules.fail("an MDM-family prediction needs an unmask vector")
    # everything below reads only the selected positions: one pass over the unmask bits, then O(k) work
    idx = np.flatnonzero(unmask)
    frozen = x[idx] != mask_id
    if frozen.any():
        raise rules.fail("decoded tokens are frozen: only masked positions can be unmasked",
                         int(idx[np.argmax(frozen)]))
    k = int(idx.shape[0])
    if k == 0:
        raise rules.fail("each step unmasks a non-empty set of masked positions")
    if p in ("ao-mdm", "masked-arm") and k != 1:
        raise rules.fail(f"exactly one mask is unmasked per step (got {k})")
    if p == "masked-arm":
        leftmost = int(np.argmax(x == mask_id))
        chosen = int(idx[0])
        if chosen != leftmost:
            raise rules.fail(f"a Masked-ARM unmasks exactly the leftmost mask (position {leftmost})", chosen)
    vals = y[idx]
    bad = (vals == mask_id) | (vals < 0) | (vals >= vocab_size)
    if bad.any():  # the rule of _Rules.tokens, on the selected values
        pos = int(idx[int(np.argmax(bad))])
        v = int(y[pos])
        what = "MASK" if v == mask_id else f"id {v}, not in the vocabulary"
        raise rules.fail(f"the token written here is {what}", pos)
    x_next = x.copy()
    x_next[idx] = vals
    return Advance(x_next, StepCounts(length=n, unmasked=k, remasked=0, inserted=0, deleted=0), vals)


def _advance_apmdm(rules: _Rules, x: np.ndarray, y: np.ndarray, pred: Prediction, mask_id: int, vocab_size: int,
                   max_length: int | None) -> Advance:
    n = int(x.shape[0])
    # absent or all-zero controls come back as None: no rule can fail on them and no pass is spent on them
    remask, n_remask = rules.control("remask", pred.remask, n)
    insert, _ = rules.control("insert", pred.insert, n)
    delete, _ = rules.control("delete", pred.delete, n)
    is_mask = x == mask_id
    deleted = None
    if delete is not None:
        deleted = delete & is_mask
        if not np.count_nonzero(deleted):
            deleted = None
    used = is_mask if remask is None else is_mask > remask  # (bools: a > b is a & ~b)
    if deleted is not None:
        used = used > deleted
    claimed = rules.bits("unmask", pred.unmask, n)
    if claimed is not None and not np.array_equal(claimed, used):
        pos = int(np.argmax(claimed != used))
        raise rules.fail("the unmask vector must equal the masks g unmasks (masks neither remasked nor deleted)", pos)
    written = y[used]
    k = int(written.shape[0])
    if k and not _all_writable(written, mask_id, vocab_size):
        rules.tokens(y, used, mask_id, vocab_size)  # names the first bad position
    n_deleted = 0 if deleted is None else int(np.count_nonzero(deleted))
    kept_ins = insert if insert is None or deleted is None else insert > deleted
    n_inserted = 0 if kept_ins is None else int(np.count_nonzero(kept_ins))
    if max_length is not None and n + n_inserted - n_deleted > max_length:
        raise _length_cap(max_length, n + n_inserted - n_deleted)  # = g_length(x, insert, delete)
    try:
        x_next = apply_g(x, y, remask, insert, deleted, mask_id=mask_id)
    except TransitionError as exc:  # pragma: no cover - every cause is validated above
        raise rules.fail(str(exc), exc.position) from None
    if remask is None:
        remasked = 0
    elif deleted is None:  # remask bits on non-masks: all of them but those on masks, which are not unmasked
        remasked = n_remask - (int(np.count_nonzero(is_mask)) - k)
    else:
        remasked = int(np.count_nonzero(remask > is_mask))
    # positional: (length, unmasked, remasked, inserted, deleted)
    return Advance(x_next, StepCounts(n, k, remasked, n_inserted, n_deleted), written)


_FEW = 64  # up to this many written tokens, a Python loop over them is cheaper than four numpy calls


def _all_writable(vals: np.ndarray, mask_id: int, vocab_size: int) -> bool:
    """Whether every token of the int64 array ``vals`` is a vocabulary id other than MASK (the rule of
    :meth:`_Rules.tokens`, without locating the culprit)."""
    if vals.shape[0] <= _FEW:
        return all(v != mask_id and 0 <= v < vocab_size for v in vals.tolist())
    # as unsigned, a negative id is huge: one comparison bounds both ends
    return not (np.count_nonzero(vals.view(np.uint64) >= vocab_size) or np.count_nonzero(vals == mask_id))


def _length_cap(limit: int, would_be: int) -> LimitExceeded:
    return LimitExceeded(limit_name="max_length", limit=limit,
                         hint=f"the machine's max_length= keyword or --max-length (this step would make length "
                              f"{would_be})")
