"""Small oracle predictors, one per paradigm, all solving one task: copy a prompt after a separator.

They exist for the CLI (``powergen machines demo``), the tour and the tests.  Each predictor is a pure function of the
sequence it is given (and of ``rng`` where it is stochastic): it reads the prompt from the sequence itself.

* ARM: ``[BOS] p | `` then appends ``p`` token by token, then EOS (halt ``"done"``).
* MDM: ``p | M...M``; each step unmasks a random non-empty subset of the masks (each with probability 1/2).
* AO-MDM: one random mask per step.  Masked-ARM: the leftmost mask per step.
* AP-MDM: ``p | M``; the region after ``|`` doubles by insert until it is at least ``|p|`` long, the surplus masks
  are deleted, then masks are unmasked by a guess that is right with probability 2/3 (in a round that starts
  from all masks the first guess is always wrong, if ``|p| >= 2``), and wrong guesses are remasked in the next
  step, until the copy is right and the run stops at a fixed point.  Every operation of Algorithm 1 appears.
"""

from __future__ import annotations

import numpy as np

from machines.errors import MachineConfigError
from machines.paradigms import Machine, machine_class
from machines.predictor import Prediction, Predictor
from machines.vocab import Vocabulary, simple_vocabulary
from pram.rng import SeedLike, as_generator

__all__ = ["DEMO_VOCAB", "LETTERS", "demo_machine", "demo_predictor", "demo_start"]

LETTERS = ("a", "b", "c")
DEMO_VOCAB: Vocabulary = simple_vocabulary([*LETTERS, "|"], bos=True, eos=True)
_M = DEMO_VOCAB.mask_id
_SEP = DEMO_VOCAB.id_of("|")
_EOS = DEMO_VOCAB.eos_id
_LET = DEMO_VOCAB.encode(LETTERS)


def _split(x: np.ndarray) -> tuple[np.ndarray, int]:
    """The prompt (letters before the first ``|``, BOS dropped) and the index of ``|``."""
    sep = int(np.argmax(x == _SEP))
    prompt = x[:sep]
    return prompt[prompt != DEMO_VOCAB.bos_id], sep


def _arm(x: np.ndarray, rng: np.random.Generator) -> Prediction:
    prompt, sep = _split(x)
    done = len(x) - sep - 1
    nxt = int(prompt[done]) if done < len(prompt) else _EOS
    return Prediction(y=np.full(len(x), nxt, dtype=np.int64))


def _target(x: np.ndarray) -> np.ndarray:
    """Per position: the prompt token the copy needs there (MASK outside the copy region)."""
    prompt, sep = _split(x)
    y = np.full(len(x), _M, dtype=np.int64)
    k = min(len(x) - sep - 1, len(prompt))
    y[sep + 1:sep + 1 + k] = prompt[:k]
    return y


def _mdm(choose: str) -> Predictor:
    def predictor(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        masks = np.flatnonzero(x == _M)
        pick = np.zeros(len(x), dtype=np.bool_)
        if choose == "subset":
            chosen = masks[rng.random(len(masks)) < 0.5]
            pick[chosen if chosen.size else masks[:1]] = True
        elif choose == "one":
            pick[masks[int(rng.integers(len(masks)))]] = True
        else:
            pick[masks[0]] = True
        return Prediction(y=_target(x), unmask=pick)

    return predictor


def _apmdm(x: np.ndarray, rng: np.random.Generator) -> Prediction:
    prompt, sep = _split(x)
    n, L = len(prompt), len(x)
    r = L - sep - 1
    region = np.arange(L) > sep
    is_mask = x == _M
    zero = np.zeros(L, dtype=np.bool_)
    y = np.full(L, _LET[0], dtype=np.int64)
    if r < n:  # grow: insert after every region position, keep the masks masked
        return Prediction(y=y, remask=region & is_mask, insert=region.copy(), delete=zero)
    if r > n:  # shrink: delete the surplus masks, keep the others masked
        surplus = np.arange(L) > sep + n
        return Prediction(y=y, remask=region & is_mask & ~surplus, insert=zero, delete=surplus)
    want = _target(x)
    wrong = region & ~is_mask & (x != want)
    guess = want.copy()
    miss = rng.random(L) >= 2 / 3
    if n >= 2 and not (region & ~is_mask).any():  # a round from all masks guesses its first token wrong, so remask
        miss[sep + 1] = True  # is exercised; the run still ends (with probability 1 another position is right)
    shift = rng.integers(1, len(_LET), size=L)
    pos_in_letters = np.searchsorted(_LET, np.where(region, want, _LET[0]))
    guess[region & miss] = _LET[(pos_in_letters + shift) % len(_LET)][region & miss]
    return Prediction(y=np.where(region, guess, y), remask=wrong, insert=zero, delete=zero)


_PREDICTORS: dict[str, Predictor] = {"arm": _arm, "mdm": _mdm("subset"), "ao-mdm": _mdm("one"),
                                     "masked-arm": _mdm("leftmost"), "ap-mdm": _apmdm}


def demo_predictor(paradigm: str) -> Predictor:
    """The demo oracle predictor of ``paradigm`` (a callable ``(x, rng) -> Prediction``)."""
    machine_class(paradigm)  # validates the name
    return _PREDICTORS[paradigm]


def demo_start(paradigm: str, *, n: int = 5, seed: SeedLike = 0) -> np.ndarray:
    """The start sequence of the copy task for a prompt of ``n`` letters drawn with ``seed``.

    Examples
    --------
    >>> DEMO_VOCAB.decode(demo_start("ap-mdm", n=3, seed=1))
    ['b', 'b', 'c', '|', '[MASK]']
    """
    machine_class(paradigm)
    if n < 1:
        raise MachineConfigError(f"n must be >= 1, got {n}")
    prompt = _LET[as_generator(seed).integers(len(_LET), size=n)]
    if paradigm == "arm":
        return np.concatenate([[DEMO_VOCAB.bos_id], prompt, [_SEP]]).astype(np.int64)
    tail = [_M] if paradigm == "ap-mdm" else [_M] * n
    return np.concatenate([prompt, [_SEP], tail]).astype(np.int64)


def demo_machine(paradigm: str, *, max_steps: int = 10_000, max_length: int = 1_000_000) -> Machine:
    """The machine of ``paradigm`` with its demo predictor over :data:`DEMO_VOCAB`.

    Examples
    --------
    >>> r = demo_machine("ap-mdm").run(demo_start("ap-mdm", n=5, seed=0), seed=0)
    >>> DEMO_VOCAB.decode(r.final)[6:] == DEMO_VOCAB.decode(r.final)[:5], r.halt_reason
    (True, 'fixed-point')
    """
    cls = machine_class(paradigm)
    return cls(vocab=DEMO_VOCAB, predictor=_PREDICTORS[paradigm], max_steps=max_steps, max_length=max_length)
