"""The trained Transformer as an AP-MDM predictor: ``predictor(x, rng) -> Prediction``.

Decoding follows the paper's sampler (PAPER.md §1.6, §3.7): tokens are the argmax of the token head with MASK
forbidden (at non-mask positions ``y`` is pinned to ``x``, SUBS), controls are ``sigmoid(logit) > 0.5``, i.e.
``logit > 0``.  The predictor is a pure function of ``x``: it reads nothing but the weights fixed at construction.

**Window tables (an exact compilation, not an approximation).**  A one-layer model with a local window ``K`` computes
the output at position ``i`` from the tokens at ``i-K..i+K`` only (positions off the ends are "absent"), plus, when
``global_first`` is set and ``i > K``, the token at position 0 and the parity of ``i`` (rotary angles restricted to
0 and ``pi``).  :class:`WindowTable` evaluates the dense reference forward once on every such context, so that a
prediction on a sequence of any length is a table look-up per position: ``O(L)`` per step instead of a forward
pass.  It is the same function as the plain forward (``tests/machines/test_neural_model.py`` checks this on random
sequences); :meth:`NeuralPredictor.decisions` reports the smallest ``|logit|`` seen, the margin of every threshold.
"""

from __future__ import annotations

import math

import numpy as np

from machines.neural.config import ModelConfig
from machines.neural.layers import Params
from machines.neural.model import Outputs, Transformer
from machines.predictor import Prediction

__all__ = ["NeuralPredictor", "WindowTable", "table_supported"]

LOCAL_FROM = 64  # use the O(L * window) / O(L * block) attention from this length on


def table_supported(cfg: ModelConfig, max_entries: int = 400_000) -> bool:
    """Whether :class:`WindowTable` can compile ``cfg`` exactly (and to at most ``max_entries`` contexts)."""
    if cfg.n_layers != 1 or cfg.window is None or cfg.causal:
        return False
    if cfg.global_first and cfg.rotary is not None:
        if any(not (math.isclose(t % (2 * math.pi), 0.0, abs_tol=1e-12) or t == math.pi) for t in cfg.rotary):
            return False
    n = (cfg.vocab_size + 1) ** (2 * cfg.window + 1)
    if cfg.global_first:
        n *= 1 + 2 * cfg.vocab_size
    return n <= max_entries


def _decide(out: Outputs, mask_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tok = out.token.copy()
    tok[..., mask_id] = -np.inf
    return tok.argmax(axis=-1), out.ctrl > 0, np.abs(out.ctrl).min(axis=-1)


class WindowTable:
    """Every output of a one-layer windowed model, indexed by the local context (see the module docstring).

    Examples
    --------
    >>> cfg = ModelConfig(vocab_size=3, mask_id=0, d_model=4, window=1)
    >>> net = Transformer(cfg); params = net.init(np.random.default_rng(0), np.float64)
    >>> WindowTable(cfg, params).near_ctrl.shape
    (64, 3)
    """

    def __init__(self, cfg: ModelConfig, params: Params) -> None:
        if not table_supported(cfg):
            raise ValueError("WindowTable needs a one-layer windowed model (see table_supported)")
        self.cfg = cfg
        V, K = cfg.vocab_size, cfg.window
        assert K is not None
        self.base = V + 1  # symbol V = absent
        W = 2 * K + 1
        codes = np.arange(self.base**W)
        digits = (codes[:, None] // (self.base ** np.arange(W))[None, :]) % self.base  # (N, W), digit o+K
        net = Transformer(cfg)
        # near contexts: the window alone, centre at index K
        tokens = np.where(digits == V, 0, digits)
        out, _ = net.forward(params, tokens, digits != V)
        self.near_tok, self.near_ctrl, self.near_margin = (a[:, K] for a in _decide(out, cfg.mask_id))
        self.far_tok = self.far_ctrl = self.far_margin = None
        if cfg.global_first:
            # far contexts: token f at position 0, absent filler, the window centred at c > K with c = parity (mod 2)
            ft, fc, fm = [], [], []
            for f in range(V):
                row_t, row_c, row_m = [], [], []
                for parity in (0, 1):
                    c = W + ((parity - W) % 2)
                    L = c + K + 1
                    toks = np.zeros((codes.size, L), dtype=np.int64)
                    valid = np.zeros((codes.size, L), dtype=bool)
                    toks[:, 0], valid[:, 0] = f, True
                    toks[:, c - K:], valid[:, c - K:] = tokens, digits != V
                    o, _ = net.forward(params, toks, valid)
                    t, cc, m = (a[:, c] for a in _decide(o, cfg.mask_id))
                    row_t.append(t)
                    row_c.append(cc)
                    row_m.append(m)
                ft.append(row_t)
                fc.append(row_c)
                fm.append(row_m)
            self.far_tok, self.far_ctrl, self.far_margin = np.array(ft), np.array(fc), np.array(fm)

    def lookup(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """``(argmax tokens (L,), control bits (L, 3), smallest |control logit|)`` for one sequence ``x``."""
        K = self.cfg.window
        assert K is not None
        L = x.shape[0]
        xp = np.concatenate([np.full(K, self.base - 1), x, np.full(K, self.base - 1)])
        code = np.zeros(L, dtype=np.int64)
        for o in range(2 * K, -1, -1):
            code = code * self.base + xp[o:o + L]
        tok, ctrl, margin = self.near_tok[code], self.near_ctrl[code], self.near_margin[code]
        if self.far_tok is not None and L > K + 1:
            assert self.far_ctrl is not None and self.far_margin is not None
            far = np.arange(K + 1, L)
            f, par, cf = int(x[0]), far % 2, code[K + 1:]
            tok = tok.copy()
            ctrl = ctrl.copy()
            margin = margin.copy()
            tok[K + 1:] = self.far_tok[f, par, cf]
            ctrl[K + 1:] = self.far_ctrl[f, par, cf]
            margin[K + 1:] = self.far_margin[f, par, cf]
        return tok, ctrl, float(margin.min()) if L else math.inf


class NeuralPredictor:
    """A trained model as ``predictor(x, rng) -> Prediction`` (argmax tokens, thresholds 0.5).

    Parameters
    ----------
    config, params
        The model; ``params`` are copied and cast to float64.
    use_table : bool
        Compile a :class:`WindowTable` when the model supports it (default True).

    Examples
    --------
    >>> cfg = ModelConfig(vocab_size=3, mask_id=0, d_model=4, window=1)
    >>> params = Transformer(cfg).init(np.random.default_rng(0))
    >>> pred = NeuralPredictor(config=cfg, params=params)
    >>> p = pred(np.array([1, 0, 2]), np.random.default_rng(0))
    >>> p.y.tolist()[0], p.remask.tolist()
    (1, [False, False, False])
    """

    def __init__(self, *, config: ModelConfig, params: Params, use_table: bool = True) -> None:
        self.cfg = config
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self.net = Transformer(config)
        self.table = WindowTable(config, self.params) if use_table and table_supported(config) else None

    def forward(self, x: np.ndarray) -> Outputs:
        """Logits of the plain forward on one sequence (the local forward for long inputs of a windowed or chunked
        model)."""
        x = np.asarray(x, dtype=np.int64)[None, :]
        windowed = self.cfg.window is not None or self.cfg.block is not None
        out, _ = self.net.forward(self.params, x, np.ones(x.shape, bool), local=windowed and x.shape[1] >= LOCAL_FROM)
        return Outputs(out.token[0], out.ctrl[0])

    def decisions(self, x: np.ndarray, *, use_table: bool = True) -> tuple[np.ndarray, np.ndarray, float]:
        """``(argmax tokens, control bits (L, 3), margin)`` from the table if available, else the forward."""
        x = np.asarray(x, dtype=np.int64)
        if x.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 3), dtype=bool), math.inf
        if self.table is not None and use_table:
            return self.table.lookup(x)
        tok, ctrl, margin = _decide(self.forward(x), self.cfg.mask_id)
        return tok, ctrl, float(margin.min()) if x.size else math.inf

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        x = np.asarray(x, dtype=np.int64)
        tok, ctrl, _ = self.decisions(x)
        y = np.where(x == self.cfg.mask_id, tok, x)
        return Prediction(y=y, remask=ctrl[:, 0], insert=ctrl[:, 1], delete=ctrl[:, 2])
