"""Theorem 2: MDM decoding with context S runs on ONE processor in O(S^3 log S) scalar operations.

The paper states ``MDM(S(n)) ⊆ PRAM(1, Õ(S(n)^3))`` (PAPER.md §2, Theorem 2); the argument below is the project's
reconstruction of the reason given there [I]:

1. **At most S productive steps.**  Every MDM step unmasks at least one mask and a decoded token is frozen (the
   machine's discipline refuses an empty step), so a run has at most ``#masks(x_0) <= S`` steps.
2. **Each step is one forward pass**: ``L`` layers over ``S`` positions of width ``d``, i.e.
   ``O(L (S^2 d + S d^2 + S d V))`` scalar operations, plus ``O(S^2 + S V)`` to pick the tokens to unmask.
3. With ``L``, heads and ``V`` fixed and ``d = O(log S)`` (log precision), the total is ``<= c * S^3 * log2 S``
   with the explicit constant of :func:`bound_constant`.

This module makes each point executable.  :class:`TransformerMDMPredictor` is the vectorised MDM predictor (the
numpy model of :mod:`machines.neural`, any weights: random weights are a legitimate MDM) run by
:class:`machines.paradigms.MDM`.  :func:`serial_decode` is the single-processor interpreter of the same decoding:
the mask test, the forward pass (:func:`reductions.serial_transformer.serial_logits`), the argmax, the confidences
and the choice of the ``k`` most confident masks -- every scalar operation performed and counted on an
:class:`~reductions.serial_transformer.ALU`.  :func:`serial_ops` is the exact closed form of that count.

Decoding rule (both implementations): at every position the token is the argmax of the logits with MASK excluded
(lowest id on ties) and the confidence is its softmax probability ``1 / sum_t exp(l_t - l_best)``, read on the grid
``floor(p * 2^30)`` (:data:`CONF_GRID`); the ``k`` masked positions of highest grid confidence are unmasked (lowest
position on ties).  The grid makes mathematical ties (e.g. an all-mask canvas, where every position computes the
same function of identical tokens) real ties, which floating-point noise in the last bits -- different in BLAS and
in serial summation -- would otherwise break at random.  A disagreement remains possible only when a confidence
falls within ~1e-15 of a grid point; :class:`SerialRun` reports the margins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from machines.neural.config import ModelConfig, standard_rotary
from machines.neural.layers import Params
from machines.neural.model import Transformer
from machines.predictor import Prediction
from machines.vocab import Vocabulary, simple_vocabulary
from reductions.errors import InvalidInstance
from reductions.serial_transformer import ALU, OpCounts, check_supported, forward_counts, forward_terms, serial_logits

__all__ = ["CONF_GRID", "THM2_VOCAB", "SerialRun", "TransformerMDMPredictor", "bound_constant", "decode_step_counts",
           "decode_terms", "model_config", "random_params", "serial_decode", "serial_ops", "start_sequence",
           "transformer_aomdm_case", "width_for"]

#: Confidences are compared as ``floor(p * CONF_GRID)`` (an exact scaling by a power of two, then an integer).
CONF_GRID = float(2**30)
#: ``[MASK]`` = 0 and four tokens.
THM2_VOCAB: Vocabulary = simple_vocabulary(["a", "b", "c", "d"])


def width_for(S: int, heads: int) -> int:
    """``d = 2H * ceil(ceil(log2 S) / 2H)``: the smallest multiple of ``2H`` that is ``>= log2 S`` (so ``d =
    O(log S)``, ``d < log2 S + 2H``, and the head width is even for rotary embeddings).

    Examples
    --------
    >>> [width_for(S, 2) for S in (2, 16, 32, 256, 4096)]
    [4, 4, 8, 8, 12]
    """
    bits = max(1, (S - 1).bit_length())
    return 2 * heads * -(-bits // (2 * heads))


def model_config(S: int, *, layers: int = 2, heads: int = 2, vocab_size: int = 5, rel_clip: int = 2,
                 rotary: bool = True) -> ModelConfig:
    """The Theorem 2 encoder for context ``S``: width :func:`width_for`, MLP ``4d``, relative positions only."""
    d = width_for(S, heads)
    return ModelConfig(vocab_size=vocab_size, mask_id=0, d_model=d, n_heads=heads, n_layers=layers,
                       rel_clip=rel_clip, rotary=standard_rotary(d // heads) if rotary else None)


def random_params(cfg: ModelConfig, seed: int) -> Params:
    """Random float64 weights (matrices ``N(0, 1/fan_in)``, embeddings ``N(0, 1)``, gains ``1 + N(0, 0.1)``)."""
    rng = np.random.default_rng(seed)
    out: Params = {}
    for name, shape in Transformer(cfg).shapes().items():
        if name.endswith(".g"):
            a = 1.0 + rng.normal(0.0, 0.1, size=shape)
        elif name == "tok.w":
            a = rng.normal(0.0, 1.0, size=shape)
        elif name.endswith(".w"):
            a = rng.normal(0.0, 1.0 / math.sqrt(shape[0]), size=shape)
        else:
            a = rng.normal(0.0, 0.3, size=shape)
        out[name] = np.asarray(a, dtype=np.float64)
    return out


def start_sequence(S: int, vocab_size: int, seed: int, prompt: int | None = None) -> np.ndarray:
    """``prompt`` random tokens (default ``S // 4``) followed by masks, length ``S``."""
    p = S // 4 if prompt is None else prompt
    if not 0 <= p <= S:
        raise InvalidInstance(f"prompt length must be in [0, {S}], got {p}")
    x = np.zeros(S, dtype=np.int64)
    x[:p] = np.random.default_rng(seed).integers(1, vocab_size, p)
    return x


def _choose(conf: np.ndarray, is_mask: np.ndarray, k: int) -> np.ndarray:
    c = np.where(is_mask, conf, -np.inf)
    order = np.lexsort((np.arange(c.size), -c))
    unmask = np.zeros(c.size, dtype=np.bool_)
    unmask[order[:min(k, int(is_mask.sum()))]] = True
    return unmask


@dataclass(frozen=True, eq=False)
class TransformerMDMPredictor:
    """The vectorised MDM predictor: one forward pass of the numpy Transformer, unmask the ``k`` most confident masks.

    Examples
    --------
    >>> from machines.paradigms import MDM
    >>> cfg = model_config(8)
    >>> f = TransformerMDMPredictor(cfg=cfg, params=random_params(cfg, 0), k=2)
    >>> r = MDM(vocab=THM2_VOCAB, predictor=f).run(start_sequence(8, 5, 0))
    >>> r.counters.steps, serial_decode(cfg, f.params, start_sequence(8, 5, 0), k=2).final == tuple(r.final)
    (3, True)

    Notes
    -----
    One vectorised forward pass per call.  Serves Theorems 2 and 3 (with ``k = 1`` it is an AO-MDM predictor).
    """

    cfg: ModelConfig
    params: Params
    k: int = 1
    net: Transformer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        check_supported(self.cfg)
        if self.k < 1:
            raise InvalidInstance(f"k (tokens per step) must be >= 1, got {self.k}")
        object.__setattr__(self, "net", Transformer(self.cfg))

    def decide(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(argmax tokens, grid confidences floor(p * CONF_GRID))`` at every position."""
        xa = np.asarray(x, dtype=np.int64)
        out, _ = self.net.forward(self.params, xa[None, :], np.ones((1, xa.size), dtype=np.bool_))
        logits = out.token[0].copy()
        logits[:, self.cfg.mask_id] = -np.inf
        best = logits.argmax(axis=1)
        conf = 1.0 / np.exp(logits - logits[np.arange(xa.size), best][:, None]).sum(axis=1)
        return best, np.floor(conf * CONF_GRID)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        xa = np.asarray(x, dtype=np.int64)
        best, conf = self.decide(xa)
        is_mask = xa == self.cfg.mask_id
        return Prediction(y=np.where(is_mask, best, xa), unmask=_choose(conf, is_mask, self.k))


@dataclass(frozen=True, slots=True)
class SerialRun:
    """Result of :func:`serial_decode`: the final sequence, the steps, the operation counts, and decision margins.

    ``min_token_gap`` is the smallest gap between the best and second-best logit over the decoded positions;
    ``min_choice_gap`` the smallest grid-confidence gap (a multiple of ``1/CONF_GRID``) between the last chosen and
    the first unchosen mask (0 = a tie broken by position).  The vectorised model differs by ~1e-15 in the logits.
    """

    final: tuple[int, ...]
    steps: int
    counts: OpCounts
    min_token_gap: float
    min_choice_gap: float


def decode_step_counts(S: int, V: int) -> OpCounts:
    """Operations of one decoding step besides the forward pass (see :func:`serial_decode`).

    Per position: the mask test (1 cmp), the argmax over the ``V - 1`` tokens (``V - 2`` cmps), the confidence
    (``V - 1`` subtractions, exps and adds, 1 divide), its grid value (1 multiply, 1 floor) and the rank against
    every other position (2 cmps and 1 add per pair) compared with ``k`` (1 cmp).
    """
    return OpCounts(**{k: int(v) for k, v in decode_terms(S, V).items()})


def decode_terms(S: Any, V: Any) -> dict[str, Any]:
    """:func:`decode_step_counts` by kind, for any numbers (ints, or sympy symbols)."""
    return {"cmp": S + S * (V - 2) + 2 * S * (S - 1) + S, "add": 2 * S * (V - 1) + S * (S - 1), "exp": S * (V - 1),
            "div": S, "mul": S, "floor": S}


def serial_ops(S: int, cfg: ModelConfig, steps: int) -> OpCounts:
    """Exact closed form of :func:`serial_decode`'s count: ``steps * (forward + decode) + S`` (the final mask test).

    Examples
    --------
    >>> serial_ops(8, model_config(8), 6).total
    92432
    """
    per = forward_counts(S, cfg) + decode_step_counts(S, cfg.vocab_size)
    return per.times(steps) + OpCounts(cmp=S)


def serial_decode(cfg: ModelConfig, params: Params, x0: np.ndarray, *, k: int = 1) -> SerialRun:
    """Decode ``x0`` to the end on one processor, every scalar operation performed and counted.

    Notes
    -----
    Exactly :func:`serial_ops` operations; at most ``#masks(x0) <= S`` steps.  Serves Theorem 2.
    """
    check_supported(cfg)
    alu = ALU()
    plist = {name: np.asarray(a, dtype=np.float64).tolist() for name, a in params.items()}
    x = [int(t) for t in x0]
    S, M = len(x), cfg.mask_id
    tokens = [t for t in range(cfg.vocab_size) if t != M]
    steps, tok_gap, choice_gap = 0, math.inf, math.inf
    while True:
        is_mask = [alu.eq(t, M) for t in x]
        if not any(is_mask):
            break
        logits = serial_logits(alu, cfg, plist, x)
        best, conf = [], []
        for i in range(S):
            row, b = logits[i], tokens[0]
            for t in tokens[1:]:
                if alu.gt(row[t], row[b]):
                    b = t
            acc = 0.0
            for t in tokens:
                acc = alu.add(acc, alu.exp(alu.sub(row[t], row[b])))
            best.append(b)
            ci = alu.floor(alu.mul(alu.div(1.0, acc), CONF_GRID))
            conf.append(ci if is_mask[i] else -math.inf)  # decoded positions never compete
            if is_mask[i] and len(tokens) > 1:
                tok_gap = min(tok_gap, row[b] - max(row[t] for t in tokens if t != b))
        chosen = []
        for i in range(S):
            rank = 0
            for j in range(S):
                if j != i:
                    beats = alu.gt(conf[j], conf[i]) | (alu.eq(conf[j], conf[i]) & (j < i))
                    rank = int(alu.add(rank, int(beats)))
            if alu.gt(k, rank) and is_mask[i]:
                chosen.append(i)
        rest = [conf[i] for i in range(S) if is_mask[i] and i not in chosen]
        if rest:
            choice_gap = min(choice_gap, (min(conf[i] for i in chosen) - max(rest)) / CONF_GRID)
        for i in chosen:
            x[i] = best[i]
        steps += 1
    return SerialRun(final=tuple(x), steps=steps, counts=alu.counts(), min_token_gap=tok_gap,
                     min_choice_gap=choice_gap)


def bound_constant(*, layers: int = 2, heads: int = 2, vocab_size: int = 5, rel: bool = True, rotary: bool = True,
                   mlp_mult: int = 4, s0: int = 4) -> int:
    """An explicit ``c`` with ``serial_ops(S, model_config(S, ...), steps) <= c * S^3 * log2 S`` for all ``S >= s0``.

    Derivation (exact, with sympy; ``s0 >= 3``): every count is increasing in ``d``, ``steps <= S`` and
    ``d < l + 2H`` with ``l = log2 S``, so the total is at most ``P(S, l) = S * F(S, d = l + 2H) + S``, a polynomial.
    Drop its negative terms.  A positive monomial ``a S^i l^j`` equals ``a f(S) S^3 l`` with ``f = S^(i-3) l^(j-1)``;
    when ``i <= 3`` and ``i + j <= 4``, ``f = (l/S)^(j-1) S^(i+j-4)`` (or ``S^(i-3)/l`` for ``j = 0``) is
    non-increasing for ``S >= 3`` (``log2(S)/S`` decreases there), so ``f(S) <= f(s0)``.  Hence
    ``c = ceil(sum a f(s0))``.  Any other monomial would not be O(S^3 log S): it raises.

    Examples
    --------
    >>> bound_constant(), bound_constant(s0=64) < bound_constant()
    (376, True)
    """
    if s0 < 3:
        raise InvalidInstance(f"s0 must be >= 3 (log2(S)/S decreases from there), got {s0}")
    S, l = sp.symbols("S l", positive=True)
    d = l + 2 * heads
    terms = forward_terms(S, d=d, H=heads, m=mlp_mult * d, V=vocab_size, L=layers, rel=int(rel),
                          R=d / (2 * heads) if rotary else 0)
    per_step = sum(terms.values()) + sum(decode_terms(S, vocab_size).values())
    total = sp.expand(S * per_step + S)
    L0 = sp.log(s0, 2)
    c = sp.Integer(0)
    for (i, j), a in sp.Poly(total, S, l).terms():
        if a <= 0:
            continue
        if i > 3 or (j >= 1 and i + j > 4):
            raise ValueError(f"monomial S^{i} l^{j} is not O(S^3 log S)")
        c += a * sp.Integer(s0) ** (i - 3) * (L0 ** (j - 1) if j >= 1 else 1 / L0)
    return int(sp.ceiling(c))


def transformer_aomdm_case(S: int, seed: int) -> tuple[str, TransformerMDMPredictor, Vocabulary, np.ndarray]:
    """A Transformer with random weights decoding one token per step: an AO-MDM case for Theorem 3."""
    cfg = model_config(S)
    pred = TransformerMDMPredictor(cfg=cfg, params=random_params(cfg, seed), k=1)
    return f"transformer AO-MDM S={S}", pred, THM2_VOCAB, start_sequence(S, cfg.vocab_size, seed)
