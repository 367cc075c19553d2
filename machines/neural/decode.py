"""Batched inference of the numpy Transformer on sequences of different lengths (model only, no task).

:func:`pad` right-pads a list of sequences (padding is an attention and loss mask, never MASK);
:func:`batch_outputs` runs one forward per micro-batch (sequences sorted by length, so little padding) and returns
the logits of every sequence cut to its own length.  With bidirectional attention, padding is invisible (masked keys);
with ``causal=True`` right padding is invisible too (a query sees only keys at or before it), so the logits of a
sequence do not depend on its batch-mates up to float rounding of the matrix products.
:func:`argmax_no_mask` is the SUBS token decision (MASK forbidden).  :class:`CausalKVCache` decodes a causal model
one token at a time with cached keys and values (``O(L)`` per token instead of a full ``O(L^2)`` forward).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from machines.neural.layers import Params
from machines.neural.model import Outputs, Transformer

__all__ = ["CausalKVCache", "argmax_no_mask", "batch_outputs", "pad"]


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


class CausalKVCache:
    """One-token-at-a-time inference of a causal model with cached keys and values (the ARM decoders).

    Row ``b`` holds a sequence of length ``lengths[b]``; :meth:`step` appends one token to every row given in
    ``rows`` and returns the token logits at the new positions.  Keys are stored rotated (rotary is applied at the
    key's own position, so a cached key never changes); the relative bias is looked up by offset.  Supports full and
    windowed causal attention (not ``block`` or ``global_first``).  Equal to the dense causal forward up to float
    rounding (``tests/proofs_check/test_engine_decoders.py``).

    Examples
    --------
    >>> from machines.neural.config import ModelConfig
    >>> cfg = ModelConfig(vocab_size=5, mask_id=0, d_model=4, n_heads=2, causal=True)
    >>> net = Transformer(cfg); p = net.init(np.random.default_rng(0), np.float64)
    >>> kv = CausalKVCache(net, p, batch=1, capacity=4)
    >>> for t in (1, 2, 3): logits = kv.step(np.array([0]), np.array([t]))
    >>> full, _ = net.forward(p, np.array([[1, 2, 3]]), np.ones((1, 3), bool))
    >>> bool(np.allclose(logits[0], full.token[0, 2]))
    True

    Notes
    -----
    ``O(n_layers * (d^2 + capacity * d))`` per token and row; memory ``O(n_layers * batch * capacity * d)``.
    """

    def __init__(self, net: Transformer, params: Params, *, batch: int, capacity: int) -> None:
        cfg = net.cfg
        if not cfg.causal or cfg.block is not None or cfg.global_first:
            raise ValueError("CausalKVCache needs a causal model without block or global_first")
        self.net, self.params, self.cfg = net, params, cfg
        dt = next(iter(params.values())).dtype
        H, dh = cfg.n_heads, cfg.head_dim
        self.k = [np.zeros((batch, H, capacity, dh), dt) for _ in range(cfg.n_layers)]
        self.v = [np.zeros((batch, H, capacity, dh), dt) for _ in range(cfg.n_layers)]
        self.lengths = np.zeros(batch, dtype=np.int64)
        self.capacity = capacity
        self.theta = None if cfg.rotary is None else np.asarray(cfg.rotary, dtype=np.float64)

    def step(self, rows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """Append ``tokens[i]`` to row ``rows[i]``; return the ``(len(rows), V)`` token logits at those positions."""
        cfg, params = self.cfg, self.params
        rows = np.asarray(rows, dtype=np.int64)
        pos = self.lengths[rows]
        if (pos >= self.capacity).any():
            raise ValueError(f"CausalKVCache capacity {self.capacity} exceeded")
        n, d, H, dh = rows.shape[0], cfg.d_model, cfg.n_heads, cfg.head_dim
        h = params["tok.w"][np.asarray(tokens, dtype=np.int64)]  # (n, d)
        cs = None
        if self.theta is not None:
            ang = pos[:, None].astype(np.float64) * self.theta[None, :]  # (n, dh/2)
            cs = (np.cos(ang).astype(h.dtype)[:, None, :], np.sin(ang).astype(h.dtype)[:, None, :])
        j = np.arange(self.capacity)
        allowed = j[None, :] <= pos[:, None]
        if cfg.window is not None:
            allowed &= j[None, :] >= pos[:, None] - cfg.window
        scale = 1.0 / np.sqrt(dh)
        for i, (ln1, att, ln2, mlp) in enumerate(self.net.blocks):
            a, _ = ln1.forward(params, h)
            qkv = (a @ params[att.wqkv] + params[att.bqkv]).reshape(n, 3, H, dh)
            q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # (n, H, dh)
            if cs is not None:
                half = dh // 2
                q = np.concatenate([q[..., :half] * cs[0] - q[..., half:] * cs[1],
                                    q[..., :half] * cs[1] + q[..., half:] * cs[0]], axis=-1)
                k = np.concatenate([k[..., :half] * cs[0] - k[..., half:] * cs[1],
                                    k[..., :half] * cs[1] + k[..., half:] * cs[0]], axis=-1)
            self.k[i][rows, :, pos] = k
            self.v[i][rows, :, pos] = v
            K, Vv = self.k[i][rows], self.v[i][rows]  # (n, H, cap, dh)
            s = np.einsum("nhd,nhjd->nhj", q, K) * scale
            if att.rel is not None:
                C = cfg.rel_clip
                off = np.clip(j[None, :] - pos[:, None], -C, C) + C  # (n, cap)
                s = s + params[att.rel][:, off].transpose(1, 0, 2)
            s = np.where(allowed[:, None, :], s, -np.inf)
            s -= s.max(axis=-1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(axis=-1, keepdims=True)
            o = np.einsum("nhj,nhjd->nhd", p, Vv).reshape(n, d)
            h = h + (o @ params[att.wo] + params[att.bo])
            m, _ = ln2.forward(params, h)
            y, _ = mlp.forward(params, m)
            h = h + y
        f, _ = self.net.lnf.forward(params, h)
        self.lengths[rows] = pos + 1
        return f @ params["head.tok.w"] + params["head.tok.b"]
