"""The two Sudoku baselines of PAPER.md §3.0 on the engine, with the same training puzzles as AP-MDM.

* **AO-MDM** (Kim et al.'s masked diffusion with Top-K probability-margin decoding): a sequence is the 81 cell values
  (digits; token ids of :data:`~reductions.tasks.sudoku_grid.SUDOKU_VOCAB`).  Training: the solution with each blank
  cell masked with probability ``t ~ U(eps, 1)`` (givens never masked; :func:`machines.neural.objectives.mask_tokens`),
  the masked-diffusion loss.  Decoding: from the puzzle with every blank MASK, one cell per step, the cell with the
  largest top-1 minus top-2 probability (:func:`~proofs_check.experiments.decoders.aomdm_margin_decode`, ``k = 1``).
* **Ordered ARM** (Kim et al.'s ARM "trained with solver order"): prompt = the 81 puzzle values (blank =
  ``[EMPTY]``), then for each blank cell, in the order in which the MRV solver gave it its final value, the pair
  ``#cell digit``, then ``[END]``; a causal Transformer with the next-token loss on the part after the prompt,
  greedy (KV-cached) decoding.  Vocabulary: the 32 Sudoku ids, ``#0 .. #80`` and ``[END]`` (114 ids).  The fill
  order is the project's reading [I] of "solver order" (PAPER.md §3.1 notes the official files are probably in
  the solver's fill order).

Both are judged like AP-MDM: the final grid by the independent validator and against the oracle's solution.  Both
models use the plain architecture of :func:`proofs_check.experiments.sudoku.model_config` (``ap-mdm``), the ARM made
causal over its own vocabulary.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from machines.neural.config import ModelConfig
from machines.neural.layers import Params
from machines.neural.loss import LossResult
from machines.neural.model import Outputs
from machines.neural.objectives import mask_tokens, masked_diffusion_loss, next_token_loss
from machines.vocab import Vocabulary
from proofs_check.experiments.decoders import NeuralBatchLogits, aomdm_margin_decode, arm_greedy_decode_cached
from proofs_check.experiments.sudoku import judge_grid, model_config
from proofs_check.experiments.trainer import Sampler, single_thread_blas
from reductions.tasks.sudoku import solve
from reductions.tasks.sudoku_grid import EMPTY, MASK, SUDOKU_VOCAB, parse_puzzle

__all__ = ["ARM_VOCAB", "END", "aomdm_config", "arm_config", "arm_sequence", "evaluate_aomdm", "evaluate_arm",
           "fill_order", "judge_written", "mdm_sampler", "arm_sampler"]

ARM_VOCAB = Vocabulary(tokens=(*SUDOKU_VOCAB.names, *(f"#{k}" for k in range(81)), "[END]"), mask="[MASK]",
                       eos="[END]")
CELL0 = SUDOKU_VOCAB.size  # id of "#0"
END = ARM_VOCAB.id_of("[END]")


def fill_order(puzzle: str) -> tuple[list[int], np.ndarray]:
    """``(blank cells in the order the MRV search last wrote their value, solution)``.

    Examples
    --------
    >>> solved = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
    >>> order, sol = fill_order("." + solved[1:])
    >>> order, int(sol[0])
    ([0], 5)
    """
    t = solve(puzzle)
    if t.solution is None:
        raise ValueError(f"puzzle has no solution: {puzzle}")
    vals = t.states[:, 0::4]
    changed = vals[1:] != vals[:-1]  # (T, 81)
    T = changed.shape[0]
    last = np.where(changed.any(axis=0), T - 1 - np.argmax(changed[::-1], axis=0), -1)
    blanks = np.flatnonzero(t.puzzle == 0)
    return sorted(blanks.tolist(), key=lambda k: (int(last[k]), k)), t.solution


def arm_sequence(puzzle: str) -> tuple[np.ndarray, int]:
    """``(prompt + pairs + [END] as ARM ids, prompt length 81)``."""
    order, sol = fill_order(puzzle)
    prompt = parse_puzzle(puzzle).astype(np.int64)  # 0 = [EMPTY], digits are their own ids
    pairs = [tok for k in order for tok in (CELL0 + k, int(sol[k]))]
    return np.concatenate([prompt, np.asarray(pairs, np.int64), [END]]), 81


def judge_written(puzzle: str, written: Sequence[int] | np.ndarray, solution: np.ndarray | None) -> str:
    """Replay the ARM's output (after the prompt) on the puzzle: ``exact`` / ``valid-but-wrong`` / ``invalid`` /
    ``malformed`` (not ``#cell digit`` pairs ending in ``[END]``, or a cell that is a given or written twice)."""
    w = [int(t) for t in written]
    if not w or w[-1] != END or len(w) % 2 != 1:
        return "malformed"
    grid = parse_puzzle(puzzle).astype(np.int64)
    seen = set()
    for a in range(0, len(w) - 1, 2):
        cell, digit = w[a] - CELL0, w[a + 1]
        if not (0 <= cell < 81 and 1 <= digit <= 9) or grid[cell] != 0 or cell in seen:
            return "malformed"
        seen.add(cell)
        grid[cell] = digit
    return judge_grid(puzzle, grid, solution)


def aomdm_config(**overrides: Any) -> ModelConfig:
    """The AO-MDM: the plain ``ap-mdm`` architecture over the 81 cell values."""
    return model_config("ap-mdm", **overrides)


def arm_config(**overrides: Any) -> ModelConfig:
    """The ordered ARM: the plain architecture, causal, over :data:`ARM_VOCAB`."""
    return model_config("ap-mdm", **(overrides | {"vocab_size": ARM_VOCAB.size, "mask_id": ARM_VOCAB.mask_id,
                                                  "causal": True}))


def mdm_sampler(puzzles: Sequence[str], batch_size: int) -> Sampler:
    """Batches of solutions with random masks on the blank cells (masked-diffusion loss)."""
    sols = np.stack([fill_order(p)[1].astype(np.int64) for p in puzzles])
    blanks = np.stack([parse_puzzle(p) == 0 for p in puzzles])

    def sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Callable[[Outputs], LossResult]]:
        idx = rng.integers(0, len(puzzles), size=batch_size)
        valid = np.ones((batch_size, 81), bool)
        mb = mask_tokens(sols[idx], valid, blanks[idx], rng, mask_id=MASK)
        return mb.x, valid, lambda out: masked_diffusion_loss(out, mb, mask_id=MASK)

    return sample


def arm_sampler(puzzles: Sequence[str], batch_size: int) -> Sampler:
    """Batches of ordered-ARM sequences, next-token loss after the prompt."""
    seqs = [arm_sequence(p)[0] for p in puzzles]
    lens = np.array([len(s) for s in seqs])

    def sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Callable[[Outputs], LossResult]]:
        idx = rng.integers(0, len(seqs), size=batch_size)
        L = int(lens[idx].max())
        x = np.zeros((batch_size, L), np.int64)
        valid = np.zeros((batch_size, L), bool)
        lm = np.zeros((batch_size, L), bool)
        for r, k in enumerate(idx.tolist()):
            x[r, :lens[k]], valid[r, :lens[k]] = seqs[k], True
            lm[r, 81:lens[k]] = True
        return x, valid, lambda out: next_token_loss(out, x, lm, mask_id=ARM_VOCAB.mask_id)

    return sample


def _summary(outcomes: list[str], c0: float) -> dict[str, Any]:
    n = len(outcomes)
    ok = sum(o == "exact" for o in outcomes)
    return {"n": n, "exact": ok, "accuracy": round(100.0 * ok / max(n, 1), 2),
            "outcomes": dict(sorted(Counter(outcomes).items())), "cpu_seconds": round(time.process_time() - c0, 1),
            "per_puzzle": list(outcomes)}


def evaluate_aomdm(config: ModelConfig, params: Params, puzzles: Sequence[str]) -> dict[str, Any]:
    """Top-K (k = 1) probability-margin decoding from the masked puzzle; the final grid judged by the validator."""
    c0 = time.process_time()
    x0s = [np.where(parse_puzzle(p) == 0, MASK, parse_puzzle(p)).astype(np.int64) for p in puzzles]
    with single_thread_blas():
        rolls = aomdm_margin_decode(NeuralBatchLogits(config=config, params=params), x0s, vocab=SUDOKU_VOCAB, k=1)
    outs = [judge_grid(p, r.final, solve(p).solution) if r.halt_reason == "no-masks" else r.halt_reason
            for p, r in zip(puzzles, rolls, strict=True)]
    return _summary(outs, c0)


def evaluate_arm(config: ModelConfig, params: Params, puzzles: Sequence[str]) -> dict[str, Any]:
    """Greedy KV-cached decoding after the puzzle prompt; the written pairs replayed and judged."""
    c0 = time.process_time()
    prompts = [parse_puzzle(p).astype(np.int64) for p in puzzles]
    with single_thread_blas():
        rolls = arm_greedy_decode_cached(config, params, prompts, vocab=ARM_VOCAB, max_new=2 * 81 + 1,
                                         stop_ids=[END])
    outs = [judge_written(p, r.final[81:], solve(p).solution) for p, r in zip(puzzles, rolls, strict=True)]
    return _summary(outs, c0)


assert EMPTY == 0  # the ARM prompt writes a blank as its value 0 = [EMPTY]
