"""The PRAM engine: policies, conflicts, typed errors, traces, and the vectorised engine against the reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pram.errors import AccessConflict, AddressOutOfRange, InvalidInput, InvalidProgram, StepLimitExceeded
from pram.machine import PRAM, Counters, Policy, Program, Setup
from pram.programs import PROGRAMS, get_program
from pram.reference import run_reference
from pram.rng import as_generator


class Clash(Program[int]):
    """Test program: in one step, processor p reads cell ``read_cell`` and writes ``values(p)`` to cell 1."""

    name, citation = "clash", "test"
    min_policy = Policy.EREW
    num_registers, num_reads, num_writes = 1, 1, 1

    def __init__(self, *, read_cell: int = -1, write_cell: int = 1, same_value: bool = False) -> None:
        self.read_cell, self.write_cell, self.same_value = read_cell, write_cell, same_value

    def parse_instance(self, obj: Any) -> int:
        return int(obj)

    def random_instance(self, n: int, rng: np.random.Generator) -> int:
        return n

    def instance_to_json(self, inst: int) -> Any:
        return inst

    def size(self, inst: int) -> int:
        return inst

    def setup(self, inst: int) -> Setup:
        return Setup(memory=np.zeros(4, dtype=np.int64), registers=np.zeros((inst, 1), dtype=np.int64))

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        return np.full((pid.shape[0], 1), self.read_cell, dtype=np.int64)

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        val = np.full_like(pid, 7) if self.same_value else pid + 10
        return (np.full((pid.shape[0], 1), self.write_cell, dtype=np.int64), val[:, None],
                np.full_like(regs, -1))

    def output(self, memory: np.ndarray, inst: int) -> Any:
        return int(memory[1])

    def oracle(self, inst: int) -> Any:
        return 10

    def exact_counters(self, inst: int) -> Counters:
        return Counters(time=1, processors=inst, work=inst, reads=0, writes=inst, memory=4)


def test_policy_order_and_parse() -> None:
    order = [Policy.EREW, Policy.CREW, Policy.CRCW_COMMON, Policy.CRCW_ARBITRARY, Policy.CRCW_PRIORITY]
    assert [p.rank for p in order] == [0, 1, 2, 3, 4]
    assert Policy.parse("crcw-priority") is Policy.CRCW_PRIORITY
    with pytest.raises(InvalidInput, match="known policies"):
        Policy.parse("crcw-random")


def test_conflicting_writes_fail_under_erew_naming_step_cell_processors() -> None:
    with pytest.raises(AccessConflict) as exc:
        PRAM(program=Clash(), policy="erew").run(3)
    e = exc.value
    assert (e.step, e.cell, e.processors, e.kind, e.policy) == (1, 1, (0, 1, 2), "write", "erew")
    assert "step 1" in str(e) and "cell 1" in str(e) and "[0, 1, 2]" in str(e)


def test_priority_lowest_id_wins_and_matches_reference() -> None:
    run = PRAM(program=Clash(), policy=Policy.CRCW_PRIORITY).run(3)
    assert run.output == 10 and run.memory.tolist() == [0, 10, 0, 0]
    assert run.counters == Clash().exact_counters(3)
    assert run_reference(Clash(), 3, "crcw-priority").output == 10


def test_common_requires_equal_values() -> None:
    with pytest.raises(AccessConflict, match="different values"):
        PRAM(program=Clash(), policy="crcw-common").run(2)
    assert PRAM(program=Clash(same_value=True), policy="crcw-common").run(5).output == 7


def test_arbitrary_is_seeded_and_agrees_with_reference() -> None:
    winners = set()
    for seed in range(12):
        a = PRAM(program=Clash(), policy="crcw-arbitrary", seed=seed).run(6).output
        assert a == PRAM(program=Clash(), policy="crcw-arbitrary", seed=seed).run(6).output
        assert a == run_reference(Clash(), 6, "crcw-arbitrary", seed=seed).output
        winners.add(a)
    assert winners <= set(range(10, 16)) and len(winners) > 1


def test_exclusive_reads() -> None:
    with pytest.raises(AccessConflict) as exc:
        PRAM(program=Clash(read_cell=2, write_cell=-1), policy="erew").run(2)
    assert (exc.value.kind, exc.value.cell, exc.value.processors) == ("read", 2, (0, 1))
    with pytest.raises(AccessConflict):
        run_reference(Clash(read_cell=2, write_cell=-1), 2, "erew")
    assert PRAM(program=Clash(read_cell=2, write_cell=-1), policy="crew").run(2).counters.reads == 2


def test_policy_below_program_minimum_is_refused() -> None:
    with pytest.raises(InvalidInput, match="needs at least crcw-arbitrary"):
        PRAM(program=get_program("connectivity"), policy="crew")


@pytest.mark.parametrize(("read", "write", "kind"), [(9, -1, "read"), (-1, 4, "write"), (-5, -1, "read")])
def test_out_of_range(read: int, write: int, kind: str) -> None:
    with pytest.raises(AddressOutOfRange) as exc:
        PRAM(program=Clash(read_cell=read, write_cell=write), policy="crcw-priority").run(2)
    assert (exc.value.step, exc.value.processor, exc.value.kind) == (1, 0, kind)


def test_step_limit() -> None:
    prog = get_program("iterate")
    inst = prog.parse_instance({"x0": 1, "a": 2, "c": 0, "m": 97, "steps": 50})
    with pytest.raises(StepLimitExceeded, match="49"):
        PRAM(program=prog, max_steps=49).run(inst)
    assert PRAM(program=prog, max_steps=50).run(inst).counters.time == 50


class BadShapes(Clash):
    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        return np.zeros((pid.shape[0], 2), dtype=np.int64)


class BadDtype(Clash):
    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        wa, wv, nr = super().compute(step, pid, regs, values)
        return wa, wv.astype(np.float64), nr


@pytest.mark.parametrize("prog", [BadShapes(), BadDtype()])
def test_malformed_programs(prog: Program[int]) -> None:
    with pytest.raises(InvalidProgram):
        PRAM(program=prog, policy="crcw-priority").run(2)
    with pytest.raises(InvalidProgram):
        run_reference(prog, 2, "crcw-priority")


def test_trace_views_and_copies() -> None:
    prog = get_program("prefix-sums")
    inst = prog.parse_instance({"values": [1, 2, 3, 4, 5]})
    machine = PRAM(program=prog)
    copies = list(machine.trace(inst))
    assert [s.t for s in copies] == [1, 2, 3, 4]
    assert copies[-1].memory.tolist() == [1, 3, 6, 10, 15]
    assert copies[0].memory.tolist() == [1, 2, 3, 4, 5]
    assert [s.active for s in copies] == [5, 4, 3, 1]
    views = machine.trace(inst, record_memory=False)
    first = next(views)
    assert not first.memory.flags.writeable
    run = machine.run(inst, trace=True)
    assert run.steps is not None and [s.memory.tolist() for s in run.steps] == [s.memory.tolist() for s in copies]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_vectorised_engine_equals_reference_step_by_step(name: str) -> None:
    prog = PROGRAMS[name]
    sizes = (0, 1, 3, 6) if name == "sat" else (0, 1, 2, 5, 9, 12)
    for n in sizes:
        for seed in range(2):
            inst = prog.random_instance(n, as_generator(1000 * n + seed))
            policies = [prog.min_policy, Policy.CRCW_PRIORITY] if prog.min_policy.rank < 4 else [prog.min_policy]
            for pol in policies:
                fast = PRAM(program=prog, policy=pol, seed=seed).run(inst, trace=True)
                slow = run_reference(prog, inst, pol, seed=seed, trace=True)
                assert fast.output == slow.output == prog.oracle(inst)
                assert fast.counters == slow.counters
                assert fast.steps is not None and slow.steps is not None
                assert len(fast.steps) == len(slow.steps)
                for a, b in zip(fast.steps, slow.steps, strict=True):
                    assert a.memory.tolist() == b.memory.tolist()
                    assert a.registers.tolist() == b.registers.tolist()
                    assert (a.active, a.reads, a.writes) == (b.active, b.reads, b.writes)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_single_processor_step_reexecution(name: str) -> None:
    """compute() of one processor on its own (A = 1) gives the same row as inside the vectorised batch."""
    prog = PROGRAMS[name]
    inst = prog.random_instance(3 if name == "sat" else 7, as_generator(5))
    setup = prog.setup(inst)
    regs, memory = setup.registers, setup.memory
    live = np.flatnonzero(regs[:, 0] >= 0)
    if live.size == 0:
        return
    pid = live.astype(np.int64)
    ra = prog.read_addresses(1, pid, regs[live])
    vals = np.where(ra >= 0, memory[np.where(ra >= 0, ra, 0)], 0)
    wa, wv, nr = prog.compute(1, pid, regs[live], vals)
    for k, p in enumerate(pid.tolist()):
        ra1 = prog.read_addresses(1, pid[k:k + 1], regs[p:p + 1])
        assert ra1.tolist() == ra[k:k + 1].tolist()
        wa1, wv1, nr1 = prog.compute(1, pid[k:k + 1], regs[p:p + 1], vals[k:k + 1])
        assert (wa1.tolist(), wv1.tolist(), nr1.tolist()) == (wa[k:k + 1].tolist(), wv[k:k + 1].tolist(),
                                                               nr[k:k + 1].tolist())


def test_same_seed_same_run_for_arbitrary() -> None:
    prog = get_program("connectivity")
    inst = prog.random_instance(30, as_generator(3))
    a = PRAM(program=prog, seed=4).run(inst, trace=True)
    b = PRAM(program=prog, seed=4).run(inst, trace=True)
    assert a.steps is not None and b.steps is not None
    assert all(x.memory.tolist() == y.memory.tolist() for x, y in zip(a.steps, b.steps, strict=True))
