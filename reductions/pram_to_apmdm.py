"""Theorem 4 (the project's reconstruction): a PRAM program run as an AP-MDM in O(T) steps with O(S + P) context.

PAPER.md §2 states the theorem -- an S(n)-memory PRAM program is reproduced "using O(S(n)) context and O(T(n))
steps" -- and sketches it [I]: one copy of every memory cell, so reads need no time index; a write remasks the cell,
the next step unmasks the new value; insert/delete give and take scratch space.  The schedule below is the
project's own.  One token holds one machine word (:class:`~machines.vocab.WordVocabulary`).

Token layout (S cells, K registers, W write ports, scratch width Z = K + 2W, one record per *live* processor)::

    | m_0 .. m_{S-1} | [SEP] | c | c' | [P] pid r_0 .. r_{K-1} z_0 .. z_{Z-1} | [P] pid ... | ...
      memory cells             |    |    live processor record (2 + K + Z tokens)
                  PRAM steps done  scratch for c         z = new registers r'_0..r'_{K-1}, then a_1 v_1 .. a_W v_W

``x_0`` is the PRAM's initial state without any mask: the cells, ``[SEP] 0``, and ``[P] pid r`` for every processor
with ``pc >= 0``.  The predictor reads the phase off the sequence and acts:

* **open** (``ceil(log2(Z + 1))`` steps, once): insert the scratch masks -- after the last register and after the
  masks already opened, so each record's scratch doubles (+1) per step -- and ``c'`` after ``c``; held masks are
  remasked (a remask on a mask keeps it masked).
* **compute** (PRAM step t, first AP-MDM step): every record reads its registers and its R cells (one copy per cell,
  one lookup each), runs the program's pure one-processor step and *unmasks* its scratch to (new registers, write
  records); ``c'`` is unmasked to ``c + 1``.  In the same step the cells being written, the old registers and ``c``
  are *remasked*, and leftover masks of processors that halted are *deleted*.
* **commit** (second AP-MDM step): every masked cell is unmasked to its winning write (lowest pid, then lowest port,
  found among the scratch records by address), registers to the new ones, ``c`` to ``c'``; scratch and ``c'`` are
  remasked.  A processor whose new ``pc < 0`` halts: its register masks are *deleted*, its ``[P]`` and pid remasked
  (deleted with its scratch in the next step).
* **cleanup** (once, after the last commit): delete every remaining mask; then the sequence is a fixed point.

So the AP-MDM makes exactly ``ceil(log2(Z + 1)) + 2T + 1`` steps (0 if no processor starts) and its peak context is
exactly ``S + 3 + P*(2 + 2K + 2W)`` tokens: O(S + P), independent of T.

Lookups ("attention reads"): every read of the sequence goes through a counting
:class:`~reductions.pram_common.HardAttention`, so the counts are measured from the reads performed.  Reading the
phase costs every position at most 5 (the [SEP] check, "is c' open", its record's marker, its record's pid, and
"is the first scratch a mask" or "is any mask left"); a scratch slot in compute adds its registers (1), the counter
(1) and its R reads; a cell being written re-performs its writer's lookups and finds it (+1); the other
changes read their own token or one fixed-offset window.  So by construction every position makes at most
``8 + R`` lookups, a constant independent of n, which the claim checker holds the measured counts against.

:meth:`ApmdmConstruction.fill` is vectorised; a plain-loop reference predictor in
``tests/reductions/test_pram_to_apmdm.py`` is compared with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.predictor import Prediction
from machines.vocab import WordVocabulary
from pram.machine import Policy, Program
from reductions.errors import ConstructionFault, ProgramFault
from reductions.pram_common import (
    DEFAULT_MAX_LENGTH,
    DEFAULT_WORD_BITS,
    HardAttention,
    WordCodec,
    check_length,
    check_policy,
    resolve_writes,
    word_vocabulary,
)
from reductions.pram_to_mdm import FIRST_STEP

__all__ = ["APMDM_SPECIALS", "ApmdmLayout", "ApmdmConstruction", "build_apmdm", "PHASES"]

APMDM_SPECIALS = ("[NONE]", "[SEP]", "[P]")
PHASES = ("open", "compute", "commit", "cleanup", "done")


@dataclass(frozen=True, slots=True)
class ApmdmLayout:
    """Sizes of the Theorem 4 sequence.

    Examples
    --------
    >>> lay = ApmdmLayout(S=8, P=4, K=3, R=2, W=1)
    >>> lay.scratch, lay.record, lay.open_steps, lay.peak_length, lay.exact_steps(5)
    (5, 10, 3, 51, 14)
    """

    S: int
    P: int  # processors live at the start (pc >= 0)
    K: int
    R: int
    W: int

    @property
    def scratch(self) -> int:
        return self.K + 2 * self.W

    @property
    def record(self) -> int:
        return 2 + self.K + self.scratch

    @property
    def open_steps(self) -> int:
        return math.ceil(math.log2(self.scratch + 1))

    @property
    def start_length(self) -> int:
        return self.S + 2 + self.P * (2 + self.K)

    @property
    def peak_length(self) -> int:
        return self.S + 3 + self.P * self.record if self.P else self.start_length

    def exact_steps(self, T: int) -> int:
        return self.open_steps + 2 * T + 1 if self.P else 0

    def to_json(self) -> dict[str, int]:
        return {"S": self.S, "P": self.P, "K": self.K, "R": self.R, "W": self.W, "peak_length": self.peak_length}


@dataclass(frozen=True)
class Parsed:
    """The sequence read back: phase, live records' marker positions, pids, and where the processor part starts."""

    phase: str
    markers: np.ndarray
    pids: np.ndarray
    proc_lo: int


@dataclass(frozen=True)
class ApmdmConstruction:
    """The Theorem 4 AP-MDM for one program at one size; calling it is the (pure) predictor."""

    program: Program
    policy: Policy
    layout: ApmdmLayout
    vocab: WordVocabulary

    @property
    def codec(self) -> WordCodec:
        return WordCodec(self.vocab)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
        return self.fill(x)[0]

    # -- reading the sequence ----------------------------------------------------------------------------------------
    def parse(self, x: np.ndarray) -> Parsed:
        """Phase and live records of ``x`` (a pure function of ``x``; used by the lock step to decode)."""
        return self._parse(HardAttention(np.asarray(x, dtype=np.int64)))

    def _parse(self, att: HardAttention) -> Parsed:
        """The phase, as every position computes it: at most 5 lookups per position (all charged to every one)."""
        lay, v = self.layout, self.vocab
        wc = self.codec
        mask, pmark = v.mask_id, v.id_of("[P]")
        n = att.length
        if n < lay.S + 2 or int(att.window(None, np.array(lay.S), 1)[0]) != v.id_of("[SEP]"):  # 1
            raise ConstructionFault(f"theorem 4: position {lay.S} should hold [SEP] (sequence length {n})",
                                    theorem="thm4", position=lay.S)
        opened = n > lay.S + 2 and int(att.window(None, np.array(lay.S + 2), 1)[0]) != pmark  # 2
        proc_lo = lay.S + 3 if opened else lay.S + 2
        markers = att.all_equal(None, pmark, proc_lo)  # 3: each position's record marker
        pids = np.asarray(wc.dec(att.window(None, markers + 1, 1)[:, 0]), dtype=np.int64) if markers.size \
            else markers  # 4: its record's pid
        if markers.size == 0:
            phase = "cleanup" if att.any_equal(None, mask) else "done"  # 4
        elif not opened:
            phase = "open"
        else:
            ends = np.append(markers[1:], n)
            if bool(((ends - markers - 2 - lay.K) < lay.scratch).any()):
                phase = "open"
            elif int(att.window(None, np.array(markers[0] + 2 + lay.K), 1)[0]) != mask:  # 5
                phase = "commit"
            else:
                phase = "compute"
        return Parsed(phase=phase, markers=markers, pids=pids, proc_lo=proc_lo)

    def counter(self, x: np.ndarray) -> int:
        return int(self.codec.dec(x[self.layout.S + 1]))

    def memory(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.codec.dec(x[:self.layout.S]), dtype=np.int64).reshape(self.layout.S)

    def live_registers(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pids, (n_live, K) registers) of the live records of a sequence whose registers are unmasked."""
        p = self.parse(x)
        idx = p.markers[:, None] + 2 + np.arange(self.layout.K)
        regs = np.asarray(self.codec.dec(x[idx]), dtype=np.int64).reshape(-1, self.layout.K)
        return p.pids, regs

    # -- the predictor -----------------------------------------------------------------------------------------------
    def fill(self, x: np.ndarray) -> tuple[Prediction, np.ndarray]:
        """One AP-MDM step's prediction and the lookups of each position it changes (vectorised).

        Every read of ``x`` goes through a :class:`~reductions.pram_common.HardAttention`; the returned counts are
        its charges at the changed positions (derived from the reads performed, not asserted).
        """
        x = np.asarray(x, dtype=np.int64)
        att = HardAttention(x)
        p = self._parse(att)
        n = att.length
        y = att.own()
        remask = np.zeros(n, dtype=bool)
        insert = np.zeros(n, dtype=bool)
        delete = np.zeros(n, dtype=bool)
        getattr(self, "_" + p.phase)(att, p, y, remask, insert, delete)
        changed = remask | insert | delete | (y != x) | (x == self.vocab.mask_id)
        return Prediction(y=y, remask=remask, insert=insert, delete=delete), att.counts_at(changed)

    def _done(self, att: HardAttention, p: Parsed, *arrays: np.ndarray) -> None:
        return None

    def _cleanup(self, att: HardAttention, p: Parsed, y: np.ndarray, remask: np.ndarray, insert: np.ndarray,
                 delete: np.ndarray) -> None:
        tail = np.zeros(att.length, dtype=bool)
        tail[self.layout.S + 2:] = True
        delete[:] = tail & (y == self.vocab.mask_id)  # own token: no lookup

    def _open(self, att: HardAttention, p: Parsed, y: np.ndarray, remask: np.ndarray, insert: np.ndarray,
              delete: np.ndarray) -> None:
        lay, mask = self.layout, self.vocab.mask_id
        if p.proc_lo == lay.S + 2:  # c' not yet opened
            insert[lay.S + 1] = True
        remask[:] = y == mask  # hold every opened scratch mask (and c'); own token
        ends = np.append(p.markers[1:], att.length)
        start = p.markers + 2 + lay.K  # first scratch position
        have = ends - start
        k = np.minimum(lay.scratch - have, have + 1)
        for s, kk in zip(start.tolist(), k.tolist(), strict=True):  # one slice per record (no per-slot loop)
            insert[s - 1:s - 1 + kk] = True

    def _compute(self, att: HardAttention, p: Parsed, y: np.ndarray, remask: np.ndarray, insert: np.ndarray,
                 delete: np.ndarray) -> None:
        lay, v, prog = self.layout, self.vocab, self.program
        wc = self.codec
        none, mask = v.id_of("[NONE]"), v.mask_id
        c = lay.S + 1
        z_pos = p.markers[:, None] + 2 + lay.K + np.arange(lay.scratch)
        reg_pos = p.markers[:, None] + 2 + np.arange(lay.K)
        regs = np.asarray(wc.dec(att.window(z_pos, p.markers + 2, lay.K)), dtype=np.int64).reshape(-1, lay.K)
        counter = int(wc.dec(att.window(np.concatenate([z_pos.ravel(), [c + 1]]), np.array(c), 1)[0]))
        step = counter + FIRST_STEP
        raddr = np.asarray(prog.read_addresses(step, p.pids, regs), dtype=np.int64).reshape(p.pids.size, -1)
        if bool(((raddr >= lay.S) | (raddr < -1)).any()):
            raise ProgramFault(f"theorem 4: a processor reads an address outside 0..{lay.S - 1}", theorem="thm4",
                               access="read", memory_size=lay.S)
        cells = np.arange(lay.S, dtype=np.int64)
        ids = att.latest(z_pos, raddr, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), cells,
                         lambda t: t)  # one copy per cell: reading a is a lookup of cell a
        rused = raddr >= 0
        vals = np.zeros(raddr.shape, dtype=np.int64)
        if rused.any():
            vals[rused] = wc.dec(ids[rused])
        waddr, wval, nregs = prog.compute(step, p.pids, regs, vals)
        waddr = np.asarray(waddr, dtype=np.int64).reshape(p.pids.size, lay.W)
        wval = np.asarray(wval, dtype=np.int64).reshape(p.pids.size, lay.W)
        used = waddr >= 0
        z = np.empty((p.pids.size, lay.scratch), dtype=np.int64)
        z[:, :lay.K] = wc.enc(np.asarray(nregs, dtype=np.int64).reshape(-1, lay.K))
        z[:, lay.K::2] = np.where(used, wc.enc(np.where(used, waddr, 0)), none)
        z[:, lay.K + 1::2] = np.where(used, wc.enc(np.where(used, wval, 0)), none)
        y[z_pos] = z
        remask[reg_pos] = True  # positional: a register slot of a record in the compute phase
        if used.any() and (waddr[used].min() < 0 or waddr[used].max() >= lay.S):
            raise ProgramFault(f"theorem 4: a processor writes an address outside 0..{lay.S - 1}", theorem="thm4",
                               access="write", memory_size=lay.S)
        # a written cell recomputes its writer's step (the writer's lookups, in parallel) and finds it (1 more)
        rank = np.where(used, p.pids[:, None] * lay.W + np.arange(lay.W), np.iinfo(np.int64).max)
        targets, writer = resolve_writes(np.where(used, waddr, -1).ravel(),
                                         np.repeat(np.arange(p.pids.size, dtype=np.int64), lay.W), rank.ravel())
        att.replicate(targets, z_pos[writer, 0], extra=1)
        remask[targets] = True
        remask[c] = True
        y[c + 1] = wc.enc(counter + 1)
        covered = np.zeros(att.length, dtype=bool)
        covered[(p.markers[:, None] + np.arange(lay.record)).ravel()] = True
        covered[:p.proc_lo] = True
        delete[:] = (y == mask) & ~covered  # own token and position relative to the records

    def _commit(self, att: HardAttention, p: Parsed, y: np.ndarray, remask: np.ndarray, insert: np.ndarray,
                delete: np.ndarray) -> None:
        lay, v = self.layout, self.vocab
        wc = self.codec
        none, mask = v.id_of("[NONE]"), v.mask_id
        z_start = p.markers + 2 + lay.K
        z_pos = z_start[:, None] + np.arange(lay.scratch)
        reg_pos = p.markers[:, None] + 2 + np.arange(lay.K)
        head_pos = p.markers[:, None] + np.arange(2)
        # registers and the record head read the record's new registers (1 lookup)
        nreg_ids = att.window(np.concatenate([reg_pos, head_pos], axis=1), z_start, lay.K)
        nregs = np.asarray(wc.dec(nreg_ids), dtype=np.int64).reshape(-1, lay.K)
        # every masked cell finds its winning write record: lowest (pid, port) among the scratch records (1 lookup)
        masked_cells = np.flatnonzero(y[:lay.S] == mask)  # own token
        slot = (z_start[:, None] + lay.K + 2 * np.arange(lay.W)).ravel()
        rank = (p.pids[:, None] * lay.W + np.arange(lay.W)).ravel()

        def key_of(ids: np.ndarray) -> np.ndarray:
            out = np.full(ids.shape, -1, dtype=np.int64)
            ok = ids != none
            out[ok] = wc.dec(ids[ok])
            return out

        got = att.latest(masked_cells[:, None], masked_cells[:, None], slot, -rank, np.arange(lay.S), key_of)[:, 0]
        if (got == mask).any():  # no record writes this masked cell (the default, the cell itself, is a mask)
            bad = masked_cells[got == mask]
            raise ConstructionFault(f"theorem 4 commit: masked cells {bad[:8].tolist()} have no write record",
                                    theorem="thm4", position=int(bad[0]))
        y[masked_cells] = got
        halts = nregs[:, 0] < 0
        y[reg_pos] = nreg_ids
        delete[reg_pos[halts].ravel()] = True
        remask[p.markers[halts]] = True
        remask[p.markers[halts] + 1] = True
        remask[z_pos] = True  # positional: a scratch slot in the commit phase
        c = lay.S + 1
        y[c] = att.window(np.array([c]), np.array(c + 1), 1)[0]  # c reads c' (1 lookup)
        remask[c + 1] = True

    # -- start sequence ---------------------------------------------------------------------------------------------
    def start_sequence(self, memory: np.ndarray, registers: np.ndarray) -> np.ndarray:
        """``x_0``: cells, ``[SEP] 0``, and ``[P] pid r`` for each processor with ``pc >= 0`` (no mask)."""
        lay, v = self.layout, self.vocab
        wc = self.codec
        live = np.flatnonzero(np.asarray(registers)[:, 0] >= 0)
        recs = np.empty((live.size, 2 + lay.K), dtype=np.int64)
        recs[:, 0] = v.id_of("[P]")
        recs[:, 1] = wc.enc(live.astype(np.int64))
        recs[:, 2:] = wc.enc(np.asarray(registers, dtype=np.int64)[live])
        head = np.concatenate([np.asarray(wc.enc(np.asarray(memory, dtype=np.int64)), dtype=np.int64).ravel(),
                               np.array([v.id_of("[SEP]"), wc.enc(0)], dtype=np.int64)])
        return np.concatenate([head, recs.ravel()])

    def to_json(self) -> dict[str, Any]:
        return {"program": self.program.name, "policy": self.policy.value, "layout": self.layout.to_json()}


def build_apmdm(program: Program, inst: Any, *, policy: Policy | str | None = None,
                max_length: int = DEFAULT_MAX_LENGTH, word_bits: int = DEFAULT_WORD_BITS
                ) -> tuple[ApmdmConstruction, np.ndarray]:
    """Build the Theorem 4 AP-MDM for ``program`` on ``inst``: the construction and its start sequence.

    The peak length is computed and checked against ``max_length`` before anything is allocated.

    Examples
    --------
    >>> from pram.programs import get_program
    >>> prog = get_program("sum")
    >>> ap, x0 = build_apmdm(prog, prog.parse_instance({"values": [1, 2, 3, 4]}))
    >>> int((x0 == ap.vocab.mask_id).sum()), len(x0) == ap.layout.start_length
    (0, True)
    """
    pol = check_policy(program, policy, "theorem 4 (PRAM -> AP-MDM)")
    setup = program.setup(inst)
    memory = np.asarray(setup.memory, dtype=np.int64)
    registers = np.asarray(setup.registers, dtype=np.int64)
    live = int((registers[:, 0] >= 0).sum()) if registers.size else 0
    layout = ApmdmLayout(S=int(memory.shape[0]), P=live, K=int(program.num_registers), R=int(program.num_reads),
                         W=int(program.num_writes))
    check_length(layout.peak_length, max_length, "the theorem 4 AP-MDM context length")
    con = ApmdmConstruction(program=program, policy=pol, layout=layout,
                            vocab=word_vocabulary(APMDM_SPECIALS, word_bits))
    return con, con.start_sequence(memory, registers)
