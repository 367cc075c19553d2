"""Theorem 1 construction (reductions.pram_to_mdm): lock step, outputs, exact counts, purity, reference, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from case_catalogue import all_cases, mdm_steps, supported_policies  # noqa: E402
from hypothesis import given
from hypothesis import strategies as st

from machines.paradigms import ARM, MDM
from pram.machine import PRAM, Policy
from pram.programs import PROGRAMS, get_program
from pram.rng import as_generator
from proofs_check.strategies import cap_n, instances, program_instances
from reductions.errors import InstanceTooLarge, InvalidInstance, LockstepMismatch, UnsupportedProgram
from reductions.lockstep import run_mdm
from reductions.pram_to_mdm import ArmRecords, MdmConstruction, MdmLayout, build_mdm

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_catalogue_pram_and_mdm_agree_with_expected(case):
    prog = get_program(case.program)
    inst = prog.parse_instance(case.input)
    pram = PRAM(program=prog).run(inst)
    assert pram.output == case.expected
    run = run_mdm(prog, inst)
    assert run.output == case.expected
    assert run.lockstep == "ok" and run.lockstep_steps == pram.counters.time
    lay = MdmLayout(**{k: run.layout[k] for k in ("S", "P", "K", "R", "W", "T")})
    assert run.machine_counters.steps == pram.counters.time + 1
    assert run.machine_counters.peak_length == lay.length == 2 * lay.S + lay.P * lay.K + lay.T * lay.block
    assert run.lookups_max <= 2 + prog.num_reads
    assert run.halt_reason == "no-masks"


@given(program_instances(max_n=12, min_n=0))
def test_random_instances_lockstep_and_oracle(pair):
    name, inst = pair
    prog = get_program(name)
    run = run_mdm(prog, inst)
    assert run.output == prog.oracle(inst)
    pc = PRAM(program=prog).run(inst).counters
    assert run.machine_counters.steps == mdm_steps(pc.time, pc.processors, pc.memory)
    assert run.layout["P"] == pc.processors and run.layout["S"] == pc.memory and run.layout["T"] == pc.time


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@given(data=st.data())
def test_every_supported_policy_in_lock_step(name, data):
    policy = data.draw(st.sampled_from(supported_policies(name)), label="policy")
    inst = data.draw(instances(name, max_n=8, min_n=0), label="instance")
    prog = get_program(name)
    run = run_mdm(prog, inst, policy=policy)
    assert run.policy == policy and run.lockstep == "ok" and run.output == prog.oracle(inst)


def test_empty_instance_makes_no_step_and_halted_rows_are_dropped():
    prog = get_program("sum")
    run = run_mdm(prog, prog.random_instance(0, as_generator(0)))
    assert (run.machine_counters.steps, run.machine_counters.peak_length, run.pram_counters.time) == (0, 0, 0)
    conn = get_program("connectivity")
    inst = conn.parse_instance({"n": 1, "edges": []})
    assert (conn.setup(inst).registers[:, 0] < 0).all()  # a processor row, halted from the start
    run = run_mdm(conn, inst)
    assert run.layout["P"] == run.pram_counters.processors == 0 and run.machine_counters.steps == 1


def test_lockstep_walks_the_pram_step_by_step_without_storing_its_trace(monkeypatch):
    prog = get_program("prefix-sums")
    inst = prog.parse_instance({"values": [3, 1, 4, 1, 5]})
    expected = PRAM(program=prog).run(inst).counters
    log: list[str] = []
    real_trace = PRAM.trace

    def spy_trace(self, inst, *, record_memory=True):
        assert record_memory is False  # read-only views of the live state, nothing copied per step
        for step in real_trace(self, inst, record_memory=record_memory):
            log.append("pram")
            yield step

    def no_run(self, inst, *, trace=False):
        raise AssertionError("the lock step must walk PRAM.trace, not store PRAM.run(trace=True)")

    monkeypatch.setattr(PRAM, "trace", spy_trace)
    monkeypatch.setattr(PRAM, "run", no_run)

    def log_machine(pred):
        def wrapped(x, rng):
            log.append("machine")
            return pred(x, rng)
        return wrapped

    run = run_mdm(prog, inst, wrap_predictor=log_machine)
    assert run.output == [3, 4, 8, 9, 14] and run.pram_counters == expected
    # interleaved: the PRAM never runs ahead of the machine (before: every PRAM step was stored first)
    assert log == ["machine", "pram"] * expected.time + ["machine"]


def test_lookup_counts_are_measured_and_an_extra_scan_is_reported(monkeypatch):
    from proofs_check.claims.thm1 import THEOREM1
    from proofs_check.simulation import measure

    prog = get_program("prefix-sums")
    inst = prog.parse_instance({"values": [3, 1, 4, 1, 5]})
    con, x0 = build_mdm(prog, inst)
    _, look = con.fill(x0)
    lay = con.layout
    # independent count: locate (1) + registers (1) + one per used read port of the processor at step 1
    regs = prog.setup(inst).registers
    used = (np.asarray(prog.read_addresses(1, np.arange(lay.P), regs)) >= 0).sum(axis=1)
    assert look.tolist() == np.repeat(2 + used, lay.record).tolist()
    good, _ = measure(THEOREM1, "prefix-sums", 8, 0)
    assert good.ok and good.measured["lookups"] <= 2 + prog.num_reads
    original = MdmConstruction._fill

    def extra_scan(self, att):  # a mutant predictor: one more full scan of the sequence for every position
        att.first_equal(None, self.vocab.mask_id)
        att.first_equal(None, self.vocab.mask_id)
        return original(self, att)

    monkeypatch.setattr(MdmConstruction, "_fill", extra_scan)
    bad, _ = measure(THEOREM1, "prefix-sums", 8, 0)
    assert bad.measured["lookups"] == good.measured["lookups"] + 2 > 2 + prog.num_reads
    assert not bad.ok


def test_word_bits_out_of_range_is_a_typed_error():
    prog = get_program("sum")
    inst = prog.parse_instance({"values": [1, 2]})
    for bits in (0, 62, 70):
        with pytest.raises(InvalidInstance, match=f"word_bits must be an integer in 1..61.*got {bits}"):
            build_mdm(prog, inst, word_bits=bits)
    assert run_mdm(prog, inst, word_bits=61).output == 3


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_purity_same_sequence_fresh_predictor_any_order(name):
    prog = get_program(name)
    inst = prog.random_instance(cap_n(name, 9), as_generator(3))
    con, x0 = build_mdm(prog, inst)
    seqs = [x0] + [rec.x_next for rec in MDM(vocab=con.vocab, predictor=con).trace(x0)][:-1]
    first = [con(s, as_generator(0)) for s in seqs]
    con2, _ = build_mdm(prog, inst)  # a fresh predictor
    for i in reversed(range(len(seqs))):  # another call order, another rng
        again = con2(seqs[i].copy(), as_generator(99))
        assert np.array_equal(again.y, first[i].y) and np.array_equal(again.unmask, first[i].unmask)
    # the predictor only reads its argument: a sequence with a different past gives a different block
    if len(seqs) > 2:
        assert not np.array_equal(con(seqs[1]).unmask, con(seqs[2]).unmask)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_vectorised_block_equals_per_slot_reference(name):
    prog = get_program(name)
    inst = prog.random_instance(cap_n(name, 7), as_generator(11))
    con, x0 = build_mdm(prog, inst)
    lay = con.layout
    seqs = [x0] + [rec.x_next for rec in MDM(vocab=con.vocab, predictor=con).trace(x0)]
    for t in range(1, lay.T + 1):
        x = seqs[t - 1]
        pred, look = con.fill(x)
        lo = lay.block_start(t)
        for p in sorted({0, 1, lay.P // 2, lay.P - 2, lay.P - 1} & set(range(lay.P))):
            ref = con.reference_record(x, t, p)
            got = pred.y[lo + p * lay.record: lo + (p + 1) * lay.record].tolist()
            assert got == ref, (t, p)
        assert look.max() <= 2 + lay.R


@pytest.mark.parametrize("where", ["register", "write"])
def test_lockstep_detects_a_corrupted_predictor(where):
    prog = get_program("prefix-sums")
    inst = prog.parse_instance({"values": [1, 2, 3, 4, 5, 6]})
    con, _ = build_mdm(prog, inst)
    lay = con.layout
    lo = lay.block_start(2)
    offsets = lo + np.arange(lay.P) * lay.record + (0 if where == "register" else lay.K + 1)

    def corrupt(pred_fn):
        def wrapped(x, rng):
            pred = pred_fn(x, rng)
            if pred.unmask[lo]:
                y = pred.y.copy()
                target = offsets[np.flatnonzero(con.codec.is_word(y[offsets]))[0]]
                y[target] = con.codec.enc(con.codec.dec(y[target]) + 1000)
                return type(pred)(y=y, unmask=pred.unmask)
            return pred
        return wrapped

    with pytest.raises(LockstepMismatch, match="PRAM step 2"):
        run_mdm(prog, inst, wrap_predictor=corrupt)


def test_refuses_crcw_arbitrary_and_weak_policies_with_clear_message():
    prog = get_program("sum")
    inst = prog.parse_instance({"values": [1, 2]})
    with pytest.raises(UnsupportedProgram, match="crcw-arbitrary.*supported: erew, crew, crcw-common"):
        build_mdm(prog, inst, policy="crcw-arbitrary")
    with pytest.raises(UnsupportedProgram, match="unknown policy"):
        build_mdm(prog, inst, policy="nope")
    for pol in ("erew", "crew", "crcw-common", "crcw-priority"):
        assert run_mdm(prog, inst, policy=pol).output == 3
    assert build_mdm(prog, inst)[0].policy is Policy.EREW


def test_refuses_too_long_before_building():
    prog = get_program("prefix-sums")
    inst = prog.random_instance(64, as_generator(0))
    con, _ = build_mdm(prog, inst)
    with pytest.raises(InstanceTooLarge, match="max-length") as err:
        build_mdm(prog, inst, max_length=con.layout.length - 1)
    assert err.value.needed == con.layout.length


def test_arm_writing_the_same_records_needs_one_step_per_token():
    prog = get_program("list-ranking")
    inst = prog.random_instance(6, as_generator(2))
    con, x0 = build_mdm(prog, inst)
    arm = ArmRecords(con)
    res = ARM(vocab=con.vocab, predictor=arm, max_steps=10**5).run(arm.prompt(x0))
    mdm = MDM(vocab=con.vocab, predictor=con).run(x0)
    assert np.array_equal(res.final, mdm.final)
    assert res.counters.steps == arm.exact_steps == con.layout.T * con.layout.block + con.layout.S
    assert mdm.counters.steps == con.layout.T + 1


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_incremental_decode_equals_full_decode(name):
    prog = get_program(name)
    inst = prog.random_instance(cap_n(name, 10), as_generator(9))
    con, x0 = build_mdm(prog, inst)
    final = MDM(vocab=con.vocab, predictor=con).run(x0).final
    mem = con.memory_after(final, 0)
    for t in range(1, con.layout.T + 1):
        mem = con.apply_block(mem, final, t)
        assert np.array_equal(mem, con.memory_after(final, t))
    assert np.array_equal(mem, con.output_memory(final))


def test_registry_maps_theorems_to_their_modules():
    from reductions import registry

    assert registry.load("thm1").build_mdm is build_mdm
    assert registry.load("thm4").__name__ == "reductions.pram_to_apmdm"
    with pytest.raises(Exception, match="unknown theorem"):
        registry.get_theorem("thm99")
    row = registry.TheoremEntry("thm-test", "reductions.pram_to_mdm", "test row")
    assert registry.register_theorem(row) is row and registry.register_theorem(row) is row
    with pytest.raises(Exception, match="already registered"):
        registry.register_theorem(registry.TheoremEntry("thm-test", "reductions.lockstep", "other"))
    del registry.THEOREMS["thm-test"]


def _bench_block(kind):
    prog = get_program("connectivity")
    inst = prog.random_instance(64, as_generator(0))
    con, x0 = build_mdm(prog, inst)
    seqs = [x0] + [rec.x_next for rec in MDM(vocab=con.vocab, predictor=con).trace(x0)]
    t = con.layout.T // 2
    x = seqs[t - 1]
    if kind == "vectorised":
        return lambda: con.fill(x)
    return lambda: [con.reference_record(x, t, p) for p in range(con.layout.P)]


@pytest.mark.benchmark(group="thm1-block")
@pytest.mark.parametrize("kind", ["vectorised", "per-slot-reference"])
def test_bench_fill_block_connectivity_64(benchmark, kind):
    benchmark.pedantic(_bench_block(kind), rounds=3, iterations=1)
