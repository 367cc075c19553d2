"""What a machine run produces: step records, per-step counts, run counters and the run result.

Every machine's one execution primitive (``trace``) yields :class:`StepRecord` s; ``run`` drains it into a
:class:`RunResult`.  Counters are frozen snapshots; the mutable :class:`Tally` that builds them lives only inside a
run and changes only when a step is taken.

Counting conventions (the project's choices, stated once):

* ``steps`` counts the steps that changed the sequence (a fixed-point step is not a step; it ends the run).
* ``tokens_processed`` is the sum over steps of the *input* length ``|x_t|``: the cost of re-encoding the whole
  sequence every step (no KV cache, PAPER.md §1.6).
* ``peak_length`` is the largest length among ``x_0, ..., x_T``.
* ``unmasked``: masks replaced by a token; ``remasked``: decoded tokens turned back into MASK (a remask bit on a
  mask only keeps it masked and is not counted); ``inserted``: tokens added (the masks of AP-MDM's insert, or the
  token an ARM appends); ``deleted``: masks deleted.  Hence ``|x_{t+1}| = |x_t| + inserted_t - deleted_t`` for
  every paradigm.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np

from machines.predictor import Prediction

__all__ = ["MachineCounters", "RunResult", "StepCounts", "StepIterator", "StepRecord", "Tally"]


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step ``x -> x_next`` of a machine and the prediction that drove it (``t`` counts from 1).

    For AP-MDM, ``x_next == apply_g(x, prediction.y, prediction.remask, prediction.insert, prediction.delete)``.
    """

    t: int
    x: np.ndarray
    prediction: Prediction
    x_next: np.ndarray


@dataclass(frozen=True, slots=True)
class StepCounts:
    """Operation counts of one step; ``length`` is the input length ``|x_t|``.

    Examples
    --------
    >>> StepCounts(length=4, unmasked=1, remasked=0, inserted=2, deleted=1).length
    4
    """

    length: int
    unmasked: int
    remasked: int
    inserted: int
    deleted: int


@dataclass(frozen=True, slots=True)
class MachineCounters:
    """Counters of a run (see the module docstring for the exact conventions)."""

    steps: int
    peak_length: int
    tokens_processed: int
    unmasked: int
    remasked: int
    inserted: int
    deleted: int
    per_step: tuple[StepCounts, ...]

    def to_json(self) -> dict[str, object]:
        """Plain-JSON form; ``per_step`` as lists ``[length, unmasked, remasked, inserted, deleted]``."""
        return {"steps": self.steps, "peak_length": self.peak_length, "tokens_processed": self.tokens_processed,
                "unmasked": self.unmasked, "remasked": self.remasked, "inserted": self.inserted,
                "deleted": self.deleted,
                "per_step": [[c.length, c.unmasked, c.remasked, c.inserted, c.deleted] for c in self.per_step]}


@dataclass(frozen=True, slots=True)
class RunResult:
    """The end of a run: final sequence, why it stopped, counters, and the step records if asked for.

    ``halt_reason`` is one of ``"eos"``, ``"fixed-point"``, ``"no-masks"`` (MDM family) and ``"done"`` (an ARM
    wrote EOS, or any predictor set ``Prediction.halt``).
    """

    final: np.ndarray
    halt_reason: str
    counters: MachineCounters
    records: tuple[StepRecord, ...] | None = None


class Tally:
    """Mutable accumulator of :class:`MachineCounters` inside one run (internal; snapshot with :meth:`freeze`)."""

    __slots__ = ("_per_step", "_peak")

    def __init__(self, start_length: int) -> None:
        self._per_step: list[StepCounts] = []
        self._peak = start_length

    def add(self, counts: StepCounts, next_length: int) -> None:
        self._per_step.append(counts)
        self._peak = max(self._peak, next_length)

    def freeze(self) -> MachineCounters:
        ps = tuple(self._per_step)
        return MachineCounters(steps=len(ps), peak_length=self._peak,
                               tokens_processed=sum(c.length for c in ps), unmasked=sum(c.unmasked for c in ps),
                               remasked=sum(c.remasked for c in ps), inserted=sum(c.inserted for c in ps),
                               deleted=sum(c.deleted for c in ps), per_step=ps)


class StepIterator(Iterator[StepRecord]):
    """The iterator returned by ``Machine.trace``: yields :class:`StepRecord` s, then exposes :attr:`result`.

    :attr:`counters` is a snapshot of the counters so far (valid at any time); :attr:`result` is ``None`` until
    the run has ended, then the :class:`RunResult` (without records).
    """

    __slots__ = ("_gen", "_tally", "result")

    def __init__(self, gen: Generator[StepRecord, None, RunResult], tally: Tally) -> None:
        self._gen = gen
        self._tally = tally
        self.result: RunResult | None = None

    def __iter__(self) -> StepIterator:
        return self

    def __next__(self) -> StepRecord:
        try:
            return next(self._gen)
        except StopIteration as stop:
            if self.result is None:
                self.result = stop.value
            raise StopIteration from None

    @property
    def counters(self) -> MachineCounters:
        return self._tally.freeze()
