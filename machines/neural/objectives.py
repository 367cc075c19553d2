"""Three training objectives on the one model class :class:`~machines.neural.model.Transformer`.

* **AP-MDM** (PAPER.md §3.5(a)) -- :func:`apmdm_objective`, the supervised loss of :mod:`machines.neural.loss`
  (unmask CE over masks with a target, plus three BCE control heads), re-exported unchanged;
* **masked diffusion** (the MDM / AO-MDM baselines) -- :func:`mask_tokens` draws, per sequence, a mask ratio
  ``t ~ U(eps, 1)`` and masks every *maskable* position independently with probability ``t`` (at least one);
  :func:`masked_diffusion_loss` is the cross entropy of the clean token at the masked positions, with MASK forbidden
  (SUBS), averaged over the masked positions of the batch.  The MDLM ELBO weight ``1/t`` is dropped (the project's
  choice [I]: a plain average, as Kim et al.'s Sudoku MDMs train);
* **next-token prediction** (the ARM baselines; the model must have ``causal=True``) -- :func:`next_token_loss`,
  the cross entropy of token ``i+1`` from the logits at position ``i``, over the positions ``i+1`` selected by a
  loss mask (the answer part of a prompt + answer sequence), MASK forbidden, averaged over those positions.

Every loss returns a :class:`~machines.neural.loss.LossResult` whose ``d_token`` / ``d_ctrl`` are the gradients of
the loss with respect to the two logit tensors, so that one ``Transformer.backward`` serves all three (the control
head gets a zero gradient under the two baseline losses).  Cross entropies are computed in float64 from
max-shifted logits (stable for any finite logits) and cast back to the logits' dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from machines.neural.loss import Batch, LossResult, apmdm_loss
from machines.neural.model import Outputs

__all__ = ["MaskedBatch", "apmdm_objective", "mask_tokens", "masked_diffusion_loss", "next_token_loss",
           "OBJECTIVES"]

OBJECTIVES = ("ap-mdm", "mdm", "arm")


def apmdm_objective(out: Outputs, batch: Batch, *, mask_id: int) -> LossResult:
    """The AP-MDM loss of PAPER.md §3.5(a): :func:`machines.neural.loss.apmdm_loss` unchanged."""
    return apmdm_loss(out, batch, mask_id=mask_id)


@dataclass(frozen=True, slots=True)
class MaskedBatch:
    """A corrupted batch: ``x (B, L)`` with masks, the clean ``target (B, L)``, the ``masked (B, L)`` loss
    positions, ``valid (B, L)`` (padding is False) and the mask ratio ``t (B,)`` of every row."""

    x: np.ndarray
    target: np.ndarray
    masked: np.ndarray
    valid: np.ndarray
    t: np.ndarray


def mask_tokens(x0: np.ndarray, valid: np.ndarray, maskable: np.ndarray, rng: np.random.Generator, *, mask_id: int,
                eps: float = 1e-3) -> MaskedBatch:
    """Mask each maskable position of row ``b`` with probability ``t_b ~ U(eps, 1)``; a row with a maskable
    position gets at least one mask (its first drawn-highest position), so that every row carries a target.

    Examples
    --------
    >>> x0 = np.array([[5, 6, 7, 8]]); ok = np.ones((1, 4), bool); m = np.array([[0, 1, 1, 1]], bool)
    >>> mb = mask_tokens(x0, ok, m, np.random.default_rng(0), mask_id=0)
    >>> bool(mb.masked[0, 0]), int(mb.masked.sum()) >= 1, bool((mb.x[mb.masked] == 0).all())
    (False, True, True)

    Notes
    -----
    O(B * L).  Serves the MDM / AO-MDM baselines (PAPER.md §3.0, §3.1).
    """
    B, L = x0.shape
    can = maskable & valid
    t = np.asarray(rng.uniform(eps, 1.0, size=B))
    u = rng.random((B, L))
    masked = can & (u < t[:, None])
    # at least one mask per row that has a maskable position: the position with the smallest u
    none = ~masked.any(axis=1) & can.any(axis=1)
    if none.any():
        uu = np.where(can, u, np.inf)
        rows = np.flatnonzero(none)
        masked[rows, uu[rows].argmin(axis=1)] = True
    x = np.where(masked, mask_id, x0)
    return MaskedBatch(x=x, target=np.asarray(x0), masked=masked, valid=valid, t=t)


def _ce_no_mask(logits: np.ndarray, targets: np.ndarray, mask_id: int) -> tuple[float, np.ndarray, float]:
    """Mean CE of ``targets (n,)`` under ``logits (n, V)`` with MASK forbidden: (loss, dlogits, accuracy)."""
    n = targets.shape[0]
    z = logits.astype(np.float64)
    z[:, mask_id] = -np.inf
    z = z - z.max(axis=1, keepdims=True)
    lsm = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = float(-lsm[np.arange(n), targets].mean())
    p = np.exp(lsm)
    p[np.arange(n), targets] -= 1.0
    acc = float((lsm.argmax(axis=1) == targets).mean())
    return loss, p / n, acc


def masked_diffusion_loss(out: Outputs, mb: MaskedBatch, *, mask_id: int) -> LossResult:
    """Cross entropy of the clean tokens at the masked positions (SUBS), averaged over them.

    Examples
    --------
    >>> mb = MaskedBatch(x=np.array([[0, 2]]), target=np.array([[1, 2]]), masked=np.array([[True, False]]),
    ...                  valid=np.ones((1, 2), bool), t=np.array([0.5]))
    >>> r = masked_diffusion_loss(Outputs(np.zeros((1, 2, 3)), np.zeros((1, 2, 3))), mb, mask_id=0)
    >>> round(r.loss, 4), bool(r.d_ctrl.any())
    (0.6931, False)

    Notes
    -----
    O(B * L * V).  Serves the MDM / AO-MDM baselines.
    """
    d_token = np.zeros_like(out.token)
    sel = mb.masked & mb.valid
    if sel.any():
        loss, d, acc = _ce_no_mask(out.token[sel], mb.target[sel], mask_id)
        d_token[sel] = d.astype(out.token.dtype)
    else:
        loss, acc = 0.0, 1.0
    return LossResult(loss=loss, parts={"mdm": loss}, accuracy={"mdm": acc}, d_token=d_token,
                      d_ctrl=np.zeros_like(out.ctrl))


def next_token_loss(out: Outputs, tokens: np.ndarray, loss_mask: np.ndarray, *, mask_id: int) -> LossResult:
    """Cross entropy of ``tokens[:, i+1]`` from the logits at ``i``, over the ``i+1`` with ``loss_mask`` set.

    ``loss_mask[:, 0]`` is ignored (nothing predicts the first token).  The model must be causal for this to be
    an autoregressive objective; the function itself only reads logits.

    Examples
    --------
    >>> out = Outputs(np.zeros((1, 3, 4)), np.zeros((1, 3, 3)))
    >>> r = next_token_loss(out, np.array([[1, 2, 3]]), np.array([[0, 1, 1]], bool), mask_id=0)
    >>> round(r.loss, 4), bool(r.d_token[0, 2].any())
    (1.0986, False)

    Notes
    -----
    O(B * L * V).  Serves the ARM baselines (PAPER.md §3.0).
    """
    d_token = np.zeros_like(out.token)
    sel = np.zeros(loss_mask.shape, dtype=bool)
    sel[:, :-1] = loss_mask[:, 1:]  # position i is scored on token i+1
    if sel.any():
        nxt = np.zeros_like(tokens)
        nxt[:, :-1] = tokens[:, 1:]
        loss, d, acc = _ce_no_mask(out.token[sel], nxt[sel], mask_id)
        d_token[sel] = d.astype(out.token.dtype)
    else:
        loss, acc = 0.0, 1.0
    return LossResult(loss=loss, parts={"ntp": loss}, accuracy={"ntp": acc}, d_token=d_token,
                      d_ctrl=np.zeros_like(out.ctrl))
