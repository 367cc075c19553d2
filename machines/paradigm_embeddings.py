"""ARM, MDM, AO-MDM and Masked-ARM runs reproduced as AP-MDM runs with translated controls.

This makes PAPER.md §1.6's "AO-MDM is the special case where control signals are always unmask and length is
invariant" (and "with suitable controls the process degenerates to ARM") a checkable property.  :func:`embed` wraps a
machine's predictor into an AP-MDM predictor; :func:`check_embedding` runs both machines in lock step.

Translations and step relations (the proof is one line each; the tests check them on random runs):

* **MDM family** (MDM, AO-MDM, Masked-ARM).  State map: identity, ``z_t = x_t``.  Control: ``y`` unchanged,
  ``remask = masks not selected by unmask`` (remask on a mask keeps it masked), no insert/delete.  When no mask is
  left the AP-MDM predictor returns all-zero controls, so the MDM's ``"no-masks"`` halt becomes a fixed point.
  Relation: ``z_t = x_t`` for every ``t``; ``T_AP = T_MDM``; halts ``no-masks -> fixed-point``, ``eos -> eos``,
  ``done -> done``; counters ``unmasked``, ``tokens_processed``, ``peak_length`` are equal.
* **ARM**.  State map: ``z_t = x_t + [MASK]`` (one trailing mask is the slot of the next token).  Control: unmask
  the trailing mask to the ARM's next token and insert a new mask after it -- except after EOS when EOS halts the
  run (then no insert, so the final sequences are equal).  If the ARM predictor halts, the AP-MDM step deletes the
  trailing mask and the next step is a fixed point.  Relation: ``z_t = x_t + [MASK]`` for ``t < T`` and
  ``z_T = x_T`` (+ one deleting step when the ARM ended by ``Prediction.halt``): ``T_AP = T_ARM`` (EOS) or
  ``T_ARM + 1`` (predictor halt); halts ``done -> eos`` or ``done -> fixed-point``; ``tokens_processed_AP =
  tokens_processed_ARM + T_ARM`` (the trailing mask), plus ``|x_T| + 1`` for the deleting step.

The embeddings are stated for runs that respect the source discipline: an undisciplined source predictor is caught
by the source machine, while AP-MDM may accept the translated step.  Caps: the AP-MDM gets ``max_length + 1`` and
``max_steps + 1`` (room for the trailing mask and the deleting step).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from machines.discipline import MDM_FAMILY
from machines.errors import MachineConfigError
from machines.paradigms import APMDM, Machine
from machines.predictor import Prediction
from pram.rng import SeedLike, as_generator

__all__ = ["Embedding", "EmbeddingCheck", "check_embedding", "embed"]

HALT_MAP = {"no-masks": "fixed-point", "eos": "eos", "done": "done"}


@dataclass(frozen=True, slots=True)
class Embedding:
    """An AP-MDM that reproduces ``source``; ``start`` and ``project`` map states both ways."""

    source: Machine
    target: APMDM

    def start(self, x0: np.ndarray | list[int]) -> np.ndarray:
        """The AP-MDM start sequence of the source start ``x0`` (validated by the source machine)."""
        x = self.source._start(x0)
        if self.source.paradigm == "arm":
            return np.concatenate([x, [self.source.vocab.mask_id]]).astype(np.int64)
        return x.copy()

    def project(self, z: np.ndarray) -> np.ndarray:
        """The source state of the AP-MDM state ``z`` (drops the ARM's trailing mask, if any)."""
        za = np.asarray(z, dtype=np.int64)
        if self.source.paradigm == "arm" and za.shape[0] and za[-1] == self.source.vocab.mask_id:
            return za[:-1]
        return za


def _mdm_translation(src: Machine) -> Callable[[np.ndarray, np.random.Generator], Prediction]:
    mask_id, inner = src.vocab.mask_id, src.predictor

    def predictor(z: np.ndarray, rng: np.random.Generator) -> Prediction:
        is_mask = z == mask_id
        zero = np.zeros(z.shape[0], dtype=np.bool_)
        if not is_mask.any():
            return Prediction(y=z.copy(), remask=zero, insert=zero, delete=zero)
        p = inner(z, rng)
        if p.halt:
            return Prediction(y=z.copy(), halt=True)
        unmask = np.asarray(p.unmask if p.unmask is not None else zero).astype(np.bool_)
        return Prediction(y=np.asarray(p.y, dtype=np.int64), remask=is_mask & ~unmask, insert=zero, delete=zero)

    return predictor


def _arm_translation(src: Machine) -> Callable[[np.ndarray, np.random.Generator], Prediction]:
    mask_id, eos_id, inner = src.vocab.mask_id, src.vocab.eos_id, src.predictor
    eos_halts = src.halt_on_eos and eos_id is not None

    def predictor(z: np.ndarray, rng: np.random.Generator) -> Prediction:
        n = z.shape[0]
        zero = np.zeros(n, dtype=np.bool_)
        if n == 0 or z[-1] != mask_id:  # the ARM has ended: stay put (fixed point)
            return Prediction(y=z.copy(), remask=zero, insert=zero, delete=zero)
        last = zero.copy()
        last[-1] = True
        p = inner(z[:-1], rng)
        if p.halt:  # the ARM declared its end: delete the slot of the next token
            return Prediction(y=z.copy(), remask=zero, insert=zero, delete=last)
        y = z.copy()
        nxt = int(np.asarray(p.y)[-1])
        y[-1] = nxt
        grow = last if not (eos_halts and nxt == eos_id) else zero
        return Prediction(y=y, remask=zero, insert=grow, delete=zero)

    return predictor


def embed(machine: Machine) -> Embedding:
    """The AP-MDM embedding of an ARM, MDM, AO-MDM or Masked-ARM (see the module docstring for the relation).

    Examples
    --------
    >>> from machines.demos import demo_machine, demo_start
    >>> e = embed(demo_machine("masked-arm"))
    >>> r = e.target.run(e.start(demo_start("masked-arm", n=4)))
    >>> r.halt_reason, r.counters.steps
    ('fixed-point', 4)

    Notes
    -----
    O(L) extra work per step.  Serves PAPER.md §1.6 (AO-MDM and ARM are special cases of AP-MDM) and Theorem 3.
    """
    p = machine.paradigm
    if p == "ap-mdm":
        raise MachineConfigError("an AP-MDM needs no embedding")
    translate = _arm_translation(machine) if p == "arm" else _mdm_translation(machine)
    target = APMDM(vocab=machine.vocab, predictor=translate, max_steps=machine.max_steps + 1,
                   max_length=machine.max_length + 1, halt_on_eos=machine.halt_on_eos)
    return Embedding(source=machine, target=target)


@dataclass(frozen=True, slots=True)
class EmbeddingCheck:
    """Outcome of :func:`check_embedding`; ``reason`` says what failed (``None`` when ``ok``)."""

    ok: bool
    source_steps: int
    target_steps: int
    source_halt: str
    target_halt: str
    same_final: bool
    reason: str | None


def _rng_pair(seed: SeedLike) -> tuple[np.random.Generator, np.random.Generator]:
    g = as_generator(seed)
    return g, copy.deepcopy(g)


def check_embedding(machine: Machine, x0: np.ndarray | list[int], *, seed: SeedLike = 0) -> EmbeddingCheck:
    """Run ``machine`` and its embedding from ``x0`` in lock step and check the step relation of the module docstring.

    Examples
    --------
    >>> from machines.demos import demo_machine, demo_start
    >>> c = check_embedding(demo_machine("arm"), demo_start("arm", n=3), seed=1)
    >>> c.ok, c.source_steps, c.target_steps, c.target_halt
    (True, 4, 4, 'eos')
    """
    e = embed(machine)
    rs, rt = _rng_pair(seed)
    src_it = machine.trace(x0, seed=rs)
    tgt_it = e.target.trace(e.start(x0), seed=rt)
    arm = machine.paradigm == "arm"
    reason: str | None = None
    for rec in src_it:
        tgt = next(tgt_it, None)
        if tgt is None:
            reason = f"the AP-MDM stopped before source step {rec.t}"
            break
        if not np.array_equal(e.project(tgt.x_next), rec.x_next):
            reason = f"states differ after step {rec.t}"
            break
    rest = list(tgt_it)
    s, t = src_it.result, tgt_it.result
    if s is None or t is None:
        return EmbeddingCheck(ok=False, source_steps=-1, target_steps=-1, source_halt="?", target_halt="?",
                              same_final=False, reason=reason or "a run did not finish")
    same_final = np.array_equal(s.final, t.final)
    family = "arm" if arm else ("mdm" if machine.paradigm in MDM_FAMILY else machine.paradigm)
    if reason is None:
        reason = _relation(family, s.halt_reason, t.halt_reason, s.counters.steps, t.counters.steps, len(rest),
                           same_final, s.counters.tokens_processed, t.counters.tokens_processed, len(s.final))
    return EmbeddingCheck(ok=reason is None, source_steps=s.counters.steps, target_steps=t.counters.steps,
                          source_halt=s.halt_reason, target_halt=t.halt_reason, same_final=same_final, reason=reason)


def _relation(family: str, s_halt: str, t_halt: str, s_steps: int, t_steps: int, extra: int, same_final: bool,
              s_tok: int, t_tok: int, final_len: int) -> str | None:
    if not same_final:
        return "final sequences differ"
    if family == "mdm":
        if HALT_MAP.get(s_halt) != t_halt:
            return f"halt {s_halt} became {t_halt}"
        if t_steps != s_steps or s_tok != t_tok:
            return f"steps {s_steps} -> {t_steps}, tokens {s_tok} -> {t_tok}"
        return None
    want_extra = 1 if t_halt == "fixed-point" else 0
    if t_halt not in ("eos", "fixed-point") or extra != want_extra or t_steps != s_steps + want_extra:
        return f"ARM {s_steps} steps ({s_halt}) became {t_steps} steps ({t_halt})"
    want_tok = s_tok + s_steps + want_extra * (final_len + 1)
    if t_tok != want_tok:
        return f"tokens processed {t_tok}, expected {want_tok}"
    return None
