"""Frozen configurations of the numpy Transformer ``f_theta`` and of its training run.

:class:`ModelConfig` fixes the architecture (PAPER.md §3.6 describes the official DDiT; powergen keeps its shape --
pre-LN blocks, GELU-tanh MLP, a token head and three sigmoid control heads -- and drops the unused timestep
conditioning).  Positions are never embedded absolutely: attention sees only relative offsets, through

* ``rel_clip`` -- a learned bias per head and clipped offset ``clip(j - i, -C, C)`` (T5 / Shaw style);
* ``rotary`` -- rotary embeddings with explicit angular frequencies per (head-dim) pair; :func:`standard_rotary`
  gives RoPE's ``base^(-2k/d)`` (the paper's choice), and a frequency of exactly ``pi`` rotates by ``(-1)^offset``;
* ``window`` -- a local attention radius (``None`` = full attention), and ``global_first`` -- position 0 (BOS) is a
  key visible from every query, an "attention sink" that lets a local model see the start of the sequence;
* ``block`` -- chunked (block-local) attention: position 0 is a chunk of its own and positions ``1..B``,
  ``B+1..2B``, ... are the next chunks (:func:`chunk_ids`); a query sees only the keys of its own chunk (and BOS
  with ``global_first``).  The chunks are cut from the *current* positions, so after a deletion the tokens are
  re-chunked -- the re-encoding the paper relies on.

Two structural options for grid tasks (the project's design [I], off by default;
:mod:`machines.neural.structure`):

* ``pool`` -- every ``pool`` consecutive tokens form one position (e.g. the 4 tokens of a Sudoku cell): one
  embedding table per slot, summed; the heads emit ``pool`` token/control predictions per position;
* ``peer_grid`` -- the positions (after pooling) are the cells of a ``b^2 x b^2`` grid (``b = peer_grid``, row
  major), and a query attends only to its peers: the cells of its row, column or ``b x b`` box (itself included).

All of them are recomputed from the current sequence at every AP-MDM step (the paper's positional re-encoding).

:class:`TrainConfig` fixes AdamW, the warm-up, clipping, the batch size and the number of steps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from machines.errors import MachineError

__all__ = ["ModelConfig", "TrainConfig", "standard_rotary", "parity_rotary", "chunk_ids", "override",
           "NeuralConfigError"]


class NeuralConfigError(MachineError, ValueError):
    """A model or training configuration is invalid; the message lists every problem."""


def standard_rotary(head_dim: int, base: float = 10_000.0) -> tuple[float, ...]:
    """RoPE's angular frequencies ``base^(-2k/head_dim)`` for ``k < head_dim/2``.

    Examples
    --------
    >>> standard_rotary(4)
    (1.0, 0.01)
    """
    return tuple(float(base ** (-2.0 * k / head_dim)) for k in range(head_dim // 2))


def parity_rotary(head_dim: int, pairs: int = 1) -> tuple[float, ...]:
    """``pairs`` pairs rotating by ``pi`` per position (a ``(-1)^offset`` sign), the other pairs not rotated.

    Examples
    --------
    >>> parity_rotary(4)
    (3.141592653589793, 0.0)
    """
    return tuple(math.pi if k < pairs else 0.0 for k in range(head_dim // 2))


def chunk_ids(length: int, block: int) -> np.ndarray:
    """The chunk of every position ``0..length-1``: 0 for position 0 (BOS), then ``ceil(i / block)``.

    Examples
    --------
    >>> chunk_ids(6, 2).tolist()
    [0, 1, 1, 2, 2, 3]

    Notes
    -----
    ``O(length)``.  Defines ``ModelConfig.block`` (chunked attention).
    """
    return (np.arange(length, dtype=np.int64) + block - 1) // block


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Architecture of the Transformer (keyword-only; validated at construction).

    Examples
    --------
    >>> ModelConfig(vocab_size=5, mask_id=2, d_model=8, n_heads=2, n_layers=1).head_dim
    4
    """

    vocab_size: int
    mask_id: int
    d_model: int = 16
    n_heads: int = 1
    n_layers: int = 1
    d_mlp: int | None = None
    window: int | None = None
    block: int | None = None
    rel_clip: int = 0
    rotary: tuple[float, ...] | None = None
    global_first: bool = False
    causal: bool = False
    init_std: float = 0.02
    ctrl_bias: float = -2.0
    pool: int = 1
    peer_grid: int | None = None

    def __post_init__(self) -> None:
        if self.rotary is not None:
            object.__setattr__(self, "rotary", tuple(float(t) for t in self.rotary))
        problems: list[str] = []
        for name in ("vocab_size", "d_model", "n_heads", "n_layers"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                problems.append(f"{name} must be a positive int, got {getattr(self, name)!r}")
        V = self.vocab_size
        ok_mask = isinstance(self.mask_id, int) and isinstance(V, int) and 0 <= self.mask_id < V
        if isinstance(self.vocab_size, int) and not ok_mask:
            problems.append(f"mask_id must be in [0, vocab_size), got {self.mask_id!r}")
        if isinstance(self.d_model, int) and isinstance(self.n_heads, int) and self.n_heads >= 1:
            if self.d_model % self.n_heads:
                problems.append(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
            elif self.rotary is not None:
                hd = self.d_model // self.n_heads
                if hd % 2 or len(self.rotary) != hd // 2:
                    problems.append(f"rotary needs an even head_dim and head_dim/2 = {hd // 2} frequencies, "
                                    f"got head_dim {hd} and {len(self.rotary)} frequencies")
        if self.d_mlp is not None and (not isinstance(self.d_mlp, int) or self.d_mlp < 1):
            problems.append(f"d_mlp must be a positive int or None, got {self.d_mlp!r}")
        if self.window is not None and (not isinstance(self.window, int) or self.window < 0):
            problems.append(f"window must be a non-negative int or None, got {self.window!r}")
        if self.block is not None and (not isinstance(self.block, int) or self.block < 1):
            problems.append(f"block must be a positive int or None, got {self.block!r}")
        elif self.block is not None and self.window is not None:
            problems.append("window and block cannot be combined (choose a sliding window or chunks)")
        if not isinstance(self.rel_clip, int) or self.rel_clip < 0:
            problems.append(f"rel_clip must be a non-negative int, got {self.rel_clip!r}")
        if not (self.init_std > 0 and math.isfinite(self.init_std)):
            problems.append(f"init_std must be a finite number > 0, got {self.init_std!r}")
        if not math.isfinite(self.ctrl_bias):
            problems.append(f"ctrl_bias must be a finite number, got {self.ctrl_bias!r}")
        if self.rotary is not None and not all(math.isfinite(t) for t in self.rotary):
            problems.append(f"rotary frequencies must be finite, got {list(self.rotary)!r}")
        if self.causal and self.global_first:
            problems.append("causal and global_first cannot be combined")
        if not isinstance(self.pool, int) or isinstance(self.pool, bool) or self.pool < 1:
            problems.append(f"pool must be a positive int, got {self.pool!r}")
        if self.peer_grid is not None:
            if not isinstance(self.peer_grid, int) or isinstance(self.peer_grid, bool) or self.peer_grid < 1:
                problems.append(f"peer_grid must be a positive int (the box side) or None, got {self.peer_grid!r}")
            if self.window is not None or self.block is not None or self.causal or self.global_first:
                problems.append("peer_grid cannot be combined with window, block, causal or global_first")
        if problems:
            raise NeuralConfigError("invalid model config: " + "; ".join(problems))

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def mlp_dim(self) -> int:
        return self.d_mlp if self.d_mlp is not None else 4 * self.d_model

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["rotary"] = None if self.rotary is None else list(self.rotary)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        return _from_json(cls, data)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Optimisation settings: AdamW with linear warm-up to ``lr`` then constant, global-norm clipping.

    Examples
    --------
    >>> TrainConfig(steps=10, batch_size=4).lr
    0.01
    """

    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-2
    warmup: int = 50
    weight_decay: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    clip: float = 1.0
    log_every: int = 10

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("steps", "batch_size", "log_every"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                problems.append(f"{name} must be a positive int, got {getattr(self, name)!r}")
        if not isinstance(self.warmup, int) or self.warmup < 0:
            problems.append(f"warmup must be a non-negative int, got {self.warmup!r}")
        for name in ("lr", "eps", "clip"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not self.weight_decay >= 0:
            problems.append(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                problems.append(f"{name} must be in [0, 1), got {getattr(self, name)!r}")
        if problems:
            raise NeuralConfigError("invalid training config: " + "; ".join(problems))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        return _from_json(cls, data)


def _from_json(cls: Any, data: dict[str, Any]) -> Any:
    if not isinstance(data, dict):
        raise NeuralConfigError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise NeuralConfigError(f"{cls.__name__}: unknown fields {unknown}")
    kwargs = dict(data)
    if kwargs.get("rotary") is not None:
        kwargs["rotary"] = tuple(kwargs["rotary"])
    return cls(**kwargs)


_FIXED = ("vocab_size", "mask_id")  # set by the task, not overridable


def _overridable() -> tuple[str, ...]:
    return tuple(f.name for f in fields(ModelConfig) if f.name not in _FIXED)


def _parse_value(name: str, text: str, kind: str) -> Any:
    t = text.strip().lower()
    if kind == "bool":
        if t in ("true", "1", "yes"):
            return True
        if t in ("false", "0", "no"):
            return False
        raise NeuralConfigError(f"{name} must be true or false, got {text!r}")
    if "None" in kind and t == "none":
        return None
    if name == "rotary":
        if t in ("standard", "parity"):
            return t  # resolved once d_model and n_heads are known
        try:
            return tuple(float(v) for v in t.split(","))
        except ValueError:
            raise NeuralConfigError(f"rotary must be none, standard, parity or comma-separated floats, got {text!r}") \
                from None
    try:
        return float(t) if kind == "float" else int(t)
    except ValueError:
        raise NeuralConfigError(f"{name} must be {'a number' if kind == 'float' else 'an integer'}, got {text!r}") \
            from None


def override(cfg: ModelConfig, assignments: list[str] | tuple[str, ...]) -> ModelConfig:
    """``cfg`` with ``KEY=VALUE`` assignments applied (``powergen train|seeds --model``), validated as a whole.

    Values: integers, numbers for ``init_std``/``ctrl_bias``, ``true``/``false``, ``none`` for ``d_mlp``, ``window``,
    ``block`` and ``rotary``, and for ``rotary`` also ``standard`` (RoPE) or ``parity`` (one ``pi`` pair), resolved
    for the final ``d_model``/``n_heads``, or a comma list.  The order of the assignments does not matter (a key
    given twice keeps its last value); every problem is reported at once.

    Examples
    --------
    >>> base = ModelConfig(vocab_size=5, mask_id=2, d_model=4, block=2)
    >>> c = override(base, ["window=2", "block=none", "rel_clip=2"])
    >>> (c.block, c.window, c.rel_clip)
    (None, 2, 2)
    >>> override(base, ["rotary=parity", "n_heads=2", "d_model=8"]).rotary
    (3.141592653589793, 0.0)
    >>> override(base, ["depth=3", "d_model=x"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    machines.neural.config.NeuralConfigError: unknown model field 'depth' (fields: d_model, ...); d_model must be ...

    Notes
    -----
    ``O(len(assignments))``.  Serves ``powergen train`` and ``powergen seeds``.
    """
    kinds = {f.name: str(f.type) for f in fields(ModelConfig)}
    names = _overridable()
    values = cfg.to_json()
    problems: list[str] = []
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            problems.append(f"expected KEY=VALUE, got {item!r}")
        elif name not in names:
            problems.append(f"unknown model field {name!r} (fields: {', '.join(names)})")
        else:
            try:
                values[name] = _parse_value(name, text, kinds[name])
            except NeuralConfigError as exc:
                problems.append(str(exc))
    if problems:
        raise NeuralConfigError("; ".join(problems))
    if values.get("rotary") in ("standard", "parity"):
        d, h = values["d_model"], values["n_heads"]
        hd = d // h if isinstance(d, int) and isinstance(h, int) and h > 0 and d % h == 0 else 0
        values["rotary"] = standard_rotary(hd) if values["rotary"] == "standard" else parity_rotary(hd)
    return ModelConfig.from_json(values)
