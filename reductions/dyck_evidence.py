"""Theorem 5's evidence, measured on the Dyck side in one call: everything the five sections of the check need.

:func:`theorem5_evidence` runs, for a :class:`Theorem5Plan`, one side after the other, each asked once:

1. the language values -- one :class:`~reductions.dyck_two_sided.DyckLanguage` per alphabet (letters, state,
   step, membership, completion), built up front and handed to the ARM side;
2. the generator side (reachable outputs, run lengths, seeded samples and their machine replays,
   :mod:`reductions.dyck_generator`); a generator holds its alphabet and does not ask the language again;
3. the ARM side (failure searches, the EOS reduction; :mod:`reductions.dyck_arm`), against those language values;
4. the language side last, as the oracles (brute-force matrix products, the recurrence, free reduction of every
   sample, the states an exact recogniser needs, the ARM failures spelt in letters; :mod:`reductions.dyck_matrix`,
   :mod:`reductions.dyck_two_sided`).

The language module imports none of the others (a test checks the import graph).  It returns raw measurements
only; which of them make the claim hold is decided by ``proofs_check.claims.thm5``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reductions.dyck_arm import FailureReport, ReductionCheck, SupportARM, first_failures, reduction_check
from reductions.dyck_generator import DyckGenerator, generate, reachable_outputs, sample_word
from reductions.dyck_matrix import code_of_word, dyck_codes_bruteforce
from reductions.dyck_two_sided import (
    DyckLanguage,
    Word,
    dyck_count,
    format_letters,
    is_dyck,
    state_growth,
    states_separated,
)

__all__ = ["SampleStats", "StateRow", "SupportRow", "Theorem5Evidence", "Theorem5Plan", "WindowRow",
           "MapFn", "REPLAYS_PER_JOB", "sample_spec", "theorem5_evidence"]

Tick = Callable[[], None]
#: The longest length a separation check (every pair of reduced forms told apart by a suffix) is run at.
SEPARATION_MAX_N = 4


@dataclass(frozen=True)
class Theorem5Plan:
    """What to measure: the support up to ``support[k]`` per k, ``samples`` seeded samples (:func:`sample_spec`:
    alphabets ``sample_ks`` in turn, even lengths up to ``sample_max_length``; one in ``machine_every`` also run on
    the machine, none when it is 0), the window ARMs up to ``window_length``, the EOS reduction on
    ``reduction_arms`` up to ``reduction_length``, and state counts of ``StackARM(k=state_k)`` up to ``state_top``."""

    support: dict[int, int]
    samples: int
    machine_every: int
    window_arms: tuple[SupportARM, ...]
    window_length: int
    reduction_arms: tuple[SupportARM, ...]
    reduction_length: int
    state_k: int
    state_top: int
    sample_ks: tuple[int, ...] = (2, 3)
    sample_max_length: int = 200
    sample_seed_stride: int = 1_000_003


@dataclass(frozen=True)
class SupportRow:
    """Length ``n`` at alphabet ``k``: the generator's reachable outputs against the brute force and the recurrence;
    ``steps`` is the length of one seeded run (even ``n`` only)."""

    k: int
    n: int
    generator: int
    bruteforce: int
    recurrence: int
    same_set: bool
    steps: int | None


@dataclass(frozen=True)
class SampleStats:
    """Seeded samples of one alphabet: how many, how many fail free reduction or have the wrong length, how many
    were replayed on the AP-MDM machine and how many of those differ."""

    k: int
    samples: int
    invalid: int
    wrong_length: int
    machine_runs: int
    machine_mismatch: int


@dataclass(frozen=True)
class WindowRow:
    """One ARM's failure search, with its shortest failures shown as letters."""

    arm: SupportARM
    report: FailureReport
    example: str


@dataclass(frozen=True)
class StateRow:
    """Distinct states of the exact stack ARM at length ``n``; ``separated``: every two of them are told apart by a
    suffix (``None`` beyond :data:`SEPARATION_MAX_N`)."""

    k: int
    n: int
    states: int
    separated: bool | None


@dataclass(frozen=True)
class Theorem5Evidence:
    """The raw measurements of the five sections."""

    support: tuple[SupportRow, ...]
    samples: tuple[SampleStats, ...]
    windows: tuple[WindowRow, ...]
    reductions: tuple[tuple[SupportARM, ReductionCheck], ...]
    states: tuple[StateRow, ...]


def sample_spec(plan: Theorem5Plan, i: int, seed: int) -> tuple[int, int, int]:
    """``(k, n, seed)`` of sample ``i``: k runs over ``plan.sample_ks`` in turn; n over 0, 2, ...,
    ``plan.sample_max_length``, one step per round of alphabets.

    Examples
    --------
    >>> p = Theorem5Plan(support={}, samples=0, machine_every=0, window_arms=(), window_length=0, reduction_arms=(),
    ...                  reduction_length=0, state_k=2, state_top=0)
    >>> [sample_spec(p, i, 1)[:2] for i in range(5)], sample_spec(p, 4, 1)[2]
    ([(2, 0), (3, 0), (2, 2), (3, 2), (2, 4)], 1000007)
    """
    ks = plan.sample_ks
    return ks[i % len(ks)], 2 * ((i // len(ks)) % (plan.sample_max_length // 2 + 1)), seed * plan.sample_seed_stride + i


#: Machine replays per job handed to ``map_fn`` (1,000 replays make 10 jobs of about half a CPU-second each).
REPLAYS_PER_JOB = 100
#: ``map_fn(fn, items)``: ``fn`` applied to every item, results in the items' order (the builtin ``map``, or a
#: process pool's map such as ``proofs_check.parallel.map_items``).
MapFn = Callable[[Callable[[tuple], Any], list[tuple]], Iterable[Any]]


def _job(job: tuple) -> Any:
    """One independent measurement, named by its first element; everything it needs is in the tuple (picklable), so
    the result does not depend on where or in which order it runs."""
    kind = job[0]
    if kind == "support":  # the reachable outputs of one alphabet, as sorted codes per length, and the run lengths
        _, k, top, seed = job
        summary = reachable_outputs(DyckGenerator(k=k), top)
        outputs = {n: summary.outputs.get(n, []) for n in range(top + 1)}
        return outputs, {n: generate(k, n, seed=seed)[1] for n in range(0, top + 1, 2)}
    if kind == "replay":  # machine runs of some samples
        return [generate(k, n, seed=s)[0] for k, n, s in job[1]]
    if kind == "brute":
        return dyck_codes_bruteforce(job[1], job[2]).tolist()
    if kind == "window":  # one ARM's failure search, against the language value it is handed
        _, arm, length, language = job
        return first_failures(arm, length, language=language)
    raise ValueError(f"unknown job kind {kind!r}")


def _run_jobs(map_fn: MapFn, jobs: list[tuple], tick: Tick) -> list[Any]:
    """The results of ``jobs`` in order, one ``tick`` per finished job."""
    results: list[Any] = []
    for res in map_fn(_job, jobs):
        results.append(res)
        tick()
    return results


def theorem5_evidence(plan: Theorem5Plan, seed: int, tick: Tick = lambda: None,
                      map_fn: MapFn = map) -> Theorem5Evidence:
    """Measure everything the check of Theorem 5 needs (deterministic for a given seed).

    The independent measurements (the support search of each alphabet, the machine replays in chunks of
    :data:`REPLAYS_PER_JOB`, the brute force at every length, the window ARMs' searches) go through ``map_fn`` as
    picklable jobs; a caller may pass a process pool's map (``--workers``), and the evidence is the same.  The seeded
    samples, the state counts and the EOS reduction (whose ARMs may be known only by a closure, which cannot be
    sent to another process) run here.

    Examples
    --------
    >>> from reductions.dyck_arm import GreedyWindowARM, StackARM
    >>> p = Theorem5Plan(support={2: 4}, samples=4, machine_every=2, window_arms=(GreedyWindowARM(k=2, w=2),),
    ...                  window_length=6, reduction_arms=(StackARM(k=2),), reduction_length=3, state_k=2, state_top=2)
    >>> ev = theorem5_evidence(p, 0)
    >>> [(r.n, r.generator, r.bruteforce, r.steps) for r in ev.support]
    [(0, 1, 1, 0), (1, 0, 0, None), (2, 4, 4, 3), (3, 0, 0, None), (4, 28, 28, 6)]
    >>> [s.invalid for s in ev.samples], len(ev.windows[0].report.nonmember.word), ev.states[-1].states
    ([0, 0], 3, 13)

    Notes
    -----
    The support section enumerates ``(2k)^n`` words per length; Theorem 5.
    """
    specs = [sample_spec(plan, i, seed) for i in range(plan.samples)]
    replayed = [i for i in range(plan.samples)  # one round of alphabets in machine_every -> one in machine_every
                if plan.machine_every and (i // len(plan.sample_ks)) % plan.machine_every == 0]
    # the language values the ARM checks are handed, asked of the language module once, up front
    languages = {arm.k: DyckLanguage(arm.k) for arm in plan.window_arms + plan.reduction_arms}
    keys = [(k, n) for k, top in plan.support.items() for n in range(top + 1)]
    chunks = [replayed[i:i + REPLAYS_PER_JOB] for i in range(0, len(replayed), REPLAYS_PER_JOB)]
    # the generator side: the samples, reachable outputs, run lengths, machine replays; and the ARM failure
    # searches against those languages (independent jobs, run by map_fn)
    words = []
    for i, (k, n, s) in enumerate(specs):
        words.append(sample_word(k, n, seed=s))
        if i % 1000 == 0:
            tick()
    jobs: list[tuple] = [("support", k, top, seed) for k, top in plan.support.items()]
    jobs += [("replay", tuple(specs[i] for i in chunk)) for chunk in chunks]
    jobs += [("window", arm, plan.window_length, languages[arm.k]) for arm in plan.window_arms]
    it = iter(_run_jobs(map_fn, jobs, tick))
    outputs: dict[tuple[int, int], list[Word]] = {}
    steps: dict[tuple[int, int], int] = {}
    for k in plan.support:
        found, lengths = next(it)
        outputs.update({(k, n): w for n, w in found.items()})
        steps.update({(k, n): s for n, s in lengths.items()})
    replays: dict[int, Word] = {}
    for chunk in chunks:
        replays.update(zip(chunk, next(it), strict=True))
    failures = [next(it) for _ in plan.window_arms]
    # the ARM side, against those languages: the EOS reduction
    reductions = []
    for arm in plan.reduction_arms:
        reductions.append((arm, reduction_check(arm, plan.reduction_length, language=languages[arm.k])))
        tick()
    # the language side last, as the oracles: brute force (jobs again), recurrence, free reduction of every sample,
    # the states an exact recogniser needs
    brutes = dict(zip(keys, _run_jobs(map_fn, [("brute", k, n) for k, n in keys], tick), strict=True))
    support = []
    for (k, n), found in outputs.items():
        gen = sorted(code_of_word(w, k) for w in found)
        support.append(SupportRow(k=k, n=n, generator=len(gen), bruteforce=len(brutes[k, n]),
                                  recurrence=dyck_count(k, n), same_set=gen == brutes[k, n], steps=steps.get((k, n))))
    stats = {k: [0, 0, 0, 0, 0] for k in plan.sample_ks}
    for i, w in enumerate(words):
        k, n, _ = specs[i]
        st = stats[k]
        st[0] += 1
        st[1] += not is_dyck(w)
        st[2] += len(w) != n
        if i in replays:
            st[3] += 1
            st[4] += replays[i] != w
    samples = tuple(SampleStats(k, *st) for k, st in stats.items())
    states = []
    for n in range(1, plan.state_top + 1):
        count = state_growth(plan.state_k, n)
        sep = states_separated(plan.state_k, n) if n <= SEPARATION_MAX_N else None
        states.append(StateRow(k=plan.state_k, n=n, states=count, separated=sep))
        tick()
    windows = []  # the ARM failures spelt in letters
    for arm, rep in zip(plan.window_arms, failures, strict=True):
        example = "; ".join(f"{w.kind.split()[0]} {format_letters(w.word)}"
                            for w in (rep.nonmember, rep.missed) if w is not None) or "-"
        windows.append(WindowRow(arm=arm, report=rep, example=example))
    return Theorem5Evidence(support=tuple(support), samples=samples, windows=tuple(windows),
                            reductions=tuple(reductions), states=tuple(states))
