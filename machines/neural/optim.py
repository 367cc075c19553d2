"""AdamW with linear warm-up (then constant, as the official configs) and global-norm gradient clipping.

The optimiser state (step count, first and second moments) is a plain dict of arrays so that checkpoints can save
it and a resumed run continues exactly as the uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from machines.neural.config import TrainConfig
from machines.neural.layers import Grads, Params

__all__ = ["AdamW", "clip_by_global_norm", "lr_at"]


def lr_at(cfg: TrainConfig, step: int) -> float:
    """Learning rate at (1-based) update ``step``: linear warm-up over ``cfg.warmup`` updates, then ``cfg.lr``.

    Examples
    --------
    >>> cfg = TrainConfig(lr=1.0, warmup=4)
    >>> [lr_at(cfg, s) for s in (1, 2, 4, 9)]
    [0.25, 0.5, 1.0, 1.0]
    """
    if cfg.warmup and step < cfg.warmup:
        return cfg.lr * step / cfg.warmup
    return cfg.lr


def clip_by_global_norm(grads: Grads, max_norm: float) -> tuple[Grads, float]:
    """Scale every gradient by ``min(1, max_norm / ||g||)``; returns the clipped grads and the original norm.

    Examples
    --------
    >>> g, n = clip_by_global_norm({"a": np.array([3.0, 4.0])}, 1.0)
    >>> n, g["a"].tolist()
    (5.0, [0.6, 0.8])
    """
    norm = float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values())))
    if norm > max_norm:
        s = max_norm / (norm + 1e-12)
        grads = {k: (g * s).astype(g.dtype) for k, g in grads.items()}
    return grads, norm


@dataclass
class AdamW:
    """Decoupled weight decay Adam (Loshchilov & Hutter); decay applies to matrices (``ndim >= 2``) only.

    Examples
    --------
    >>> opt = AdamW(TrainConfig(lr=0.1, warmup=0))
    >>> p = {"w": np.array([1.0])}
    >>> opt.update(p, {"w": np.array([2.0])})
    >>> round(float(p["w"][0]), 6)
    0.9
    """

    cfg: TrainConfig
    t: int = 0
    m: dict[str, np.ndarray] = field(default_factory=dict)
    v: dict[str, np.ndarray] = field(default_factory=dict)

    def update(self, params: Params, grads: Grads) -> None:
        """One in-place update of ``params`` (clipped first)."""
        c = self.cfg
        grads, _ = clip_by_global_norm(grads, c.clip)
        self.t += 1
        lr = lr_at(c, self.t)
        b1c = 1.0 - c.beta1**self.t
        b2c = 1.0 - c.beta2**self.t
        for name, p in params.items():
            g = grads[name]
            if name not in self.m:
                self.m[name] = np.zeros_like(p)
                self.v[name] = np.zeros_like(p)
            m, v = self.m[name], self.v[name]
            # the same arithmetic, operation for operation, as m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
            # p -= lr (m / b1c) / (sqrt(v / b2c) + eps), on two scratch arrays instead of seven temporaries
            step = g * (1.0 - c.beta1)
            m *= c.beta1
            m += step
            np.multiply(g, g, out=step)
            step *= 1.0 - c.beta2
            v *= c.beta2
            v += step
            if c.weight_decay and p.ndim >= 2:
                p *= 1.0 - lr * c.weight_decay
            den = np.divide(v, b2c, out=step)
            np.sqrt(den, out=den)
            den += c.eps
            num = m / b1c
            num *= lr
            num /= den
            p -= num

    def state_arrays(self) -> dict[str, np.ndarray]:
        out = {f"adam.m.{k}": a for k, a in self.m.items()}
        out |= {f"adam.v.{k}": a for k, a in self.v.items()}
        return out

    def load_arrays(self, t: int, arrays: dict[str, np.ndarray]) -> None:
        self.t = t
        self.m = {k.removeprefix("adam.m."): a.copy() for k, a in arrays.items() if k.startswith("adam.m.")}
        self.v = {k.removeprefix("adam.v."): a.copy() for k, a in arrays.items() if k.startswith("adam.v.")}
