"""ARM view of an AP-MDM trajectory: the tokens an autoregressive model must write to carry out the same process.

The paper's ARM baseline "simulates the same edit process" (PAPER.md §3.3); its format is not published.  The
project's serialisation (a reconstruction) is an **edit log**: after the prompt ``x_0`` the ARM writes, for every
AP-MDM step, the edits of that step in position order, then ``;``:

* ``@ #i tok`` -- the token at position ``i`` of ``x_t`` becomes ``tok`` (an unmask, or a remask with tok = MASK);
* ``+ #i`` -- a MASK is inserted after position ``i``;
* ``- #i`` -- the mask at position ``i`` is deleted.

Positions refer to ``x_t``; a kept token and a mask kept masked cost nothing.  :func:`apply_edit_log` replays a log,
so the serialisation is checked to be faithful.  Beside it, :func:`arm_view` reports the cost of the naive ARM that
rewrites the whole state every step (``sum |x_{t+1}| + 1``).  An ARM never rewrites what it wrote: its context is
the prompt plus everything written, whereas AP-MDM's context is the current sequence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from machines.predictor import Transition
from machines.vocab import BaseVocabulary
from reductions.errors import InvalidInstance

__all__ = ["ArmView", "apply_edit_log", "arm_view", "arm_view_states", "edit_log", "step_edit_tokens"]

SUB, INS, DEL, END = "@", "+", "-", ";"


@dataclass(frozen=True, slots=True)
class ArmView:
    """AP-MDM cost beside the two ARM serialisations of the same trajectory.

    ``apmdm_context`` is the peak sequence length; ``arm_edit_context`` = ``|x_0|`` + edit-log tokens (what an ARM
    holds at the end); ``arm_rewrite_tokens`` = tokens of the rewrite-every-state ARM.
    """

    apmdm_steps: int
    apmdm_context: int
    arm_edit_tokens: int
    arm_edit_context: int
    arm_rewrite_tokens: int

    def to_json(self) -> dict[str, int]:
        return {"apmdm_steps": self.apmdm_steps, "apmdm_context": self.apmdm_context,
                "arm_edit_tokens": self.arm_edit_tokens, "arm_edit_context": self.arm_edit_context,
                "arm_rewrite_tokens": self.arm_rewrite_tokens}


def _ops(tr: Transition, mask_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(substituted positions, their new tokens, insert positions, delete positions) of one step."""
    x = np.asarray(tr.x, dtype=np.int64)
    is_mask = x == mask_id
    deleted = np.asarray(tr.delete, dtype=bool) & is_mask
    remask = np.asarray(tr.remask, dtype=bool)
    out = np.where(remask, mask_id, np.where(is_mask, np.asarray(tr.y, dtype=np.int64), x))
    sub = np.flatnonzero((out != x) & ~deleted)
    ins = np.flatnonzero(np.asarray(tr.insert, dtype=bool) & ~deleted)
    return sub, out[sub], ins, np.flatnonzero(deleted)


def step_edit_tokens(tr: Transition, *, mask_id: int) -> int:
    """Number of edit-log tokens of one step: ``3 #sub + 2 (#ins + #del) + 1``.

    Examples
    --------
    >>> z = np.zeros(3, dtype=np.int64)
    >>> tr = Transition(x=np.array([0, 5, 0]), y=np.array([7, 5, 0]), remask=np.array([0, 0, 1]), insert=z,
    ...                 delete=z, x_next=np.array([7, 5, 0]))
    >>> step_edit_tokens(tr, mask_id=0)
    4
    """
    sub, _, ins, dele = _ops(tr, mask_id)
    return 3 * sub.size + 2 * (ins.size + dele.size) + 1


def edit_log(transitions: Iterable[Transition], vocab: BaseVocabulary) -> list[str]:
    """The ARM's output tokens (names) for the trajectory; see the module docstring."""
    mask_id = vocab.mask_id
    out: list[str] = []
    for tr in transitions:
        sub, toks, ins, dele = _ops(tr, mask_id)
        events: list[tuple[int, int, list[str]]] = []
        events += [(int(i), 1, [SUB, f"#{int(i)}", vocab.name_of(int(t))]) for i, t in zip(sub, toks, strict=True)]
        events += [(int(i), 2, [INS, f"#{int(i)}"]) for i in ins]
        events += [(int(i), 0, [DEL, f"#{int(i)}"]) for i in dele]
        for _, _, toks_ in sorted(events, key=lambda e: (e[0], e[1])):
            out += toks_
        out.append(END)
    return out


def apply_edit_log(x0: Sequence[int] | np.ndarray, log: Sequence[str], vocab: BaseVocabulary) -> list[np.ndarray]:
    """Replay an edit log from ``x0``; returns ``[x_1, x_2, ...]`` (one state per ``;``).

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> v = simple_vocabulary(["a", "b"])
    >>> [s.tolist() for s in apply_edit_log([1, 0], ["@", "#1", "b", "+", "#1", ";"], v)]
    [[1, 2, 0]]
    """
    mask_id = vocab.mask_id
    x = [int(v) for v in x0]
    states: list[np.ndarray] = []
    sub: dict[int, int] = {}
    ins: set[int] = set()
    dele: set[int] = set()
    k = 0
    while k < len(log):
        op = log[k]
        if op == END:
            nxt: list[int] = []
            for i, tok in enumerate(x):
                if i in dele:
                    continue
                nxt.append(sub.get(i, tok))
                if i in ins:
                    nxt.append(mask_id)
            x = nxt
            states.append(np.array(x, dtype=np.int64))
            sub, ins, dele = {}, set(), set()
            k += 1
            continue
        pos = int(log[k + 1].lstrip("#"))
        if op == SUB:
            sub[pos] = vocab.id_of(log[k + 2])
            k += 3
        elif op == INS:
            ins.add(pos)
            k += 2
        elif op == DEL:
            dele.add(pos)
            k += 2
        else:
            raise InvalidInstance(f"unknown edit-log token {op!r} at {k}")
    return states


def arm_view(x0: np.ndarray, transitions: Iterable[Transition], *, mask_id: int) -> ArmView:
    """Costs of the trajectory for AP-MDM and for the two ARM serialisations.

    Examples
    --------
    >>> z = np.zeros(2, dtype=np.int64)
    >>> tr = Transition(x=np.array([3, 4]), y=np.array([3, 4]), remask=np.array([1, 0]), insert=z, delete=z,
    ...                 x_next=np.array([0, 4]))
    >>> arm_view(np.array([3, 4]), [tr], mask_id=0)
    ArmView(apmdm_steps=1, apmdm_context=2, arm_edit_tokens=4, arm_edit_context=6, arm_rewrite_tokens=3)

    Notes
    -----
    O(total length) numpy work.
    """
    steps = edits = rewrite = 0
    peak = int(np.asarray(x0).shape[0])
    for tr in transitions:
        steps += 1
        edits += step_edit_tokens(tr, mask_id=mask_id)
        n_next = int(np.asarray(tr.x_next).shape[0])
        rewrite += n_next + 1
        peak = max(peak, n_next)
    return ArmView(apmdm_steps=steps, apmdm_context=peak, arm_edit_tokens=edits,
                   arm_edit_context=int(np.asarray(x0).shape[0]) + edits, arm_rewrite_tokens=rewrite)


def arm_view_states(states: np.ndarray) -> ArmView:
    """Fast :func:`arm_view` for a fixed-length trajectory given as a ``(T+1, L)`` state array (no insert/delete).

    Every changed position is one substitution (3 tokens); used for Sudoku's long trajectories.
    """
    t, n = states.shape[0] - 1, states.shape[1]
    changed = int((states[1:] != states[:-1]).sum())
    edits = 3 * changed + t
    return ArmView(apmdm_steps=t, apmdm_context=n, arm_edit_tokens=edits, arm_edit_context=n + edits,
                   arm_rewrite_tokens=t * (n + 1))
