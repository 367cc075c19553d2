"""Theorem 6: the PRESERVE problem -- where do tokens end up after T rounds of AP-MDM edits?

**The definition is the project's reconstruction** (PAPER.md §2, Theorem 6: the paper's exact PRESERVE definition
and the conjecture it uses are not available, [?]).  In the project's words:

    An instance is an initial sequence ``x_0`` over ``{0..V-1} ∪ {MASK}`` and an *edit log* of T rounds; round t
    gives, for every position of ``x_t``, a token ``y_t[i]`` in ``{0..V-1}`` and the three control bits
    (remask, insert, delete) of Algorithm 1, and ``x_{t+1} = g(x_t, y_t, c_t)``.  The log is *normalised*: a delete
    bit is set only on a mask (Algorithm 1 ignores it elsewhere) and an insert bit never on a deleted position.  The
    answer is the final sequence ``x_T`` together with, for each final position, the index in ``x_0`` of the token
    that sits there if it is an original token never rewritten (else -1): "which original token is at position j".

Normalisation makes every round's position map -- position ``p`` of ``x_t`` goes to ``p + #inserts before p -
#deletes before p`` -- a function of the log alone; tracking a token is the composition of these T monotone maps.

Four solvers, compared on every instance:

* :func:`solve_bruteforce` -- plain simulation with provenance (its own loop over Algorithm 1; the oracle);
* :func:`solve_apmdm` -- an AP-MDM (``machines.paradigms.APMDM``) applying ``g`` once per round: exactly T steps,
  at most 2 operations at any position in any step.  The edit log is *in the sequence* (a log region after the
  work region, then a clock); one fixed predictor, :class:`LogReader`, with no fields, reads the current round's
  block and the clock from ``x`` alone -- the same prompt (``x_0`` + log) the ARM-style solvers get;
* :func:`reductions.preserve_arm.solve_arm_style` -- emits ``x_T`` left to right from the prompt (``x_0`` + log),
  resolving each output position back through the rounds one at a time: per-token dependency depth up to T;
* :func:`reductions.preserve_arm.solve_parallel` -- the same answer by pointer doubling (parallel composition of
  the monotone round maps): ``ceil(log2 T) + 1`` dependent steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from machines.paradigms import APMDM
from machines.predictor import Prediction
from machines.vocab import WordVocabulary
from pram.rng import SeedLike, as_generator
from reductions.errors import InvalidInstance

__all__ = ["MASK", "ApmdmSolution", "LogReader", "PreserveAnswer", "PreserveInstance", "Round", "encode_entry",
           "generate_instance", "machine_start", "max_ops_per_position", "preserve_vocabulary", "random_instance",
           "solve_apmdm", "solve_bruteforce"]

#: The mask in the instance domain (tokens are ``0..V-1``).
MASK = -1
_SPECIALS = ("[MASK]", "[SEP]", "[CLK]", "[RND]")
_MASK_ID, _SEP_ID, _CLK_ID, _RND_ID = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Round:
    """One round of the edit log: per-position ``y`` and the (remask, insert, delete) bits, as int tuples."""

    y: tuple[int, ...]
    remask: tuple[int, ...]
    insert: tuple[int, ...]
    delete: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PreserveInstance:
    """A PRESERVE instance: ``x0`` (tokens ``0..values-1`` or :data:`MASK`) and ``rounds``; validated on creation.

    Examples
    --------
    >>> inst = PreserveInstance(x0=(5, 6), values=8, rounds=(Round(y=(0, 0), remask=(0, 0), insert=(1, 0),
    ...                                                            delete=(0, 0)),))
    >>> solve_bruteforce(inst)
    PreserveAnswer(final=(5, -1, 6), origin=(0, -1, 1))
    """

    x0: tuple[int, ...]
    rounds: tuple[Round, ...]
    values: int

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
            raise InvalidInstance("invalid PRESERVE instance: " + "; ".join(problems[:8]) + more)

    @property
    def T(self) -> int:
        return len(self.rounds)

    def lengths(self) -> list[int]:
        """``|x_0|, ..., |x_T|`` (a function of the log alone, by normalisation)."""
        out = [len(self.x0)]
        for r in self.rounds:
            out.append(sum((1 - d) * (1 + i) for i, d in zip(r.insert, r.delete, strict=True)))
        return out


def _problems(inst: PreserveInstance) -> list[str]:
    problems: list[str] = []
    if isinstance(inst.values, bool) or not isinstance(inst.values, int) or inst.values < 1:
        return [f"values must be an integer >= 1, got {inst.values!r}"]
    x = list(inst.x0)
    problems += [f"x0[{i}] = {v!r} is neither MASK (-1) nor in 0..{inst.values - 1}"
                 for i, v in enumerate(x) if not (v == MASK or 0 <= v < inst.values)]
    for t, r in enumerate(inst.rounds):
        sizes = {len(r.y), len(r.remask), len(r.insert), len(r.delete)}
        if sizes != {len(x)}:
            problems.append(f"round {t}: arrays of lengths {sorted(sizes)}, but x_{t} has length {len(x)}")
            break
        for name in ("remask", "insert", "delete"):
            problems += [f"round {t}: {name}[{i}] = {b!r} is not 0/1"
                         for i, b in enumerate(getattr(r, name)) if b not in (0, 1)]
        problems += [f"round {t}: y[{i}] = {v!r} is not in 0..{inst.values - 1}"
                     for i, v in enumerate(r.y) if not 0 <= v < inst.values]
        problems += [f"round {t}: delete[{i}] is set on a non-mask token (not normalised)"
                     for i in range(len(x)) if r.delete[i] and x[i] != MASK]
        problems += [f"round {t}: insert[{i}] is set on a deleted position (not normalised)"
                     for i in range(len(x)) if r.delete[i] and r.insert[i]]
        if problems:
            break
        x = [v for v, _ in _round_plain([(v, 0) for v in x], r)]
    return problems


def _round_plain(x: list[tuple[int, int]], r: Round) -> list[tuple[int, int]]:
    """One round of Algorithm 1 on ``(token, origin)`` pairs, written out plainly (the oracle's own loop)."""
    out: list[tuple[int, int]] = []
    for i, (v, o) in enumerate(x):
        if r.delete[i] and v == MASK:
            continue
        if r.remask[i]:
            out.append((MASK, -1))
        elif v == MASK:
            out.append((r.y[i], -1))
        else:
            out.append((v, o))
        if r.insert[i]:
            out.append((MASK, -1))
    return out


@dataclass(frozen=True, slots=True)
class PreserveAnswer:
    """``final`` = ``x_T`` (``-1`` for MASK); ``origin[j]`` = index in ``x_0`` of the token at ``j``, or -1."""

    final: tuple[int, ...]
    origin: tuple[int, ...]


def solve_bruteforce(inst: PreserveInstance) -> PreserveAnswer:
    """Simulate every round with provenance (plain Python).

    Notes
    -----
    O(sum_t |x_t|) time.  The oracle of Theorem 6's checks.
    """
    x = [(v, i if v != MASK else -1) for i, v in enumerate(inst.x0)]
    for r in inst.rounds:
        x = _round_plain(x, r)
    return PreserveAnswer(final=tuple(v for v, _ in x), origin=tuple(o for _, o in x))


def generate_instance(n: int, T: int, seed: SeedLike = 0, *, written: int = 8) -> PreserveInstance:
    """A random normalised instance: ``x0 = (0, 1, ..., n-1)`` (distinct originals), T rounds.

    Per round and position: a mask is deleted (1/2), kept masked (1/4) or unmasked to a written token
    ``n..n+written-1`` (1/4); an original token is never remasked (it is *preserved*); a written token is remasked
    with probability 1/8; every kept position inserts a mask after itself with probability 1/8.  So every original
    token survives all T rounds and only its position changes -- and therefore the sequential walk of
    :func:`reductions.preserve_arm.solve_arm_style` has largest depth exactly T *by construction* (n >= 1).

    Examples
    --------
    >>> inst = generate_instance(4, 3, seed=0)
    >>> inst.T, inst.lengths()[0], sorted(o for o in solve_bruteforce(inst).origin if o >= 0)
    (3, 4, [0, 1, 2, 3])
    """
    if n < 0 or T < 0 or written < 1:
        raise InvalidInstance(f"need n >= 0, T >= 0, written >= 1; got n={n}, T={T}, written={written}")
    rng = as_generator(seed)
    x = np.arange(n, dtype=np.int64)
    rounds = []
    for _ in range(T):
        L = int(x.shape[0])
        is_mask, is_written = x == MASK, x >= n
        mask_draw = rng.integers(0, 4, size=L)
        delete = is_mask & (mask_draw < 2)
        remask = (is_mask & (mask_draw == 2)) | (is_written & (rng.integers(0, 8, size=L) == 0))
        insert = ~delete & (rng.integers(0, 8, size=L) == 0)
        y = np.where(is_mask & (mask_draw == 3), n + rng.integers(0, written, size=L), 0)
        r = Round(y=tuple(y.tolist()), remask=tuple(remask.astype(int).tolist()),
                  insert=tuple(insert.astype(int).tolist()), delete=tuple(delete.astype(int).tolist()))
        rounds.append(r)
        x = np.array([v for v, _ in _round_plain([(int(v), 0) for v in x], r)], dtype=np.int64)
    return PreserveInstance(x0=tuple(range(n)), rounds=tuple(rounds), values=n + written)


def random_instance(rng: np.random.Generator, n: int, T: int, values: int = 4, *,
                    max_length: int = 64) -> PreserveInstance:
    """An adversarial small instance: ``x0`` and every round's bits drawn freely, then normalised (delete kept only
    on masks, insert dropped on deleted positions); stops early once the sequence exceeds ``max_length``.

    Examples
    --------
    >>> inst = random_instance(np.random.default_rng(0), 5, 4)
    >>> len(inst.x0), inst.T <= 4
    (5, True)
    """
    x0 = tuple(int(v) for v in rng.integers(-1, values, size=n))
    x = [(v, 0) for v in x0]
    rounds = []
    for _ in range(T):
        if len(x) > max_length:
            break
        L = len(x)
        remask, insert, delete = (rng.integers(0, 2, size=L) for _ in range(3))
        delete = delete * np.array([v == MASK for v, _ in x], dtype=np.int64)
        insert = insert * (1 - delete)
        r = Round(y=tuple(int(v) for v in rng.integers(0, values, size=L)), remask=tuple(int(b) for b in remask),
                  insert=tuple(int(b) for b in insert), delete=tuple(int(b) for b in delete))
        rounds.append(r)
        x = _round_plain(x, r)
    return PreserveInstance(x0=x0, rounds=tuple(rounds), values=values)


# -- the AP-MDM solution ------------------------------------------------------------------------------------------
def preserve_vocabulary(values: int) -> WordVocabulary:
    """``[MASK] [SEP] [CLK] [RND]`` then the integers ``0..8*values-1`` (work tokens and encoded log entries)."""
    return WordVocabulary(specials=_SPECIALS, lo=0, hi=max(8 * values - 1, 0))


def encode_entry(y: int, remask: int, insert: int, delete: int) -> int:
    """One log entry as one integer token: ``((y*2 + remask)*2 + insert)*2 + delete``.

    Examples
    --------
    >>> encode_entry(3, 1, 0, 1)
    29
    """
    return ((y * 2 + remask) * 2 + insert) * 2 + delete


def machine_start(inst: PreserveInstance) -> np.ndarray:
    """The AP-MDM's start sequence: ``x_0 [SEP] [RND] log_0 [RND] log_1 ... [SEP] [CLK]*T`` (token ids).

    The edit log lives *in the sequence*, one block per round (entry ``i`` of block ``t`` is round t's
    ``(y, remask, insert, delete)`` for position ``i`` of ``x_t``, see :func:`encode_entry`), followed by a clock of
    T ``[CLK]`` tokens.  The predictor (:class:`LogReader`) reads nothing else.

    Examples
    --------
    >>> inst = PreserveInstance(x0=(1,), values=2, rounds=(Round(y=(0,), remask=(0,), insert=(1,), delete=(0,)),))
    >>> machine_start(inst).tolist()  # 1+4 ; SEP ; RND ; entry 2+4 ; SEP ; CLK
    [5, 1, 3, 6, 1, 2]
    """
    offset = len(_SPECIALS)
    ids = [_MASK_ID if v == MASK else v + offset for v in inst.x0] + [_SEP_ID]
    for r in inst.rounds:
        ids.append(_RND_ID)
        ids += [encode_entry(*e) + offset for e in zip(r.y, r.remask, r.insert, r.delete, strict=True)]
    ids += [_SEP_ID] + [_CLK_ID] * inst.T
    return np.array(ids, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class LogReader:
    """The one fixed AP-MDM predictor of PRESERVE: a pure function of the sequence (it has no fields at all).

    The sequence is ``work [SEP] log [SEP] clock`` (:func:`machine_start`): the log holds T blocks, each opened by
    ``[RND]``; the clock starts as T ``[CLK]`` tokens.  With ``c`` clock tokens left, the predictor applies block
    ``t = T - c`` to the work region, remasks the last ``[CLK]`` and deletes the clock's masks, so after round t the
    clock holds ``T - t - 1`` ``[CLK]``.  The log region is left as it is (``y`` = the token, no control bit).  When
    no ``[CLK]`` is left, every mask is kept masked: a fixed point, and the run halts after exactly T steps.

    Examples
    --------
    >>> inst = PreserveInstance(x0=(1,), values=2, rounds=(Round(y=(0,), remask=(0,), insert=(1,), delete=(0,)),))
    >>> p = LogReader()(machine_start(inst), np.random.default_rng(0))
    >>> p.insert.tolist(), p.remask.tolist()
    ([1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1])
    """

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        xa = np.asarray(x, dtype=np.int64)
        seps = np.flatnonzero(xa == _SEP_ID)
        if seps.size != 2:
            raise InvalidInstance(f"PRESERVE machine state must hold two [SEP], found {seps.size}")
        sep, sep2 = int(seps[0]), int(seps[1])
        starts = np.flatnonzero(xa[sep + 1:sep2] == _RND_ID) + sep + 1
        if (starts.size == 0) != (sep2 == sep + 1):
            raise InvalidInstance("PRESERVE log region must be empty or start with [RND]")
        T = int(starts.size)
        clocks = int((xa[sep2 + 1:] == _CLK_ID).sum())
        t = T - clocks
        n = xa.shape[0]
        remask = np.zeros(n, dtype=np.int64)
        insert = np.zeros(n, dtype=np.int64)
        delete = np.zeros(n, dtype=np.int64)
        y = xa.copy()
        if t >= T or t < 0:
            return Prediction(y=y, remask=(xa == _MASK_ID).astype(np.int64), insert=insert, delete=delete)
        end = int(starts[t + 1]) if t + 1 < T else sep2
        block = xa[int(starts[t]) + 1:end] - len(_SPECIALS)
        if block.shape[0] != sep or (block < 0).any():
            raise InvalidInstance(f"log block {t} must hold {sep} entries (the work length), found "
                                  f"{block.shape[0]} or a special token")
        y[:sep] = block // 8 + len(_SPECIALS)
        remask[:sep], insert[:sep], delete[:sep] = (block // 4) % 2, (block // 2) % 2, block % 2
        remask[sep2 + clocks] = 1  # the last [CLK]
        delete[sep2 + 1:] = xa[sep2 + 1:] == _MASK_ID
        return Prediction(y=y, remask=remask, insert=insert, delete=delete)


def max_ops_per_position(x: np.ndarray, prediction: Prediction) -> int:
    """The most edit operations any single position performs in one step (a maximum, not an average).

    Per position: 1 if its token changes (a mask unmasked, or a token remasked), +1 if it inserts a mask after
    itself, +1 if it is deleted (a delete applies only to a mask, and replaces the token change).

    Examples
    --------
    >>> max_ops_per_position(np.array([0, 5]), Prediction(y=np.array([4, 5]), remask=np.array([0, 0]),
    ...                      insert=np.array([1, 0]), delete=np.array([0, 0])))
    2
    """
    xa = np.asarray(x, dtype=np.int64)
    is_mask = xa == _MASK_ID
    n = xa.shape[0]
    zero = np.zeros(n, dtype=np.int64)
    rem = np.asarray(prediction.remask if prediction.remask is not None else zero, dtype=np.int64)
    ins = np.asarray(prediction.insert if prediction.insert is not None else zero, dtype=np.int64)
    dele = np.asarray(prediction.delete if prediction.delete is not None else zero, dtype=np.int64) * is_mask
    y = np.asarray(prediction.y, dtype=np.int64)
    changed = np.where(rem == 1, ~is_mask, is_mask & (y != _MASK_ID)).astype(np.int64) * (1 - dele)
    per = changed + ins + dele
    return int(per.max()) if n else 0


@dataclass(frozen=True, slots=True)
class ApmdmSolution:
    """The AP-MDM run: final work sequence (``-1`` = MASK), steps, and per step (length, operations, and the most
    operations one position performed)."""

    final: tuple[int, ...]
    steps: int
    lengths: tuple[int, ...]
    operations: tuple[int, ...]
    max_ops_per_position: tuple[int, ...]


def solve_apmdm(inst: PreserveInstance, *, seed: SeedLike = 0) -> ApmdmSolution:
    """Run the AP-MDM from :func:`machine_start` with the fixed predictor :class:`LogReader`: one ``g`` per round.

    ``operations`` per step = unmasked + remasked + inserted + deleted (machine counters);
    ``max_ops_per_position`` per step = the maximum over positions (:func:`max_ops_per_position`), at most 2.

    Examples
    --------
    >>> inst = generate_instance(6, 5, seed=2)
    >>> sol = solve_apmdm(inst)
    >>> sol.steps, sol.final == solve_bruteforce(inst).final, max(sol.max_ops_per_position) <= 2
    (5, True, True)

    Notes
    -----
    T steps of O(|x_t| + log size) each.  Theorem 6 (the AP-MDM side).
    """
    vocab = preserve_vocabulary(inst.values)
    offset = len(_SPECIALS)
    x0 = machine_start(inst)
    peak = max(inst.lengths()) + int(x0.shape[0]) - len(inst.x0) + 1
    machine = APMDM(vocab=vocab, predictor=LogReader(), max_steps=inst.T, max_length=peak)
    res = machine.run(x0, seed=seed, keep_records=True)
    final = res.final.tolist()
    work = final[:final.index(_SEP_ID)]
    per = res.counters.per_step
    return ApmdmSolution(final=tuple(MASK if v == _MASK_ID else v - offset for v in work), steps=res.counters.steps,
                         lengths=tuple(c.length for c in per),
                         operations=tuple(c.unmasked + c.remasked + c.inserted + c.deleted for c in per),
                         max_ops_per_position=tuple(max_ops_per_position(r.x, r.prediction)
                                                    for r in res.records or ()))
