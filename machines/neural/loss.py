"""The supervised AP-MDM loss of PAPER.md §3.5(a), with its gradient and per-head accuracies.

``L = L_unmask + L_remask + L_insert + L_delete`` (all lambdas 1):

* ``L_unmask = -(1/|M|) sum_{i in M} log p(y*_i | x)`` over ``M = {i valid : x_i = MASK, y*_i != MASK}``, with the
  softmax taken over the vocabulary **without** MASK (SUBS: the MASK logit is forbidden); 0 when ``M`` is empty;
* ``L_op = (1/#valid) sum_{i valid} BCE(logit_op,i, op*_i)`` for op in remask / insert / delete, over **all** valid
  positions (not only masks).

Padding positions (``valid = False``) contribute nothing: padding is a loss mask and an attention mask, never MASK.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from machines.neural.model import CTRL_NAMES, Outputs

__all__ = ["Batch", "LossResult", "apmdm_loss"]


@dataclass(frozen=True, slots=True)
class Batch:
    """A padded batch: ``x, y (B, L)`` int64, ``ctrl (B, L, 3)`` 0/1 (remask, insert, delete), ``valid (B, L)``."""

    x: np.ndarray
    y: np.ndarray
    ctrl: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True, slots=True)
class LossResult:
    """Loss value, its parts, the logit gradients and the accuracies per head (NaN-free: empty sets give 1.0)."""

    loss: float
    parts: dict[str, float]
    accuracy: dict[str, float]
    d_token: np.ndarray
    d_ctrl: np.ndarray


def _log_softmax_no_mask(logits: np.ndarray, mask_id: int) -> np.ndarray:
    z = logits.copy()
    z[..., mask_id] = -np.inf
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def apmdm_loss(out: Outputs, batch: Batch, *, mask_id: int) -> LossResult:
    """Loss, gradients w.r.t. ``out.token`` / ``out.ctrl`` and accuracies.

    Examples
    --------
    >>> tok = np.zeros((1, 2, 3)); ctrl = np.zeros((1, 2, 3))
    >>> b = Batch(x=np.array([[0, 1]]), y=np.array([[2, 1]]), ctrl=np.zeros((1, 2, 3), int),
    ...           valid=np.ones((1, 2), bool))
    >>> r = apmdm_loss(Outputs(tok, ctrl), b, mask_id=0)
    >>> round(r.parts["unmask"], 4), round(r.parts["remask"], 4)
    (0.6931, 0.6931)

    Notes
    -----
    O(B * L * V).  Serves the supervised training of every learned AP-MDM experiment (PAPER.md §3.5(a)).
    """
    dt = out.token.dtype
    valid = batch.valid
    targets = valid & (batch.x == mask_id) & (batch.y != mask_id)
    n_t = int(targets.sum())
    d_token = np.zeros_like(out.token)
    parts: dict[str, float] = {}
    acc: dict[str, float] = {}
    if n_t:
        lsm = _log_softmax_no_mask(out.token[targets].astype(np.float64), mask_id)  # (n_t, V)
        yt = batch.y[targets]
        parts["unmask"] = float(-lsm[np.arange(n_t), yt].mean())
        p = np.exp(lsm)
        p[np.arange(n_t), yt] -= 1.0
        d_token[targets] = (p / n_t).astype(dt)
        acc["unmask"] = float((lsm.argmax(axis=-1) == yt).mean())
    else:
        parts["unmask"] = 0.0
        acc["unmask"] = 1.0
    n_v = max(int(valid.sum()), 1)
    z = out.ctrl.astype(np.float64)
    t = batch.ctrl.astype(np.float64)
    w = valid[..., None].astype(np.float64)
    # BCE with logits, stable: max(z,0) - z t + log(1 + exp(-|z|))
    bce = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    sig = 0.5 * (1.0 + np.tanh(0.5 * z))
    d_ctrl = ((sig - t) * w / n_v).astype(dt)
    hits = ((z > 0) == (t > 0.5)) & (w > 0)
    for k, name in enumerate(CTRL_NAMES):
        parts[name] = float((bce[..., k] * w[..., 0]).sum() / n_v)
        acc[name] = float(hits[..., k].sum() / n_v)
    total = parts["unmask"] + sum(parts[n] for n in CTRL_NAMES)
    return LossResult(loss=total, parts=parts, accuracy=acc, d_token=d_token, d_ctrl=d_ctrl)
