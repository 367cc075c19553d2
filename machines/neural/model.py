"""The Transformer ``f_theta`` of AP-MDM: embedding, pre-LN blocks, final norm, token head and three control heads.

``h = E[x]``; per block ``h += Attn(LN1(h))``, ``h += MLP(LN2(h))``; ``f = LNf(h)``; token logits ``f @ Wu + bu``
(``V`` columns; MASK is forbidden at use, SUBS) and control logits ``f @ Wc + bc`` (3 columns: remask, insert,
delete).  Initialisation follows the official heads (PAPER.md §3.6): token head zero, control heads ``N(0, 0.02)``
with bias ``-2`` (so every control starts "off"); everything else ``N(0, init_std)``, norms at ``(1, 0)``.
The official timestep conditioning (a learned constant at sigma = 0) is dropped: it adds parameters and nothing else.
With ``pool = p > 1`` every ``p`` tokens share one position (summed slot embeddings; heads of ``p*V`` and ``3p``
outputs) and with ``peer_grid`` attention is restricted to grid peers (:mod:`machines.neural.structure`, [I]).

Notes
-----
Dense forward/backward: ``O(n_layers * B * (L * d^2 + H * L^2 * dh))``.  The local forward of a windowed or
chunked model is ``O(n_layers * B * L * (d^2 + window * d))``, with ``block`` in place of ``window``.  Serves the
learned experiments (PAPER.md §3.1-3.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.neural.attention import Attention
from machines.neural.config import ModelConfig
from machines.neural.layers import MLP, Embedding, Grads, LayerNorm, Linear, Params
from machines.neural.structure import PeerAttention, pooled_index

__all__ = ["Transformer", "Outputs", "CTRL_NAMES"]

CTRL_NAMES = ("remask", "insert", "delete")


@dataclass(frozen=True, slots=True)
class Outputs:
    """Raw head outputs: ``token (B, L, V)`` logits and ``ctrl (B, L, 3)`` logits (remask, insert, delete)."""

    token: np.ndarray
    ctrl: np.ndarray


class Transformer:
    """The model structure (stateless; weights live in a ``params`` dict).

    Examples
    --------
    >>> cfg = ModelConfig(vocab_size=5, mask_id=2, d_model=8, n_heads=2, window=2, rel_clip=3)
    >>> net = Transformer(cfg)
    >>> params = net.init(np.random.default_rng(0))
    >>> out, _ = net.forward(params, np.array([[0, 3, 4]]), np.ones((1, 3), bool))
    >>> out.token.shape, out.ctrl.shape, net.n_params(params)
    ((1, 3, 5), (1, 3, 3), 1014)
    """

    def __init__(self, cfg: ModelConfig) -> None:
        self.cfg = cfg
        self.emb = Embedding("tok.")
        att = PeerAttention if cfg.peer_grid is not None else Attention
        self.blocks = [
            (LayerNorm(f"b{i}.ln1."), att(f"b{i}.attn.", cfg), LayerNorm(f"b{i}.ln2."), MLP(f"b{i}.mlp."))
            for i in range(cfg.n_layers)
        ]
        self.lnf = LayerNorm("lnf.")
        self.head_tok = Linear("head.tok.")
        self.head_ctrl = Linear("head.ctrl.")

    # -- parameters ------------------------------------------------------------------------------------------
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Parameter names and shapes, in a fixed order."""
        c = self.cfg
        d, m, V, P = c.d_model, c.mlp_dim, c.vocab_size, c.pool
        s: dict[str, tuple[int, ...]] = {"tok.w": (P * V, d)}
        for i in range(c.n_layers):
            s |= {f"b{i}.ln1.g": (d,), f"b{i}.ln1.b": (d,), f"b{i}.attn.qkv.w": (d, 3 * d),
                  f"b{i}.attn.qkv.b": (3 * d,), f"b{i}.attn.o.w": (d, d), f"b{i}.attn.o.b": (d,)}
            if c.rel_clip > 0:
                s[f"b{i}.attn.rel"] = (c.n_heads, 2 * c.rel_clip + 1)
            s |= {f"b{i}.ln2.g": (d,), f"b{i}.ln2.b": (d,), f"b{i}.mlp.fc.w": (d, m), f"b{i}.mlp.fc.b": (m,),
                  f"b{i}.mlp.proj.w": (m, d), f"b{i}.mlp.proj.b": (d,)}
        s |= {"lnf.g": (d,), "lnf.b": (d,), "head.tok.w": (d, P * V), "head.tok.b": (P * V,),
              "head.ctrl.w": (d, 3 * P), "head.ctrl.b": (3 * P,)}
        return s

    def init(self, rng: np.random.Generator, dtype: Any = np.float32) -> Params:
        """Fresh weights drawn from ``rng`` in :meth:`shapes` order."""
        c = self.cfg
        params: Params = {}
        for name, shape in self.shapes().items():
            if name.endswith((".g",)):
                a = np.ones(shape)
            elif name.startswith("head.tok.") or name.endswith((".b", ".rel")):
                a = np.zeros(shape)
            elif name == "head.ctrl.w":
                a = rng.normal(0.0, 0.02, size=shape)
            else:
                a = rng.normal(0.0, c.init_std, size=shape)
            params[name] = a.astype(dtype)
        params["head.ctrl.b"] = np.full(3 * c.pool, c.ctrl_bias, dtype=dtype)
        return params

    @staticmethod
    def n_params(params: Params) -> int:
        return int(sum(a.size for a in params.values()))

    def param_count(self) -> int:
        """The number of parameters, from :meth:`shapes` alone (nothing is allocated).

        Examples
        --------
        >>> Transformer(ModelConfig(vocab_size=5, mask_id=2, d_model=4, d_mlp=4, block=2)).param_count()
        204
        """
        return int(sum(math.prod(shape) for shape in self.shapes().values()))

    # -- forward / backward ----------------------------------------------------------------------------------
    def forward(self, params: Params, x: np.ndarray, valid: np.ndarray, *, local: bool = False) -> tuple[Outputs, Any]:
        """``x (B, L)`` int tokens, ``valid (B, L)`` bool -> (:class:`Outputs`, cache).

        ``local=True`` uses the ``O(L * window)`` / ``O(L * block)`` attention of a windowed or chunked model
        (inference only: the cache is then None).
        """
        pool = self.cfg.pool
        B, L = x.shape
        if pool > 1:
            e, c_emb = self.emb.forward(params, pooled_index(x, pool, self.cfg.vocab_size))  # (B, L/p, p, d)
            h = e.sum(axis=2)
            valid = np.asarray(valid.reshape(B, L // pool, pool).any(axis=2))
        else:
            h, c_emb = self.emb.forward(params, x)  # a fresh (B, L, d) array: the residual stream is updated in place
        caches = []
        for ln1, att, ln2, mlp in self.blocks:
            a, c1 = ln1.forward(params, h)
            if local:
                y, c2 = att.forward_local(params, a, valid), None
            else:
                y, c2 = att.forward(params, a, valid)
            h += y  # no cache holds h itself (the norms keep their normalised inputs)
            m, c3 = ln2.forward(params, h)
            y, c4 = mlp.forward(params, m)
            h += y
            caches.append((c1, c2, c3, c4))
        f, cf = self.lnf.forward(params, h)
        tok, ct = self.head_tok.forward(params, f)
        ctrl, cc = self.head_ctrl.forward(params, f)
        if pool > 1:
            tok, ctrl = tok.reshape(B, L, -1), ctrl.reshape(B, L, 3)
        if local:
            return Outputs(tok, ctrl), None
        return Outputs(tok, ctrl), (c_emb, caches, cf, ct, cc)

    def backward(self, params: Params, d_token: np.ndarray, d_ctrl: np.ndarray, cache: Any) -> Grads:
        """Gradients of every parameter given the gradients of the two logit tensors."""
        c_emb, caches, cf, ct, cc = cache
        pool = self.cfg.pool
        if pool > 1:  # back to one row of p*V token / 3p control logits per position
            B, L = d_token.shape[:2]
            d_token, d_ctrl = d_token.reshape(B, L // pool, -1), d_ctrl.reshape(B, L // pool, -1)
        grads: Grads = {}
        df1, g = self.head_tok.backward(params, d_token, ct)
        grads |= g
        df2, g = self.head_ctrl.backward(params, d_ctrl, cc)
        grads |= g
        dh, g = self.lnf.backward(params, df1 + df2, cf)
        grads |= g
        for (ln1, att, ln2, mlp), (c1, c2, c3, c4) in zip(reversed(self.blocks), reversed(caches), strict=True):
            dm, g = mlp.backward(params, dh, c4)
            grads |= g
            dx, g = ln2.backward(params, dm, c3)
            grads |= g
            dh += dx  # dh is the backward's own array (from the final norm), updated in place
            da, g = att.backward(params, dh, c2)
            grads |= g
            dx, g = ln1.backward(params, da, c1)
            grads |= g
            dh += dx
        if pool > 1:
            dh = np.broadcast_to(dh[:, :, None, :], (*dh.shape[:2], pool, dh.shape[2]))
        _, g = self.emb.backward(params, dh, c_emb)
        grads |= g
        return {name: grads[name] for name in params}
