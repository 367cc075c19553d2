"""A single-processor interpreter of the numpy Transformer's forward pass, one scalar operation at a time (Theorem 2).

:func:`serial_logits` computes the token logits of :class:`machines.neural.model.Transformer` (pre-LN encoder:
embedding, ``L`` blocks of layer norm -> multi-head attention -> residual -> layer norm -> GELU-tanh MLP ->
residual, final layer norm, token head) on one sequence with plain Python floats.  Every multiply, add (or
subtract), divide, exp, tanh, square root, cosine/sine and comparison goes through an :class:`ALU` method that
performs it and counts it, so the count is what was executed.  Loads, stores and loop/index bookkeeping are not
counted: on a RAM they cost O(1) per counted operation.

:func:`forward_counts` is the exact closed form of those counts as a function of the sequence length and the
configuration; tests check it equals the interpreter's tally on hypothesis-drawn configurations.

Supported configurations: full bidirectional attention (``window=None``, ``causal=False``), any ``rel_clip`` and
``rotary`` (the two relative-position schemes of :mod:`machines.neural.config`).  The interpreter computes the same
function as the vectorised model up to floating-point rounding (summation order differs from BLAS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from machines.neural.config import ModelConfig
from machines.neural.layers import Params
from reductions.errors import UnsupportedProgram

__all__ = ["ALU", "OpCounts", "check_supported", "forward_counts", "forward_terms", "serial_logits"]

_GELU_C = math.sqrt(2.0 / math.pi)
_LN_EPS = 1e-5


@dataclass(frozen=True, slots=True)
class OpCounts:
    """Scalar operations by kind; ``add`` includes subtractions, ``trig`` cosines and sines, ``cmp`` comparisons,
    ``floor`` roundings down to an integer.

    Examples
    --------
    >>> (OpCounts(add=2, mul=1) + OpCounts(cmp=4)).total
    7
    """

    add: int = 0
    mul: int = 0
    div: int = 0
    exp: int = 0
    tanh: int = 0
    sqrt: int = 0
    trig: int = 0
    cmp: int = 0
    floor: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __add__(self, other: OpCounts) -> OpCounts:
        return OpCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def times(self, k: int) -> OpCounts:
        return OpCounts(**{f.name: getattr(self, f.name) * k for f in fields(self)})

    def to_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"total": self.total}


class ALU:
    """The single processor: each method performs ONE scalar operation and counts it.

    Examples
    --------
    >>> alu = ALU()
    >>> alu.add(alu.mul(2.0, 3.0), 1.0), alu.counts()
    (7.0, OpCounts(add=1, mul=1, div=0, exp=0, tanh=0, sqrt=0, trig=0, cmp=0, floor=0))
    """

    __slots__ = ("n_add", "n_mul", "n_div", "n_exp", "n_tanh", "n_sqrt", "n_trig", "n_cmp", "n_floor")

    def __init__(self) -> None:
        self.n_add = self.n_mul = self.n_div = self.n_exp = self.n_tanh = self.n_sqrt = self.n_trig = self.n_cmp = 0
        self.n_floor = 0

    def add(self, a: float, b: float) -> float:
        self.n_add += 1
        return a + b

    def sub(self, a: float, b: float) -> float:
        self.n_add += 1
        return a - b

    def mul(self, a: float, b: float) -> float:
        self.n_mul += 1
        return a * b

    def div(self, a: float, b: float) -> float:
        self.n_div += 1
        return a / b

    def exp(self, a: float) -> float:
        self.n_exp += 1
        return math.exp(a)

    def tanh(self, a: float) -> float:
        self.n_tanh += 1
        return math.tanh(a)

    def sqrt(self, a: float) -> float:
        self.n_sqrt += 1
        return math.sqrt(a)

    def cos(self, a: float) -> float:
        self.n_trig += 1
        return math.cos(a)

    def sin(self, a: float) -> float:
        self.n_trig += 1
        return math.sin(a)

    def gt(self, a: float, b: float) -> bool:
        self.n_cmp += 1
        return a > b

    def eq(self, a: float, b: float) -> bool:
        self.n_cmp += 1
        return a == b

    def floor(self, a: float) -> float:
        self.n_floor += 1
        return float(math.floor(a))

    def counts(self) -> OpCounts:
        return OpCounts(add=self.n_add, mul=self.n_mul, div=self.n_div, exp=self.n_exp, tanh=self.n_tanh,
                        sqrt=self.n_sqrt, trig=self.n_trig, cmp=self.n_cmp, floor=self.n_floor)


def check_supported(cfg: ModelConfig) -> None:
    """Refuse configurations the interpreter does not cover (windowed or causal attention)."""
    problems = []
    if cfg.window is not None:
        problems.append(f"window must be None (full attention), got {cfg.window}")
    if cfg.causal:
        problems.append("causal attention is an ARM's, not an MDM's")
    if problems:
        raise UnsupportedProgram("the serial interpreter supports full bidirectional attention only: "
                                 + "; ".join(problems))


Vec = list[float]
Mat = list[list[float]]


def _linear(alu: ALU, x: Vec, w: Mat, b: Vec) -> Vec:
    """``x @ W + b``: d_in*d_out multiplies, d_out*(d_in + 1) adds."""
    out = []
    for j in range(len(b)):
        acc = 0.0
        for i in range(len(x)):
            acc = alu.add(acc, alu.mul(x[i], w[i][j]))
        out.append(alu.add(acc, b[j]))
    return out


def _layer_norm(alu: ALU, x: Vec, g: Vec, b: Vec) -> Vec:
    """(4d + 1) adds, 3d multiplies, 3 divides, 1 square root."""
    d = len(x)
    s = 0.0
    for v in x:
        s = alu.add(s, v)
    mu = alu.div(s, float(d))
    xc = [alu.sub(v, mu) for v in x]
    acc = 0.0
    for v in xc:
        acc = alu.add(acc, alu.mul(v, v))
    rstd = alu.div(1.0, alu.sqrt(alu.add(alu.div(acc, float(d)), _LN_EPS)))
    return [alu.add(alu.mul(alu.mul(v, rstd), g[c]), b[c]) for c, v in enumerate(xc)]


def _gelu(alu: ALU, a: float) -> float:
    """GELU-tanh: 6 multiplies, 2 adds, 1 tanh."""
    inner = alu.mul(_GELU_C, alu.add(a, alu.mul(0.044715, alu.mul(alu.mul(a, a), a))))
    return alu.mul(alu.mul(0.5, a), alu.add(1.0, alu.tanh(inner)))


def _rotate(alu: ALU, x: Vec, cos: Vec, sin: Vec) -> Vec:
    """Half-split rotation of one head vector: per pair 4 multiplies and 2 adds."""
    r = len(cos)
    lo = [alu.sub(alu.mul(x[c], cos[c]), alu.mul(x[c + r], sin[c])) for c in range(r)]
    hi = [alu.add(alu.mul(x[c], sin[c]), alu.mul(x[c + r], cos[c])) for c in range(r)]
    return lo + hi


def _attention(alu: ALU, cfg: ModelConfig, p: dict[str, Any], pre: str, a: Mat) -> Mat:
    S, d, H, dh = len(a), cfg.d_model, cfg.n_heads, cfg.head_dim
    qkv = [_linear(alu, row, p[pre + "qkv.w"], p[pre + "qkv.b"]) for row in a]
    q = [[row[h * dh:(h + 1) * dh] for h in range(H)] for row in qkv]
    k = [[row[d + h * dh:d + (h + 1) * dh] for h in range(H)] for row in qkv]
    v = [[row[2 * d + h * dh:2 * d + (h + 1) * dh] for h in range(H)] for row in qkv]
    if cfg.rotary is not None:
        tables = []
        for pos in range(S):
            ang = [alu.mul(float(pos), th) for th in cfg.rotary]
            tables.append(([alu.cos(t) for t in ang], [alu.sin(t) for t in ang]))
        q = [[_rotate(alu, q[i][h], *tables[i]) for h in range(H)] for i in range(S)]
        k = [[_rotate(alu, k[i][h], *tables[i]) for h in range(H)] for i in range(S)]
    scale = alu.div(1.0, alu.sqrt(float(dh)))
    rel = p.get(pre + "rel")
    C = cfg.rel_clip
    heads_out = [[0.0] * d for _ in range(S)]
    for h in range(H):
        for i in range(S):
            s = []
            for j in range(S):
                acc = 0.0
                for c in range(dh):
                    acc = alu.add(acc, alu.mul(q[i][h][c], k[j][h][c]))
                sc = alu.mul(acc, scale)
                if rel is not None:
                    sc = alu.add(sc, rel[h][min(max(j - i, -C), C) + C])
                s.append(sc)
            mx = s[0]
            for j in range(1, S):
                if alu.gt(s[j], mx):
                    mx = s[j]
            e = [alu.exp(alu.sub(sj, mx)) for sj in s]
            tot = 0.0
            for ej in e:
                tot = alu.add(tot, ej)
            pr = [alu.div(ej, tot) for ej in e]
            for c in range(dh):
                acc = 0.0
                for j in range(S):
                    acc = alu.add(acc, alu.mul(pr[j], v[j][h][c]))
                heads_out[i][h * dh + c] = acc
    return [_linear(alu, row, p[pre + "o.w"], p[pre + "o.b"]) for row in heads_out]


def _as_lists(params: Params) -> dict[str, Any]:
    return {name: np.asarray(a, dtype=np.float64).tolist() for name, a in params.items()}


def serial_logits(alu: ALU, cfg: ModelConfig, params: Params | dict[str, Any], x: list[int]) -> Mat:
    """Token logits ``(S, V)`` of the Transformer on ``x``, computed serially on ``alu``.

    ``params`` may be the model's numpy dict (converted once) or an already converted dict of lists.

    Examples
    --------
    >>> from machines.neural.model import Transformer
    >>> cfg = ModelConfig(vocab_size=3, mask_id=0, d_model=4, n_heads=2, rel_clip=1)
    >>> params = {k: np.random.default_rng(1).normal(size=s) for k, s in Transformer(cfg).shapes().items()}
    >>> alu = ALU()
    >>> ser = serial_logits(alu, cfg, params, [1, 0, 2])
    >>> vec = Transformer(cfg).forward(params, np.array([[1, 0, 2]]), np.ones((1, 3), bool))[0].token[0]
    >>> bool(np.allclose(ser, vec, rtol=1e-12, atol=1e-12)), alu.counts() == forward_counts(3, cfg)
    (True, True)

    Notes
    -----
    Exactly :func:`forward_counts` operations, ``O(L * (S^2 d + S d^2 + S d V))``.  Serves Theorem 2.
    """
    check_supported(cfg)
    p: dict[str, Any] = params if all(isinstance(a, list) for a in params.values()) else _as_lists(params)
    emb = p["tok.w"]
    h: Mat = [list(emb[t]) for t in x]
    for li in range(cfg.n_layers):
        pre = f"b{li}."
        a = [_layer_norm(alu, row, p[pre + "ln1.g"], p[pre + "ln1.b"]) for row in h]
        att = _attention(alu, cfg, p, pre + "attn.", a)
        h = [[alu.add(hv, av) for hv, av in zip(hr, ar, strict=True)] for hr, ar in zip(h, att, strict=True)]
        m = [_layer_norm(alu, row, p[pre + "ln2.g"], p[pre + "ln2.b"]) for row in h]
        y = []
        for row in m:
            hid = [_gelu(alu, t) for t in _linear(alu, row, p[pre + "mlp.fc.w"], p[pre + "mlp.fc.b"])]
            y.append(_linear(alu, hid, p[pre + "mlp.proj.w"], p[pre + "mlp.proj.b"]))
        h = [[alu.add(hv, yv) for hv, yv in zip(hr, yr, strict=True)] for hr, yr in zip(h, y, strict=True)]
    f = [_layer_norm(alu, row, p["lnf.g"], p["lnf.b"]) for row in h]
    return [_linear(alu, row, p["head.tok.w"], p["head.tok.b"]) for row in f]


def forward_counts(S: int, cfg: ModelConfig) -> OpCounts:
    """The exact number of operations :func:`serial_logits` performs on a sequence of length ``S``.

    Examples
    --------
    >>> forward_counts(2, ModelConfig(vocab_size=3, mask_id=0, d_model=2, n_heads=1)).total
    580

    Notes
    -----
    With ``d`` width, ``H`` heads, ``m`` MLP width, ``V`` vocabulary, ``R = d/(2H)`` rotary pairs, per layer:
    linear maps ``S*(3d*d + d*d + 2*d*m)`` multiplies; attention ``S^2*(d + H)`` multiplies for scores and
    ``S^2*d`` for the weighted sum; softmax ``H*S^2`` exps and divides; GELU ``S*m`` tanh.  Serves Theorem 2.
    """
    R = 0 if cfg.rotary is None else len(cfg.rotary)
    terms = forward_terms(S, d=cfg.d_model, H=cfg.n_heads, m=cfg.mlp_dim, V=cfg.vocab_size, L=cfg.n_layers,
                          rel=1 if cfg.rel_clip > 0 else 0, R=R)
    return OpCounts(**{k: int(v) for k, v in terms.items()})


def forward_terms(S: Any, *, d: Any, H: Any, m: Any, V: Any, L: Any, rel: Any, R: Any) -> dict[str, Any]:
    """:func:`forward_counts` by kind, for any numbers (ints, or sympy symbols for the Theorem 2 bound)."""
    dh = d / H if not isinstance(d, int) or not isinstance(H, int) else d // H

    def lin(n_in: Any, n_out: Any) -> dict[str, Any]:
        return {"add": S * n_out * (n_in + 1), "mul": S * n_in * n_out}

    parts = [
        # two layer norms per layer
        {"add": 2 * S * (4 * d + 1), "mul": 2 * S * 3 * d, "div": 2 * 3 * S, "sqrt": 2 * S},
        lin(d, 3 * d), lin(d, d), {"sqrt": 1, "div": 1},
        {"mul": H * S * S * (dh + 1) + S * S * d, "add": H * S * S * dh + rel * H * S * S + S * S * d},
        {"cmp": H * S * (S - 1), "add": 2 * H * S * S, "exp": H * S * S, "div": H * S * S},
        {"mul": S * R + 8 * S * H * R, "add": 4 * S * H * R, "trig": 2 * S * R},
        lin(d, m), lin(m, d), {"mul": 6 * S * m, "add": 2 * S * m, "tanh": S * m},
        {"add": 2 * S * d},  # residuals
    ]
    out: dict[str, Any] = {k: 0 for k in ("add", "mul", "div", "exp", "tanh", "sqrt", "trig", "cmp", "floor")}
    for part in parts:
        for k, v in part.items():
            out[k] = out[k] + L * v
    for part in ({"add": S * (4 * d + 1), "mul": S * 3 * d, "div": 3 * S, "sqrt": S}, lin(d, V)):
        for k, v in part.items():
            out[k] = out[k] + v
    return out
