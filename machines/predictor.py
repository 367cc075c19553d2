"""The predictor protocol shared by every paradigm, oracle predictors and the numpy Transformer.

A predictor is a **pure function of the current sequence** (plus an explicit random generator for stochastic
predictors).  It returns a :class:`Prediction`: one token per position and the controls of its paradigm.

* ARM: ``y[-1]`` is the next token (appended); no controls.
* MDM / AO-MDM / Masked-ARM: ``unmask`` marks the masked positions decoded this step; ``y`` gives their tokens.
* AP-MDM: ``remask``, ``insert``, ``delete`` are the 3-bit control of Algorithm 1; ``y`` gives the tokens of
  the masks that are unmasked.

Any predictor may set ``halt=True`` to declare the run finished: the machine then stops with halt reason
``"done"`` *without* applying that prediction (for an ARM this is how a predictor ends a run without EOS; the project's
choice, since the paper's ARM stops on EOS or a length budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Prediction", "Predictor", "Transition"]


@dataclass(frozen=True, slots=True)
class Prediction:
    """Output of a predictor on a sequence of length ``L``.  Arrays are ``(L,)``; missing controls are ``None``.

    ``halt=True`` declares the run finished (halt reason ``"done"``); the rest of the prediction is then ignored.

    Examples
    --------
    >>> Prediction(y=np.array([3, 4]), unmask=np.array([0, 1])).halt
    False
    """

    y: np.ndarray
    unmask: np.ndarray | None = None
    remask: np.ndarray | None = None
    insert: np.ndarray | None = None
    delete: np.ndarray | None = None
    halt: bool = False


class Predictor(Protocol):
    """``predictor(x, rng) -> Prediction``; must not read anything but ``x`` (and ``rng``).

    The parameters are positional-only, so any callable of two arguments (a function, a lambda, an object with
    ``__call__``) satisfies the protocol whatever it names them.
    """

    def __call__(self, x: np.ndarray, rng: np.random.Generator, /) -> Prediction: ...


@dataclass(frozen=True, slots=True)
class Transition:
    """One supervised AP-MDM step ``(x_k, y*, remask*, insert*, delete*, x_{k+1})`` (PAPER.md §3.5(a)).

    All arrays are ``numpy.int64`` of length ``|x_k|`` except ``x_next``.  Task oracles produce these; the training
    pipeline consumes them; :func:`machines.transition.apply_g` must map the first five to ``x_next``.
    """

    x: np.ndarray
    y: np.ndarray
    remask: np.ndarray
    insert: np.ndarray
    delete: np.ndarray
    x_next: np.ndarray
