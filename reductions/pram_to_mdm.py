"""Theorem 1 (the project's reconstruction): a PRAM program run as an MDM, O(T) decoding steps, context O(P*T).

PAPER.md §2 states the theorem -- ``PRAM(P(n), T(n)) ⊆ MDM(O(P(n)T(n)), O(T(n)))`` -- but not its proof; the
construction below is the standard write-once simulation sketched there [I].  One token holds one machine word
(:class:`~machines.vocab.WordVocabulary`); ``[NONE]`` marks an unused write port.

Token layout (S memory cells, P processor rows with K registers, W write ports, T PRAM steps)::

    | m_0 .. m_{S-1} | r_{0,0..K-1} .. r_{P-1,0..K-1} | block 1 | ... | block T | o_0 .. o_{S-1} |
      input memory     initial registers (input)        masks, filled one block per step   final memory (masks)

    block t = for p = 0..P-1:  r'_{p,0} .. r'_{p,K-1}  a_{p,1} v_{p,1} .. a_{p,W} v_{p,W}     (K + 2W tokens)

Decoding step t (t = 1..T) unmasks all of block t at once; step T + 1 unmasks the output section.  So the MDM makes
exactly ``T + 1`` steps when the start sequence has a mask (``S > 0`` or ``P*T > 0``) and 0 steps otherwise (the
empty instance: S = 0, nothing to decode), and its context is exactly ``2S + P*K + T*P*(K + 2W)`` tokens.  P is the
number of processor rows; when no processor is live at the start (so T = 0) the rows are dropped, P = 0.

How a slot of block t is filled -- the per-position "attention reads", all done on the sequence alone through a
counting :class:`~reductions.pram_common.HardAttention` (so the counts below are *measured* by the run: each lookup
is charged by the helper that performs it):

1. locate the block being filled: the first mask (1 lookup);
2. read the processor's previous registers: block t-1 (or the initial registers) at a fixed offset (1 lookup);
   a processor with ``pc < 0`` is halted: it copies its registers and writes nothing;
3. for each used read port, read address ``a`` "as of step t": the latest block before t holding a write to ``a``
   (lowest processor id, then lowest port, among that block's writers), or the input cell ``m_a`` (1 lookup each);
4. run the program's pure one-processor step ``compute`` (the constant-depth MLP of the proof).

So by construction every position makes at most ``2 + R`` lookups, a constant independent of n; the output slot
``o_a`` makes 2 (locate, latest write to ``a``).  The lock-step runs report the helper's counts, and the claim
checker holds them against ``2 + R``.  :meth:`MdmConstruction.fill` computes a whole block with numpy;
:meth:`MdmConstruction.reference_record` computes one slot with plain Python loops (the tested reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.predictor import Prediction
from machines.vocab import WordVocabulary
from pram.machine import Policy, Program
from reductions.errors import LockstepMismatch
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

__all__ = ["MDM_SPECIALS", "ArmRecords", "MdmLayout", "MdmConstruction", "build_mdm"]

MDM_SPECIALS = ("[NONE]",)
#: ``step`` argument the program receives at PRAM step t (1-based): ``t - 1 + FIRST_STEP``.
FIRST_STEP = 1


@dataclass(frozen=True, slots=True)
class MdmLayout:
    """Sizes of the Theorem 1 sequence; every position is a fixed function of these (the positional code).

    Examples
    --------
    >>> lay = MdmLayout(S=4, P=2, K=3, R=1, W=1, T=5)
    >>> lay.record, lay.block, lay.length, lay.block_start(1), lay.output_start
    (5, 10, 64, 10, 60)
    """

    S: int
    P: int
    K: int
    R: int
    W: int
    T: int

    @property
    def record(self) -> int:
        return self.K + 2 * self.W

    @property
    def block(self) -> int:
        return self.P * self.record

    @property
    def input_length(self) -> int:
        return self.S + self.P * self.K

    @property
    def output_start(self) -> int:
        return self.input_length + self.T * self.block

    @property
    def length(self) -> int:
        return self.output_start + self.S

    def block_start(self, t: int) -> int:
        """First position of block ``t`` (1-based); ``t = T + 1`` is the output section."""
        return self.input_length + (t - 1) * self.block

    def to_json(self) -> dict[str, int]:
        return {"S": self.S, "P": self.P, "K": self.K, "R": self.R, "W": self.W, "T": self.T,
                "length": self.length}


@dataclass(frozen=True)
class MdmConstruction:
    """The Theorem 1 MDM for one program at one size: its layout, vocabulary and oracle predictor.

    Instances are immutable "weights": calling the object is the predictor ``(x, rng) -> Prediction``, a pure
    function of ``x``.  Build it with :func:`build_mdm`.
    """

    program: Program
    policy: Policy
    layout: MdmLayout
    vocab: WordVocabulary

    @property
    def codec(self) -> WordCodec:
        return WordCodec(self.vocab)

    # -- the predictor -----------------------------------------------------------------------------------------
    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
        return self.fill(x)[0]

    def fill(self, x: np.ndarray) -> tuple[Prediction, np.ndarray]:
        """Fill the first masked block of ``x``; return the prediction and the lookups of each filled position.

        Every read of ``x`` goes through a :class:`~reductions.pram_common.HardAttention`, which counts it; the
        returned lookup counts are those charges (derived, not asserted).

        Notes
        -----
        O(t*P*W log) numpy work for block t (one pass over the earlier write records), no Python loop per slot.
        """
        lay = self.layout
        x = np.asarray(x, dtype=np.int64)
        if x.shape != (lay.length,):
            raise LockstepMismatch(f"theorem 1 predictor: sequence of length {x.shape}, expected {lay.length}")
        att = HardAttention(x)
        pred, filled = self._fill(att)
        return pred, att.counts_at(filled)

    def _fill(self, att: HardAttention) -> tuple[Prediction, np.ndarray]:
        """The predictor proper, on a counting view of the sequence; returns the prediction and the filled slots."""
        lay, v = self.layout, self.vocab
        wc = self.codec
        first = att.first_equal(None, v.mask_id)  # 1: every position locates the block being filled
        if first < 0:
            raise LockstepMismatch(f"theorem 1 predictor: no mask to fill (length {lay.length})")
        t = 1 + (first - lay.input_length) // lay.block if first < lay.output_start else lay.T + 1
        # sparse prediction: y is MASK except where this step unmasks (the canonical y of a trace); both arrays
        # start as untouched zero pages when MASK is id 0, and only the filled positions are written
        y = np.zeros(lay.length, dtype=np.int64) if v.mask_id == 0 else np.full(lay.length, v.mask_id, np.int64)
        unmask = np.zeros(lay.length, dtype=bool)
        if t == lay.T + 1:
            out_pos = np.arange(lay.output_start, lay.length, dtype=np.int64)
            ids = self._latest(att, out_pos[:, None], np.arange(lay.S, dtype=np.int64)[:, None], lay.T)
            y[out_pos] = ids[:, 0]
            unmask[out_pos] = True
            return Prediction(y=y, unmask=unmask), out_pos
        lo = lay.block_start(t)
        rec_pos = lo + np.arange(lay.block, dtype=np.int64).reshape(lay.P, lay.record)
        # 2: each slot reads its processor's previous registers (initial registers, or block t-1, fixed offset)
        prev = lay.S + np.arange(lay.P, dtype=np.int64) * lay.K if t == 1 else \
            lay.block_start(t - 1) + np.arange(lay.P, dtype=np.int64) * lay.record
        regs = np.asarray(wc.dec(att.window(rec_pos, prev, lay.K)), dtype=np.int64).reshape(lay.P, lay.K)
        tokens = self._block_tokens(att, t, regs, rec_pos)
        y[rec_pos.ravel()] = tokens
        unmask[rec_pos.ravel()] = True
        return Prediction(y=y, unmask=unmask), rec_pos.ravel()

    def _latest(self, att: HardAttention, queries: np.ndarray, targets: np.ndarray, t: int) -> np.ndarray:
        """3: token ids of "address a as of the end of block ``t``" -- the latest write record to ``a`` in blocks
        1..t (later block first, then lower pid, then lower port), else the input cell ``m_a``; one lookup per
        used target, charged to ``queries``."""
        lay, none = self.layout, self.vocab.id_of("[NONE]")
        wc = self.codec
        pw = lay.P * lay.W
        if t == 0 or pw == 0:
            key_pos = np.zeros(0, dtype=np.int64)
            prio = key_pos
        else:
            slot = (np.arange(lay.P, dtype=np.int64)[:, None] * lay.record + lay.K
                    + 2 * np.arange(lay.W, dtype=np.int64)[None, :]).ravel()
            key_pos = (lay.input_length + np.arange(t, dtype=np.int64)[:, None] * lay.block + slot[None, :]).ravel()
            prio = (np.arange(t, dtype=np.int64)[:, None] * pw + (pw - 1 - np.arange(pw, dtype=np.int64))[None, :]
                    ).ravel()

        def key_of(ids: np.ndarray) -> np.ndarray:
            used = ids != none
            out = np.full(ids.shape, -1, dtype=np.int64)
            out[used] = wc.dec(ids[used])
            if (out[used] >= lay.S).any():
                raise LockstepMismatch(f"theorem 1: a write record names an address outside 0..{lay.S - 1}")
            return out

        return att.latest(queries, targets, key_pos, prio, np.arange(lay.S, dtype=np.int64), key_of)

    def _block_tokens(self, att: HardAttention, t: int, regs: np.ndarray, rec_pos: np.ndarray) -> np.ndarray:
        lay, v, prog = self.layout, self.vocab, self.program
        wc = self.codec
        none = v.id_of("[NONE]")
        active = np.flatnonzero(regs[:, 0] >= 0)
        new_regs = regs.copy()
        rec = np.full((lay.P, lay.record), none, dtype=np.int64)
        if active.size:
            pid = active.astype(np.int64)
            step = t - 1 + FIRST_STEP
            raddr = np.asarray(prog.read_addresses(step, pid, regs[active]), dtype=np.int64).reshape(pid.size, -1)
            _check_addresses(raddr, lay.S, t)
            ids = self._latest(att, rec_pos[active], raddr, t - 1)
            vals = np.zeros(raddr.shape, dtype=np.int64)
            rused = raddr >= 0
            if rused.any():
                vals[rused] = wc.dec(ids[rused])
            waddr, wval, nregs = prog.compute(step, pid, regs[active], vals)
            waddr = np.asarray(waddr, dtype=np.int64).reshape(pid.size, lay.W)
            wval = np.asarray(wval, dtype=np.int64).reshape(pid.size, lay.W)
            new_regs[active] = np.asarray(nregs, dtype=np.int64)
            used = waddr >= 0
            rec[active, lay.K::2] = np.where(used, wc.enc(np.where(used, waddr, 0)), none)
            rec[active, lay.K + 1::2] = np.where(used, wc.enc(np.where(used, wval, 0)), none)
        rec[:, :lay.K] = wc.enc(new_regs)
        return rec.ravel()

    # -- decoding the PRAM state from the sequence (used by the predictor and by the lock-step check) ---------------
    def registers_after(self, x: np.ndarray, t: int) -> np.ndarray:
        """The (P, K) registers after PRAM step ``t`` (``t = 0``: the initial registers), read from ``x``."""
        lay = self.layout
        if t == 0:
            ids = x[lay.S:lay.input_length].reshape(lay.P, lay.K)
        else:
            lo = lay.block_start(t)
            ids = x[lo:lo + lay.block].reshape(lay.P, lay.record)[:, :lay.K]
        return np.asarray(self.codec.dec(ids), dtype=np.int64).reshape(lay.P, lay.K)

    def memory_after(self, x: np.ndarray, t: int) -> np.ndarray:
        """Shared memory after PRAM step ``t``: the input, overwritten by the winning writes of blocks 1..t in order."""
        lay, v = self.layout, self.vocab
        wc = self.codec
        mem = np.asarray(wc.dec(x[:lay.S]), dtype=np.int64).reshape(lay.S)
        if t == 0 or lay.W == 0:
            return mem
        none = v.id_of("[NONE]")
        pw = lay.P * lay.W
        recs = x[lay.input_length:lay.block_start(t + 1)].reshape(t, lay.P, lay.record)[:, :, lay.K:]
        a_ids = recs[:, :, 0::2].reshape(t, pw)
        used = a_ids != none
        if not used.any():
            return mem
        # priority key of a write: later block first, then lower (pid, port); unique, so one max per address
        key = (np.arange(t, dtype=np.int64)[:, None] * pw + (pw - 1 - np.arange(pw, dtype=np.int64))[None, :])[used]
        addr = np.asarray(wc.dec(a_ids[used]), dtype=np.int64)
        if addr.min() < 0 or addr.max() >= lay.S:
            raise LockstepMismatch(f"theorem 1: a write record names an address outside 0..{lay.S - 1}")
        best = np.full(lay.S, -1, dtype=np.int64)
        np.maximum.at(best, addr, key)
        hit = np.flatnonzero(best >= 0)
        k = best[hit]
        blk, slot = k // pw, pw - 1 - k % pw
        v_ids = recs[:, :, 1::2].reshape(t, pw)[blk, slot]
        mem[hit] = np.asarray(wc.dec(v_ids), dtype=np.int64)
        return mem

    def apply_block(self, memory: np.ndarray, x: np.ndarray, t: int) -> np.ndarray:
        """Memory after step ``t`` from the memory after ``t - 1`` and block ``t`` alone (an O(P W) decode).

        The lock-step check decodes incrementally with this; it must agree with :meth:`memory_after` (tested).
        """
        lay, wc = self.layout, self.codec
        lo = lay.block_start(t)
        w = x[lo:lo + lay.block].reshape(lay.P, lay.record)[:, lay.K:]
        a_ids, v_ids = w[:, 0::2].ravel(), w[:, 1::2].ravel()
        used = a_ids != self.vocab.id_of("[NONE]")
        addr = np.full(a_ids.shape, -1, dtype=np.int64)
        addr[used] = wc.dec(a_ids[used])
        val = np.zeros(a_ids.shape, dtype=np.int64)
        val[used] = wc.dec(v_ids[used])
        wa, wv = resolve_writes(addr, val, np.arange(addr.size, dtype=np.int64))
        out = memory.copy()
        out[wa] = wv
        return out

    # -- plain reference: one slot, Python loops -------------------------------------------------------------------
    def reference_record(self, x: np.ndarray, t: int, p: int) -> list[int]:
        """The K + 2W tokens of processor ``p`` in block ``t``, computed with plain loops over ``x``."""
        lay, v, prog = self.layout, self.vocab, self.program
        wc = self.codec
        xs = [int(i) for i in np.asarray(x).tolist()]
        none = v.id_of("[NONE]")
        word = wc.dec
        if t == 1:
            regs = [int(word(xs[lay.S + p * lay.K + k])) for k in range(lay.K)]
        else:
            base = lay.block_start(t - 1) + p * lay.record
            regs = [int(word(xs[base + k])) for k in range(lay.K)]
        if regs[0] < 0:
            return [int(wc.enc(r)) for r in regs] + [none] * (2 * lay.W)
        step = t - 1 + FIRST_STEP
        regs_a = np.array([regs], dtype=np.int64)
        pid = np.array([p], dtype=np.int64)
        raddr = [int(a) for a in np.asarray(prog.read_addresses(step, pid, regs_a)).ravel()]
        values = [0 if a < 0 else self._reference_read(xs, t, a) for a in raddr]
        waddr, wval, nregs = prog.compute(step, pid, regs_a, np.array([values], dtype=np.int64).reshape(1, -1))
        out = [int(wc.enc(int(r))) for r in np.asarray(nregs).ravel()]
        for a, val in zip(np.asarray(waddr).ravel().tolist(), np.asarray(wval).ravel().tolist(), strict=True):
            out += [none, none] if a < 0 else [int(wc.enc(a)), int(wc.enc(val))]
        return out

    def _reference_read(self, xs: list[int], t: int, a: int) -> int:
        lay, v = self.layout, self.vocab
        wc = self.codec
        none = v.id_of("[NONE]")
        for tb in range(t - 1, 0, -1):
            base = lay.block_start(tb)
            for q in range(lay.P):
                for w in range(lay.W):
                    pos = base + q * lay.record + lay.K + 2 * w
                    if xs[pos] != none and int(wc.dec(xs[pos])) == a:
                        return int(wc.dec(xs[pos + 1]))
        return int(wc.dec(xs[a]))

    # -- start sequence -------------------------------------------------------------------------------------------
    def start_sequence(self, memory: np.ndarray, registers: np.ndarray) -> np.ndarray:
        """``x_0``: the input memory and initial registers, then masks for the T blocks and the output."""
        lay, v = self.layout, self.vocab
        wc = self.codec
        x = np.full(lay.length, v.mask_id, dtype=np.int64)
        x[:lay.S] = wc.enc(np.asarray(memory, dtype=np.int64))
        x[lay.S:lay.input_length] = np.asarray(wc.enc(np.asarray(registers, dtype=np.int64))).ravel()
        return x

    def output_memory(self, final: np.ndarray) -> np.ndarray:
        """The final PRAM memory, read from the output section of a finished sequence."""
        lay = self.layout
        return np.asarray(self.codec.dec(np.asarray(final)[lay.output_start:]), dtype=np.int64).reshape(lay.S)

    def to_json(self) -> dict[str, Any]:
        return {"program": self.program.name, "policy": self.policy.value, "layout": self.layout.to_json()}


@dataclass(frozen=True)
class ArmRecords:
    """The ARM that writes the same records as the Theorem 1 MDM, left to right, one token per step.

    Its prompt is the MDM's input section (memory and initial registers, no mask); at each step it appends the
    token the MDM would place at the next position (computed by the MDM's own block filler on the prefix padded with
    masks -- a pure function of the prefix).  It needs exactly ``T*P*(K + 2W) + S`` steps where the MDM needs
    ``T + 1`` (when there is anything to write): the demonstration of PAPER.md §2 (Theorem 1, consequences) that
    parallel decoding is exponentially faster on parallelisable problems.
    """

    mdm: MdmConstruction

    def prompt(self, x0: np.ndarray) -> np.ndarray:
        return np.asarray(x0[:self.mdm.layout.input_length], dtype=np.int64)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
        lay, v = self.mdm.layout, self.mdm.vocab
        L = int(x.shape[0])
        if L >= lay.length:
            return Prediction(y=np.asarray(x, dtype=np.int64), halt=True)
        padded = np.full(lay.length, v.mask_id, dtype=np.int64)
        padded[:L] = x
        start = lay.block_start(1 + (L - lay.input_length) // lay.block) if L < lay.output_start else lay.output_start
        padded[start:L] = v.mask_id  # the block being written is recomputed from the blocks before it
        pred, _ = self.mdm.fill(padded)
        y = np.zeros(L, dtype=np.int64)
        y[-1] = pred.y[L]
        return Prediction(y=y)

    @property
    def exact_steps(self) -> int:
        return self.mdm.layout.length - self.mdm.layout.input_length


def _check_addresses(raddr: np.ndarray, S: int, t: int) -> None:
    bad = (raddr >= S) | (raddr < -1)
    if bad.any():
        raise LockstepMismatch(f"theorem 1: at PRAM step {t} a processor reads address {int(raddr[bad][0])} "
                               f"outside 0..{S - 1}")


def build_mdm(program: Program, inst: Any, *, policy: Policy | str | None = None, T: int | None = None,
              max_length: int = DEFAULT_MAX_LENGTH, word_bits: int = DEFAULT_WORD_BITS
              ) -> tuple[MdmConstruction, np.ndarray]:
    """Build the Theorem 1 MDM for ``program`` on ``inst``: the construction and its start sequence.

    ``T`` (the number of blocks) defaults to the program's exact closed-form time ``exact_counters(inst).time``.
    The sequence length is computed and checked against ``max_length`` before anything is allocated.

    Raises
    ------
    UnsupportedProgram
        Unsupported policy (CRCW-arbitrary, or weaker than the program's ``min_policy``).
    InstanceTooLarge
        The context would exceed ``max_length``.

    Examples
    --------
    >>> from pram.programs import get_program
    >>> prog = get_program("sum")
    >>> inst = prog.parse_instance({"values": [1, 2, 3, 4]})
    >>> mdm, x0 = build_mdm(prog, inst)
    >>> mdm.layout.length == len(x0), int((x0 == mdm.vocab.mask_id).sum()) > 0
    (True, True)
    """
    pol = check_policy(program, policy, "theorem 1 (PRAM -> MDM)")
    setup = program.setup(inst)
    memory = np.asarray(setup.memory, dtype=np.int64)
    registers = np.asarray(setup.registers, dtype=np.int64)
    if registers.shape[0] and not (registers[:, 0] >= 0).any():
        registers = registers[:0]  # no processor ever runs (T = 0): no processor rows, P = 0
    blocks = int(program.exact_counters(inst).time) if T is None else int(T)
    layout = MdmLayout(S=int(memory.shape[0]), P=int(registers.shape[0]), K=int(program.num_registers),
                       R=int(program.num_reads), W=int(program.num_writes), T=blocks)
    check_length(layout.length, max_length, "the theorem 1 MDM context length")
    con = MdmConstruction(program=program, policy=pol, layout=layout, vocab=word_vocabulary(MDM_SPECIALS, word_bits))
    return con, con.start_sequence(memory, registers)
