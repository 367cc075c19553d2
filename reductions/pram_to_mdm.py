"""Theorem 1 (the project's reconstruction): a PRAM program run as an MDM, O(T) decoding steps, context O(P*T).

PAPER.md §2 states the theorem -- ``PRAM(P(n), T(n)) ⊆ MDM(O(P(n)T(n)), O(T(n)))`` -- but not its proof; the
construction below is the standard write-once simulation sketched there [I].  One token holds one machine word
(:class:`~machines.vocab.WordVocabulary`); ``[NONE]`` marks an unused write port.

Token layout (S memory cells, P processor rows with K registers, W write ports, T PRAM steps)::

    | m_0 .. m_{S-1} | r_{0,0..K-1} .. r_{P-1,0..K-1} | block 1 | ... | block T | o_0 .. o_{S-1} |
      input memory     initial registers (input)        masks, filled one block per step   final memory (masks)

    block t = for p = 0..P-1:  r'_{p,0} .. r'_{p,K-1}  a_{p,1} v_{p,1} .. a_{p,W} v_{p,W}     (K + 2W tokens)

Decoding step t (t = 1..T) unmasks all of block t at once; step T + 1 unmasks the output section.  So the MDM makes
exactly ``T + 1`` steps and its context is exactly ``2S + P*K + T*P*(K + 2W)`` tokens.

How a slot of block t is filled -- the per-position "attention reads", all done on the sequence alone:

1. locate the block being filled: the first mask (1 lookup);
2. read the processor's previous registers: block t-1 (or the initial registers) at a fixed offset (1 lookup);
   a processor with ``pc < 0`` is halted: it copies its registers and writes nothing;
3. for each used read port, read address ``a`` "as of step t": the latest block before t holding a write to ``a``
   (lowest processor id, then lowest port, among that block's writers), or the input cell ``m_a`` (1 lookup each);
4. run the program's pure one-processor step ``compute`` (the constant-depth MLP of the proof).

So every position makes at most ``2 + R`` lookups, a constant independent of n.  The output slot ``o_a`` makes 2
(locate, latest write to ``a``).  :meth:`MdmConstruction.fill` computes a whole block with numpy;
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

        Notes
        -----
        O(t*P*W log) numpy work for block t (one pass over the earlier write records), no Python loop per slot.
        """
        lay, v = self.layout, self.vocab
        wc = self.codec
        x = np.asarray(x, dtype=np.int64)
        masks = x == v.mask_id
        if x.shape != (lay.length,) or not masks.any():
            raise LockstepMismatch(f"theorem 1 predictor: sequence of length {x.shape} with no mask to fill "
                                   f"(expected length {lay.length})")
        first = int(np.argmax(masks))
        t = 1 + (first - lay.input_length) // lay.block if first < lay.output_start else lay.T + 1
        y = x.copy()
        unmask = np.zeros(lay.length, dtype=bool)
        if t == lay.T + 1:
            mem = self.memory_after(x, lay.T)
            y[lay.output_start:] = wc.enc(mem)
            unmask[lay.output_start:] = True
            return Prediction(y=y, unmask=unmask), np.full(lay.S, 2, dtype=np.int64)
        regs = self.registers_after(x, t - 1)
        mem = self.memory_after(x, t - 1)
        tokens, lookups = self._block_tokens(t, regs, mem)
        lo = lay.block_start(t)
        y[lo:lo + lay.block] = tokens
        unmask[lo:lo + lay.block] = True
        return Prediction(y=y, unmask=unmask), lookups

    def _block_tokens(self, t: int, regs: np.ndarray, mem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lay, v, prog = self.layout, self.vocab, self.program
        wc = self.codec
        none = v.id_of("[NONE]")
        active = np.flatnonzero(regs[:, 0] >= 0)
        new_regs = regs.copy()
        rec = np.full((lay.P, lay.record), none, dtype=np.int64)
        look = np.full((lay.P, lay.record), 2, dtype=np.int64)
        if active.size:
            pid = active.astype(np.int64)
            step = t - 1 + FIRST_STEP
            raddr = np.asarray(prog.read_addresses(step, pid, regs[active]), dtype=np.int64).reshape(pid.size, -1)
            _check_addresses(raddr, lay.S, t)
            vals = np.where(raddr >= 0, mem[np.maximum(raddr, 0)], 0).astype(np.int64)
            waddr, wval, nregs = prog.compute(step, pid, regs[active], vals)
            waddr = np.asarray(waddr, dtype=np.int64).reshape(pid.size, lay.W)
            wval = np.asarray(wval, dtype=np.int64).reshape(pid.size, lay.W)
            new_regs[active] = np.asarray(nregs, dtype=np.int64)
            used = waddr >= 0
            rec[active, lay.K::2] = np.where(used, wc.enc(np.where(used, waddr, 0)), none)
            rec[active, lay.K + 1::2] = np.where(used, wc.enc(np.where(used, wval, 0)), none)
            look[active] += (raddr >= 0).sum(axis=1, keepdims=True)
        rec[:, :lay.K] = wc.enc(new_regs)
        return rec.ravel(), look.ravel()

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
    ``T + 1``: the demonstration of PAPER.md §2 (Theorem 1, consequences) that parallel decoding is exponentially
    faster on parallelisable problems.
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
    blocks = int(program.exact_counters(inst).time) if T is None else int(T)
    layout = MdmLayout(S=int(memory.shape[0]), P=int(registers.shape[0]), K=int(program.num_registers),
                       R=int(program.num_reads), W=int(program.num_writes), T=blocks)
    check_length(layout.length, max_length, "the theorem 1 MDM context length")
    con = MdmConstruction(program=program, policy=pol, layout=layout, vocab=word_vocabulary(MDM_SPECIALS, word_bits))
    return con, con.start_sequence(memory, registers)
