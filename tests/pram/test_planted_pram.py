"""Write-conflict policies and Theorem 4's scratch width, on scripted write patterns (issue 13 §3, classes 1 and 3).

A :class:`Script` program writes exactly what its instance says: at step t, processor p writes ``val`` to ``addr``
on each of its W ports.  So hypothesis can make any pattern of concurrent writes -- several processors on one cell,
equal or different values, two ports of one processor, a lowest writing id that is not processor 0 -- and the
result is held against :func:`plain_run`, a dictionary-per-step reading of the policies written here from the
definitions (EREW/CREW: one writer per cell; CRCW-common: all writers agree; CRCW-priority: the lowest processor id
wins, then the lowest port).  The same scripts run through the PRAM engine, the reference PRAM, and the Theorem 1
and Theorem 4 constructions.

The model fixes the priority order (lowest id first, :class:`pram.model.Policy`), so "a winner that is not the
lowest id" here means: the lowest *writing* id is not processor 0, is not the first writer in port order, and its
value is neither the smallest nor the last one written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pram.errors import AccessConflict
from pram.machine import PRAM, Counters, Policy, Program, Setup
from pram.programs import PROGRAMS, get_program
from pram.reference import run_reference
from pram.rng import as_generator
from proofs_check.strategies import cap_n
from reductions.lockstep import run_apmdm, run_mdm
from reductions.pram_to_apmdm import build_apmdm

Write = tuple[int, int]  # (address, value); address -1 = unused port
Inst = tuple[int, int, int, tuple[tuple[tuple[Write, ...], ...], ...]]  # (S, K, W, steps[t][p][w])


class Script(Program[Inst]):
    """Test program: processor p at step t writes ``steps[t-1][p][w]`` on port w; reads cell p (if p < S)."""

    name, citation = "script", "test"
    min_policy = Policy.EREW
    num_reads = 1

    def __init__(self, K: int, W: int) -> None:
        self.num_registers, self.num_writes = K, W

    def parse_instance(self, obj: Any) -> Inst:
        return obj  # type: ignore[no-any-return]

    def random_instance(self, n: int, rng: np.random.Generator) -> Inst:
        raise NotImplementedError

    def instance_to_json(self, inst: Inst) -> Any:
        return inst

    def size(self, inst: Inst) -> int:
        return len(inst[3][0])

    def setup(self, inst: Inst) -> Setup:
        S, K, _, steps = inst
        P = len(steps[0])
        regs = np.zeros((P, K), dtype=np.int64)
        regs[:, 1:] = np.arange(P)[:, None]
        return Setup(memory=np.arange(S, dtype=np.int64) * 0 + 5, registers=regs)

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        return np.where(pid < self._S, pid, -1).astype(np.int64)[:, None]

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        steps = self._steps
        W = self.num_writes
        wa = np.array([[steps[step - 1][p][w][0] for w in range(W)] for p in pid.tolist()],
                      dtype=np.int64).reshape(pid.shape[0], W)
        wv = np.array([[steps[step - 1][p][w][1] for w in range(W)] for p in pid.tolist()],
                      dtype=np.int64).reshape(pid.shape[0], W)
        new = regs.copy()
        new[:, 0] = step if step < len(steps) else -1
        new[:, 1:] = regs[:, 1:] + values[:, :1]
        return wa, wv, new

    def bind(self, inst: Inst) -> Script:
        self._S, self._steps = inst[0], inst[3]
        return self

    def output(self, memory: np.ndarray, inst: Inst) -> Any:
        return memory.tolist()

    def oracle(self, inst: Inst) -> Any:
        return plain_run(inst, Policy.CRCW_PRIORITY)

    def exact_counters(self, inst: Inst) -> Counters:
        S, _, _, steps = inst
        P, T = len(steps[0]), len(steps)
        writes = sum(1 for blk in steps for row in blk for a, _ in row if a >= 0)
        return Counters(time=T, processors=P, work=P * T, reads=T * min(P, S), writes=writes, memory=S)


def plain_run(inst: Inst, policy: Policy) -> list[int] | tuple[str, int, int, tuple[int, ...], str]:
    """The final memory, or ``("conflict", step, cell, processors, kind)`` for the first conflict (lowest cell)."""
    S, _, _, steps = inst
    mem = [5] * S
    for t, blk in enumerate(steps, start=1):
        cells: dict[int, list[tuple[int, int, int]]] = {}
        for p, row in enumerate(blk):
            for w, (a, v) in enumerate(row):
                if a >= 0:
                    cells.setdefault(a, []).append((p, w, v))
        for a in sorted(cells):
            ws = cells[a]
            who = tuple(sorted({p for p, _, _ in ws}))
            if len(ws) > 1 and policy in (Policy.EREW, Policy.CREW):
                return ("conflict", t, a, who, "write")
            if policy is Policy.CRCW_COMMON and len({v for _, _, v in ws}) > 1:
                return ("conflict", t, a, who, "write (different values)")
        for a, ws in cells.items():
            mem[a] = min(ws)[2]  # lowest (pid, port)
    return mem


@st.composite
def scripts(draw: st.DrawFn, max_p: int = 4, max_k: int = 3, max_w: int = 3) -> tuple[Inst, int, int]:
    S = draw(st.integers(1, 5))
    P = draw(st.integers(1, max_p))
    K = draw(st.integers(1, max_k))
    W = draw(st.integers(0, max_w))
    T = draw(st.integers(1, 3))
    write = st.tuples(st.integers(-1, S - 1), st.integers(-2, 2))
    steps = tuple(tuple(tuple(draw(write) for _ in range(W)) for _ in range(P)) for _ in range(T))
    return (S, K, W, steps), K, W


def _outcome(fn: Any) -> Any:
    try:
        return fn()
    except AccessConflict as e:
        return ("conflict", e.step, e.cell, e.processors, e.kind)


ENGINE_POLICIES = (Policy.EREW, Policy.CREW, Policy.CRCW_COMMON, Policy.CRCW_PRIORITY)


@given(scripts(max_p=6, max_w=3), st.sampled_from(ENGINE_POLICIES))
def test_engine_and_reference_resolve_writes_as_the_plain_definition(sc: tuple[Inst, int, int],
                                                                     policy: Policy) -> None:
    inst, K, W = sc
    prog = Script(K, W).bind(inst)
    want = plain_run(inst, policy)
    assert _outcome(lambda: PRAM(program=prog, policy=policy).run(inst).output) == want
    assert _outcome(lambda: run_reference(prog, inst, policy).output) == want


@given(scripts(max_p=6, max_w=3), st.integers(0, 2**31))
def test_arbitrary_winner_is_one_of_the_writers(sc: tuple[Inst, int, int], seed: int) -> None:
    inst, K, W = sc
    S, _, _, steps = inst
    prog = Script(K, W).bind(inst)
    run = PRAM(program=prog, policy="crcw-arbitrary", seed=seed).run(inst, trace=True)
    assert run.steps is not None
    before = [5] * S
    for st_, blk in zip(run.steps, steps, strict=True):
        for a in range(S):
            vals = {v for row in blk for (b, v) in row if b == a}
            assert (st_.memory[a] in vals) if vals else (st_.memory[a] == before[a])
        before = st_.memory.tolist()
    assert run.output == run_reference(prog, inst, "crcw-arbitrary", seed=seed).output


def _two_writers(policy: str, values: tuple[int, int]) -> Inst:
    # processors 1 and 3 write cell 2; processors 0 and 2 write elsewhere
    row = [((0, 9),), ((2, values[0]),), ((1, 9),), ((2, values[1]),)]
    return (4, 1, 1, (tuple(row),))


@pytest.mark.parametrize("policy", ["erew", "crew"])
def test_exclusive_write_policies_refuse_one_cell_written_twice(policy: str) -> None:
    inst = _two_writers(policy, (7, 7))  # even equal values are refused
    for run in (lambda: PRAM(program=Script(1, 1).bind(inst), policy=policy).run(inst),
                lambda: run_reference(Script(1, 1).bind(inst), inst, policy)):
        with pytest.raises(AccessConflict) as exc:
            run()
        e = exc.value
        assert (e.step, e.cell, e.processors, e.kind, e.policy) == (1, 2, (1, 3), "write", policy)


def test_crcw_common_refuses_different_values_and_accepts_equal_ones() -> None:
    inst = _two_writers("crcw-common", (7, 8))
    with pytest.raises(AccessConflict) as exc:
        PRAM(program=Script(1, 1).bind(inst), policy="crcw-common").run(inst)
    assert (exc.value.cell, exc.value.processors, exc.value.kind) == (2, (1, 3), "write (different values)")
    same = _two_writers("crcw-common", (7, 7))
    assert PRAM(program=Script(1, 1).bind(same), policy="crcw-common").run(same).output == [9, 9, 7, 5]


def test_priority_winner_is_lowest_writing_id_not_port_order_nor_value() -> None:
    # cell 0 is written by processor 3 on port 0 (value -2) and processor 2 on port 1 (value 4): the winner is
    # processor 2 (lower id), although processor 3 writes on an earlier port and a smaller value.
    steps = (((( -1, 0), (1, 1)), ((-1, 0), (-1, 0)), ((-1, 0), (0, 4)), ((0, -2), (1, 3))),)
    inst: Inst = (3, 2, 2, steps)
    prog = Script(2, 2).bind(inst)
    assert plain_run(inst, Policy.CRCW_PRIORITY) == [4, 1, 5]
    assert PRAM(program=prog, policy="crcw-priority").run(inst).output == [4, 1, 5]
    for run in (run_mdm, run_apmdm):
        r = run(prog, inst, policy="crcw-priority")
        assert r.output == [4, 1, 5] and r.lockstep == "ok"


CONSTRUCTION_POLICIES = ("erew", "crew", "crcw-common", "crcw-priority")


@given(scripts(max_p=4, max_k=3, max_w=2), st.sampled_from(CONSTRUCTION_POLICIES))
def test_constructions_resolve_writes_as_the_plain_definition(sc: tuple[Inst, int, int], policy: str) -> None:
    inst, K, W = sc
    prog = Script(K, W).bind(inst)
    want = plain_run(inst, Policy(policy))
    for run in (run_mdm, run_apmdm):
        assert _outcome(lambda run=run: run(prog, inst, policy=policy).output) == want


def open_steps_by_growth(Z: int) -> int:
    """Machine steps for every scratch region to grow from 0 to ``Z`` tokens, each step inserting after every
    region token plus one (``min(Z - r, r + 1)``), counted by a plain loop."""
    r = d = 0
    while r < Z:
        r += min(Z - r, r + 1)
        d += 1
    return d


# (K, W) pairs so that Z = K + 2W runs over the powers of two up to 16 and their neighbours
WIDTHS = [(1, 0), (2, 0), (1, 1), (3, 0), (2, 1), (1, 2), (5, 0), (3, 1), (1, 3), (4, 2), (2, 3), (5, 2), (3, 3),
          (7, 4), (4, 6), (1, 8), (3, 7), (17, 0), (9, 4), (31, 0), (8, 12), (3, 15)]


def test_width_table_hits_powers_of_two_and_neighbours() -> None:
    zs = {k + 2 * w for k, w in WIDTHS}
    assert {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33} <= zs


@pytest.mark.parametrize("K, W", WIDTHS, ids=[f"Z={k + 2 * w}" for k, w in WIDTHS])
def test_theorem4_open_phase_at_every_scratch_width(K: int, W: int) -> None:
    Z = K + 2 * W
    # independent closed form: the least d with 2**d - 1 >= Z, from the bit length of Z
    assert open_steps_by_growth(Z) == Z.bit_length() == min(d for d in range(64) if 2**d - 1 >= Z)
    P, S, T = 3, 3, 2
    steps = tuple(tuple(tuple(((p + t + w) % S, p) for w in range(W)) for p in range(P)) for t in range(T))
    inst: Inst = (S, K, W, steps)
    prog = Script(K, W).bind(inst)
    r = run_apmdm(prog, inst, policy="crcw-priority")
    lay = r.layout
    assert lay["K"] == K and lay["W"] == W
    con = build_apmdm(prog, inst, policy="crcw-priority")[0]
    assert con.layout.scratch == Z and con.layout.open_steps == open_steps_by_growth(Z)
    assert con.layout.exact_steps(T) == r.machine_counters.steps
    assert r.output == plain_run(inst, Policy.CRCW_PRIORITY)
    assert r.machine_counters.steps == open_steps_by_growth(Z) + 2 * T + 1
    assert r.machine_counters.peak_length == S + 3 + P * (2 + K + Z)
    m = run_mdm(prog, inst, policy="crcw-priority")
    assert m.output == r.output and m.machine_counters.steps == T + 1
    assert m.machine_counters.peak_length == 2 * S + P * K + T * P * Z


NON_POWERS = (3, 5, 6, 7, 9, 11)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_constructions_at_non_power_of_two_sizes(name: str) -> None:
    """Theorems 1 and 4 at sizes that are not powers of two (tree-shaped programs have a ragged last level)."""
    prog = get_program(name)
    sizes = sorted({cap_n(name, n) for n in NON_POWERS} - {1, 2, 4, 8, 16})
    assert sizes, name
    for n in sizes:
        inst = prog.random_instance(n, as_generator(1000 + n))
        want = prog.oracle(inst)
        pc = prog.exact_counters(inst)
        for run in (run_mdm, run_apmdm):
            r = run(prog, inst)
            assert r.output == want and r.lockstep == "ok", (name, n, run.__name__)
            assert r.pram_counters == pc, (name, n, run.__name__)
