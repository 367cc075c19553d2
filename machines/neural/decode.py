"""Batched inference of the numpy Transformer on sequences of different lengths (model only, no task).

:func:`pad` right-pads a list of sequences (padding is an attention and loss mask, never MASK);
:func:`batch_outputs` runs one forward per micro-batch (sequences sorted by length, so little padding) and returns
the logits of every sequence cut to its own length.  With bidirectional attention, padding is invisible (masked keys);
with ``causal=True`` right padding is invisible too (a query sees only keys at or before it), so the logits of a
sequence do not depend on its batch-mates up to float rounding of the matrix products.
:func:`argmax_no_mask` is the SUBS token decision (MASK forbidden).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from machines.neural.layers import Params
from machines.neural.model import Outputs, Transformer

__all__ = ["argmax_no_mask", "batch_outputs", "pad"]


def pad(seqs: Sequence[np.ndarray], *, fill: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(tokens (B, Lmax) int64, valid (B, Lmax) bool)`` for a list of 1-D sequences.

    Examples
    --------
    >>> x, ok = pad([np.array([3, 4]), np.array([5])])
    >>> x.tolist(), ok.tolist()
    ([[3, 4], [5, 0]], [[True, True], [True, False]])
    """
    L = max((len(s) for s in seqs), default=0)
    x = np.full((len(seqs), L), fill, dtype=np.int64)
    valid = np.zeros((len(seqs), L), dtype=bool)
    for b, s in enumerate(seqs):
        x[b, :len(s)] = s
        valid[b, :len(s)] = True
    return x, valid


def batch_outputs(net: Transformer, params: Params, seqs: Sequence[np.ndarray], *,
                  max_tokens: int = 16_384) -> list[Outputs]:
    """Logits ``(token (L_b, V), ctrl (L_b, 3))`` of every sequence, in input order.

    Sequences are grouped, longest first, into micro-batches of at most ``max_tokens`` padded tokens (at least one
    sequence each), so that the ``(B, H, L, L)`` attention scores stay small.  An empty sequence gets empty logits.

    Examples
    --------
    >>> from machines.neural.config import ModelConfig
    >>> net = Transformer(ModelConfig(vocab_size=4, mask_id=0, d_model=4))
    >>> outs = batch_outputs(net, net.init(np.random.default_rng(0)), [np.array([1, 2, 3]), np.array([2])])
    >>> [o.token.shape for o in outs]
    [(3, 4), (1, 4)]

    Notes
    -----
    One forward per micro-batch: ``O(sum_b L_max * (d^2 + L_max * d))`` per layer.
    """
    result: list[Outputs | None] = [None] * len(seqs)
    for i, s in enumerate(seqs):
        if len(s) == 0:  # nothing to attend to: empty logits (no forward)
            dt = next(iter(params.values())).dtype
            result[i] = Outputs(np.zeros((0, net.cfg.vocab_size), dt), np.zeros((0, 3), dt))
    order = sorted((i for i in range(len(seqs)) if len(seqs[i])), key=lambda i: -len(seqs[i]))
    k = 0
    while k < len(order):
        L = max(len(seqs[order[k]]), 1)
        n = max(1, max_tokens // L)
        group = order[k:k + n]
        x, valid = pad([seqs[i] for i in group])
        out, _ = net.forward(params, x, valid)
        for row, i in enumerate(group):
            m = len(seqs[i])
            result[i] = Outputs(out.token[row, :m], out.ctrl[row, :m])
        k += n
    return [r for r in result if r is not None]


def argmax_no_mask(token_logits: np.ndarray, mask_id: int) -> np.ndarray:
    """Argmax over the last axis with MASK forbidden (the SUBS decision).

    Examples
    --------
    >>> argmax_no_mask(np.array([[5.0, 1.0, 2.0]]), 0).tolist()
    [2]
    """
    z = np.array(token_logits, copy=True)
    z[..., mask_id] = -np.inf
    return z.argmax(axis=-1)
