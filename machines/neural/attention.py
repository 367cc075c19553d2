"""Multi-head self-attention with relative positions only: clipped relative bias, rotary, local window, BOS sink.

Query ``i`` may attend to key ``j`` when key ``j`` is valid (not padding) and

* ``|j - i| <= window`` (any ``j`` if ``window`` is ``None``), or ``i`` and ``j`` lie in the same chunk when
  ``block`` is set (:func:`~machines.neural.config.chunk_ids`), or ``j == 0`` when ``global_first`` is set;
* ``j <= i`` when ``causal`` is set (the ARM baselines).

Scores are ``q_i . k_j / sqrt(dh) + rel[h, clip(j - i, -C, C)]`` with ``q, k`` rotated by ``theta * position``
(rotary; the rotation makes the score depend on ``j - i`` only).  Nothing depends on absolute positions, so the
same weights run at any length; positions are recomputed from the current sequence at every AP-MDM step.

Two implementations of the same function:

* :meth:`Attention.forward` / :meth:`Attention.backward` -- dense ``(B, H, L, L)`` scores with an additive mask; used
  for training (short sequences) and as the reference;
* :meth:`Attention.forward_banded` (sliding window) and :meth:`Attention.forward_blocked` (chunks) -- forward only,
  ``O(L * window)`` / ``O(L * block)`` memory and time, for long sequences at inference; equal to the dense forward
  up to float rounding (``tests/machines/test_neural_model.py``).  :meth:`Attention.forward_local` picks the right one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from machines.neural.config import ModelConfig, chunk_ids
from machines.neural.layers import Grads, Params


def masked_softmax(s: np.ndarray, allowed: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """Softmax over the last axis restricted to ``allowed`` entries (exactly 0 elsewhere; an all-False row -> 0).

    With ``inplace`` the result overwrites ``s`` (no full-size temporary at all); otherwise ``s`` is left alone.
    """
    if inplace:
        p = s
        np.copyto(p, -np.inf, where=~allowed)
    else:
        p = np.where(allowed, s, -np.inf)  # the one full-size temporary; the rest is done in place
    m = p.max(axis=-1, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    p -= m
    np.exp(p, out=p)
    z = p.sum(axis=-1, keepdims=True)
    z[z == 0] = 1.0
    np.reciprocal(z, out=z)
    p *= z  # one division per row, then multiplications
    return p


def rotary_tables(theta: tuple[float, ...] | None, length: int, dtype: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``cos, sin`` of ``theta_k * p`` for positions ``p < length``: two ``(L, dh/2)`` arrays (None if no rotary)."""
    if theta is None:
        return None
    ang = np.arange(length, dtype=np.float64)[:, None] * np.asarray(theta, dtype=np.float64)[None, :]
    return np.cos(ang).astype(dtype), np.sin(ang).astype(dtype)


def rotate(x: np.ndarray, cs: tuple[np.ndarray, np.ndarray], inverse: bool = False) -> np.ndarray:
    """Rotate the half-split pairs ``(x[..., k], x[..., k + dh/2])`` by the angles in ``cs`` (or back)."""
    cos, sin = cs
    if inverse:
        sin = -sin
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    out = np.empty_like(x)
    o1, o2 = out[..., :h], out[..., h:]
    np.multiply(x1, cos, out=o1)
    np.multiply(x1, sin, out=o2)
    tmp = x2 * sin
    o1 -= tmp
    np.multiply(x2, cos, out=tmp)
    o2 += tmp
    return out


class Attention:
    """Bidirectional (or causal) multi-head attention; parameters ``qkv.w (d, 3d)``, ``qkv.b``, ``o.w``, ``o.b``,
    and ``rel (H, 2C+1)`` when ``rel_clip = C > 0``.

    Examples
    --------
    >>> cfg = ModelConfig(vocab_size=4, mask_id=0, d_model=4, n_heads=2, window=1)
    >>> att = Attention("a.", cfg)
    >>> att.allowed(np.ones((1, 3), bool))[0].astype(int).tolist()
    [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    """

    def __init__(self, prefix: str, cfg: ModelConfig) -> None:
        self.cfg = cfg
        self.wqkv, self.bqkv, self.wo, self.bo = (prefix + n for n in ("qkv.w", "qkv.b", "o.w", "o.b"))
        self.rel = prefix + "rel" if cfg.rel_clip > 0 else None

    # -- structure -------------------------------------------------------------------------------------------
    def allowed(self, valid: np.ndarray) -> np.ndarray:
        """``(B, L, L)`` bool: may query ``i`` attend to key ``j``."""
        cfg = self.cfg
        L = valid.shape[1]
        i = np.arange(L)[:, None]
        j = np.arange(L)[None, :]
        if cfg.block is not None:
            c = chunk_ids(L, cfg.block)
            ok = c[:, None] == c[None, :]
        elif cfg.window is not None:
            ok = np.abs(j - i) <= cfg.window
        else:
            ok = np.ones((L, L), dtype=bool)
        if cfg.global_first:
            ok = ok | (j == 0)
        if cfg.causal:
            ok = ok & (j <= i)
        return ok[None, :, :] & valid[:, None, :]

    def rel_index(self, L: int) -> np.ndarray:
        C = self.cfg.rel_clip
        off = np.arange(L)[None, :] - np.arange(L)[:, None]
        return np.clip(off, -C, C) + C

    def _split(self, params: Params, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        B, L, d = x.shape
        H, dh = self.cfg.n_heads, self.cfg.head_dim
        qkv = x.reshape(-1, d) @ params[self.wqkv]  # one fused GEMM for q, k and v
        qkv += params[self.bqkv]
        qkv = np.ascontiguousarray(qkv.reshape(B, L, 3, H, dh).transpose(2, 0, 3, 1, 4))  # contiguous blocks
        return qkv[0], qkv[1], qkv[2]  # each (B, H, L, dh), each contiguous: batched matmul stays on BLAS

    # -- dense forward / backward ----------------------------------------------------------------------------
    def forward(self, params: Params, x: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, Any]:
        """``x (B, L, d)``, ``valid (B, L)`` -> ``out (B, L, d)``."""
        B, L, d = x.shape
        q0, k0, v = self._split(params, x)
        cs = rotary_tables(self.cfg.rotary, L, x.dtype)
        q, k = (q0, k0) if cs is None else (rotate(q0, cs), rotate(k0, cs))
        q *= 1.0 / math.sqrt(self.cfg.head_dim)  # scale the (L, dh) queries, not the (L, L) scores
        s = q @ k.transpose(0, 1, 3, 2)  # (B, H, L, L), a fresh array: the softmax runs in place on it
        if self.rel is not None:
            s += params[self.rel][:, self.rel_index(L)][None]
        p = masked_softmax(s, self.allowed(valid)[:, None], inplace=True)
        o = p @ v  # (B, H, L, dh)
        om = o.transpose(0, 2, 1, 3).reshape(B, L, d)
        out = om.reshape(-1, d) @ params[self.wo]
        out += params[self.bo]
        return out.reshape(B, L, d), (x, q, k, v, p, om, cs)

    def backward(self, params: Params, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, Grads]:
        x, qs, k, v, p, om, cs = cache  # qs: the rotated queries already scaled by 1/sqrt(dh)
        B, L, d = x.shape
        H, dh = self.cfg.n_heads, self.cfg.head_dim
        scale = 1.0 / math.sqrt(dh)
        d2 = dout.reshape(-1, d)
        om2 = om.reshape(-1, d)
        grads: Grads = {self.wo: om2.T @ d2, self.bo: d2.sum(axis=0)}
        dom = d2 @ params[self.wo].T  # (B*L, d), the gradient of the heads' outputs
        # sum_j p_ij dp_ij = do_i . o_i (o_i = sum_j p_ij v_j): an (L, dh) product instead of an (L, L) one
        rowdot = (dom * om2).reshape(B, L, H, dh).sum(axis=-1).transpose(0, 2, 1)[..., None]  # (B, H, L, 1)
        do = np.ascontiguousarray(dom.reshape(B, L, H, dh).transpose(0, 2, 1, 3))
        ds = do @ v.transpose(0, 1, 3, 2)  # dp (B, H, L, L); turned into ds in place
        ds -= rowdot
        ds *= p
        if self.rel is not None:
            idx = self.rel_index(L).ravel()
            dsh = ds.sum(axis=0).reshape(H, -1)
            n_rel = 2 * self.cfg.rel_clip + 1
            grads[self.rel] = np.stack([np.bincount(idx, weights=dsh[h], minlength=n_rel) for h in range(H)]).astype(
                x.dtype)
        dqkv = np.empty((3, B, H, L, dh), dtype=ds.dtype)
        np.matmul(ds, k, out=dqkv[0])
        dqkv[0] *= scale
        np.matmul(ds.transpose(0, 1, 3, 2), qs, out=dqkv[1])  # qs carries the scale already
        np.matmul(p.transpose(0, 1, 3, 2), do, out=dqkv[2])
        if cs is not None:
            dqkv[0] = rotate(dqkv[0], cs, inverse=True)
            dqkv[1] = rotate(dqkv[1], cs, inverse=True)
        d3 = dqkv.transpose(1, 3, 0, 2, 4).reshape(-1, 3 * d)  # (B*L, 3d) in the fused layout: one copy
        grads[self.wqkv] = x.reshape(-1, d).T @ d3
        grads[self.bqkv] = d3.sum(axis=0)
        return (d3 @ params[self.wqkv].T).reshape(B, L, d), grads

    # -- local forwards (inference) ---------------------------------------------------------------------------
    def forward_local(self, params: Params, x: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """The ``O(L)`` forward of a windowed or chunked model (:meth:`forward_banded` / :meth:`forward_blocked`)."""
        if self.cfg.block is not None:
            return self.forward_blocked(params, x, valid)
        return self.forward_banded(params, x, valid)

    def forward_blocked(self, params: Params, x: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Same function as :meth:`forward` for a chunked model, in ``O(B * L * block)``; forward only.

        Positions ``1..L-1`` are padded to whole chunks and reshaped to ``(n_chunks, block)``; position 0 is its
        own chunk (it sees only itself).  With ``global_first`` position 0 is one more key of every chunk.
        """
        cfg = self.cfg
        if cfg.block is None:
            raise ValueError("forward_blocked needs a chunked model (block is None)")
        B, L, d = x.shape
        Bk, C = cfg.block, cfg.rel_clip
        q, k, v = self._split(params, x)
        cs = rotary_tables(cfg.rotary, L, x.dtype)
        if cs is not None:
            q, k = rotate(q, cs), rotate(k, cs)
        scale = 1.0 / math.sqrt(cfg.head_dim)
        o = np.zeros_like(v)
        if L:
            o[:, :, 0] = np.where(valid[:, None, :1], v[:, :, 0], 0.0)  # position 0: a chunk of one
        if L > 1:
            nc = -(-(L - 1) // Bk)
            idx = 1 + np.arange(nc * Bk).reshape(nc, Bk)
            inside = idx < L
            idc = np.where(inside, idx, 0)
            qc, kc, vc = q[:, :, idc], k[:, :, idc], v[:, :, idc]  # (B, H, nc, Bk, dh)
            s = (qc @ kc.swapaxes(-1, -2)) * scale  # (B, H, nc, Bk, Bk)
            off = np.arange(Bk)[None, :] - np.arange(Bk)[:, None]
            if self.rel is not None:
                s = s + params[self.rel][:, np.clip(off, -C, C) + C][None, :, None]
            ok = (inside & valid[:, idc])[:, None, :, None, :]  # keys present and valid
            if cfg.causal:
                ok = ok & (off <= 0)
            ok = np.broadcast_to(ok, s.shape)
            values = vc
            if cfg.global_first:
                s0 = (qc * k[:, :, :1, None]).sum(axis=-1) * scale  # (B, H, nc, Bk)
                if self.rel is not None:
                    s0 = s0 + params[self.rel][:, np.clip(-idx, -C, C) + C][None]
                s = np.concatenate([s, s0[..., None]], axis=-1)
                ok = np.concatenate([ok, np.broadcast_to(valid[:, None, None, None, :1], s0.shape + (1,))], axis=-1)
                values = np.concatenate([vc, np.broadcast_to(v[:, :, None, :1], vc.shape[:2] + (nc, 1, vc.shape[-1]))],
                                        axis=-2)
            p = masked_softmax(s, ok)
            oc = p @ values  # (B, H, nc, Bk, dh)
            o[:, :, idx[inside]] = oc[:, :, inside]
        om = o.transpose(0, 2, 1, 3).reshape(B, L, d)
        return om @ params[self.wo] + params[self.bo]

    def forward_banded(self, params: Params, x: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Same function as :meth:`forward` for a windowed model, in ``O(B * L * window)``; forward only."""
        cfg = self.cfg
        if cfg.window is None:
            raise ValueError("forward_banded needs a windowed model (window is None; a chunked model: forward_blocked)")
        B, L, d = x.shape
        K = cfg.window
        q, k, v = self._split(params, x)
        cs = rotary_tables(cfg.rotary, L, x.dtype)
        if cs is not None:
            q, k = rotate(q, cs), rotate(k, cs)
        scale = 1.0 / math.sqrt(cfg.head_dim)
        pad = ((0, 0), (0, 0), (K, K), (0, 0))
        kp, vp = np.pad(k, pad), np.pad(v, pad)
        okp = np.pad(valid, ((0, 0), (K, K)))
        pos = np.arange(L)
        offsets = [o for o in range(-K, K + 1) if not (cfg.causal and o > 0)]
        rel = params[self.rel] if self.rel is not None else None
        C = cfg.rel_clip
        scores, values, allowed = [], [], []
        for o in offsets:
            sl = slice(K + o, K + o + L)
            s = (q * kp[:, :, sl]).sum(axis=-1) * scale  # (B, H, L)
            if rel is not None:
                s = s + rel[:, min(max(o, -C), C) + C][None, :, None]
            scores.append(s)
            allowed.append(np.broadcast_to(okp[:, None, sl], s.shape))
            values.append(vp[:, :, sl])
        if cfg.global_first:
            far = pos > K  # keys already inside the window are not counted twice
            s = (q * k[:, :, :1]).sum(axis=-1) * scale
            if rel is not None:
                s = s + rel[:, np.clip(-pos, -C, C) + C][None]
            scores.append(s)
            allowed.append(np.broadcast_to(far[None, None] & valid[:, None, :1], s.shape))
            values.append(np.broadcast_to(v[:, :, :1], v.shape))
        pt = masked_softmax(np.stack(scores, axis=-1), np.stack(allowed, axis=-1))  # (B, H, L, n)
        o_ = sum(pt[..., n, None] * values[n] for n in range(len(values)))
        om = np.asarray(o_).transpose(0, 2, 1, 3).reshape(B, L, d)
        return om @ params[self.wo] + params[self.bo]
