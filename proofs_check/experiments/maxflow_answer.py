"""The answer-only ARM of graph editing (issue 15): a causal model that reads the graph and writes the cut edges.

The second ARM row of the experiment, and the project's reconstruction [I] (the paper reports only an ARM that
"simulates the same edit process").  Where the edit-log ARM (:mod:`proofs_check.experiments.maxflow_arm`) writes
every step of the process, this one writes only the answer: after the encoded graph ``x_0`` (the prompt, the same
tokens AP-MDM starts from) it writes the edges of a minimum s-t cut as node-id pairs ``u v``, in ``(u, v)`` order,
then ``[EOS]``.  Its vocabulary is the 53 max-flow tokens themselves, so with the AP-MDM model's blocks and width
it has exactly the AP-MDM model's parameter count (307,064 at the default size).

It is trained with next-token cross entropy on the answer (not the prompt) towards the oracle's cut: the edges
the AP-MDM process deletes (the edges that leave the set of nodes still reachable from ``s`` in the final residual
graph).  **Success** is judged by the same certificate as AP-MDM (:func:`judge_answer`): the written pairs are
distinct edges of the graph, and deleting them leaves a graph whose remaining edges pass
:func:`reductions.tasks.maxflow_graph.certificate_problems` (``s`` and ``t`` disconnected, the deleted edges are
exactly the edges leaving the part reachable from ``s``, as many as the max-flow value).  A different minimum cut of
that form counts as a success (there is no final sequence to compare: the model writes no process).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from machines.neural.config import ModelConfig, TrainConfig
from machines.neural.layers import Params
from reductions.errors import InvalidInstance
from reductions.tasks.maxflow import EOS, FLOW_VOCAB, encode_instance, parse_state, run_maxflow
from reductions.tasks.maxflow_graph import FlowInstance, certificate_problems

__all__ = ["answer_model_config", "answer_sequence", "cut_edges", "evaluate_answer", "judge_answer", "run_answer"]

MAX_ANSWER = 64  # a cut of a graph on <= 15 nodes has at most 14 edges: 28 ids and [EOS]


def cut_edges(inst: FlowInstance) -> list[tuple[int, int]]:
    """The edges the oracle process deletes (its minimum cut), in ``(u, v)`` order.

    Examples
    --------
    >>> cut_edges(FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (1, 2), (0, 2)), s=0, t=2))
    [(0, 1), (0, 2)]
    """
    final = run_maxflow(inst).final
    try:
        kept = {(e.u, e.v) for e in parse_state(final).edges}
    except InvalidInstance as exc:  # pragma: no cover - the oracle's final state always parses
        raise AssertionError(f"oracle final state does not parse: {exc}") from None
    return sorted(e for e in inst.edges if tuple(e) not in kept)


def answer_sequence(inst: FlowInstance) -> tuple[np.ndarray, int]:
    """``(prompt + answer + [EOS] as max-flow ids, prompt length)``: the training sequence of one graph.

    Examples
    --------
    >>> seq, n = answer_sequence(FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (1, 2), (0, 2)), s=0, t=2))
    >>> FLOW_VOCAB.decode(seq[n:])
    ['0', '1', '0', '2', '[EOS]']
    """
    x0 = encode_instance(inst)
    answer = [FLOW_VOCAB.id_of(str(v)) for e in cut_edges(inst) for v in e]
    return np.concatenate([x0, np.asarray(answer, np.int64), [EOS]]).astype(np.int64), int(x0.shape[0])


def judge_answer(inst: FlowInstance, written: Sequence[int] | np.ndarray,
                 oracle_final: np.ndarray | None = None) -> str:
    """Why the written answer fails the certificate (module docstring), or ``""`` on success.

    ``oracle_final`` is accepted for the common judging signature and not used.

    Examples
    --------
    >>> inst = FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (1, 2), (0, 2)), s=0, t=2)
    >>> ids = lambda *names: [FLOW_VOCAB.id_of(n) for n in names]
    >>> judge_answer(inst, ids("0", "1", "0", "2", "[EOS]")), judge_answer(inst, ids("0", "2", "[EOS]"))
    ('', 'certificate')
    >>> judge_answer(inst, ids("0", "2", "1", "2", "[EOS]"))  # the other minimum cut, on the sink side
    ''
    """
    names = FLOW_VOCAB.decode([int(t) for t in written])
    if not names or names[-1] != "[EOS]":
        return "no-end"
    body = names[:-1]
    if len(body) % 2 or not all(t.isdigit() for t in body):
        return "malformed"
    pairs = [(int(body[k]), int(body[k + 1])) for k in range(0, len(body), 2)]
    edges = {tuple(e) for e in inst.edges}
    if any(p not in edges for p in pairs):
        return "not-an-edge"
    if len(set(pairs)) != len(pairs):
        return "repeated-edge"
    remaining = [e for e in inst.edges if tuple(e) not in set(pairs)]
    return "certificate" if certificate_problems(inst, remaining) else ""


def answer_model_config(**overrides: Any) -> ModelConfig:
    """The answer-only ARM: the AP-MDM model of :func:`~proofs_check.experiments.maxflow.model_config` made causal
    (same vocabulary, blocks, width, heads and RoPE, hence the same parameter count)."""
    from proofs_check.experiments.maxflow import model_config

    base = model_config(**overrides).to_json() | {"causal": True}
    if base.get("rotary") is not None:
        base["rotary"] = tuple(base["rotary"])
    return ModelConfig(**base)


def evaluate_answer(config: ModelConfig, params: Params, *, sizes: Sequence[int], count: int, seed: int,
                    stream: str = "test") -> dict[str, Any]:
    """Greedy (KV-cached) decoding on ``count`` held-out graphs per size, judged by :func:`judge_answer`."""
    from proofs_check.experiments.maxflow_arm import evaluate_causal

    return evaluate_causal(config, params, sizes=sizes, count=count, seed=seed, max_new=MAX_ANSWER, stream=stream,
                           vocab=FLOW_VOCAB, stop_id=EOS, judge=judge_answer)


def run_answer(*, run_dir: str, seed: int = 0, budget_cpu_seconds: float | None = 3600.0, train_graphs: int = 7000,
               test_per_size: int = 1000, probe_per_size: int = 10, eval_every: int = 1000,
               model: ModelConfig | None = None, train: TrainConfig | None = None,
               train_sizes: Sequence[int] | None = None, test_sizes: Sequence[int] | None = None,
               command: str | None = None, on_log: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Train the answer-only ARM on the experiment's training graphs under the same CPU budget (batch 16, as
    AP-MDM: its sequences are no longer than AP-MDM's states), evaluate it, write ``<run_dir>/result.json``."""
    from proofs_check.experiments.maxflow import train_config
    from proofs_check.experiments.maxflow_arm import run_causal

    mcfg = model or answer_model_config()
    return run_causal(kind="arm-answer", build=answer_sequence,
                      evaluate=lambda params, sizes, count, stream: evaluate_answer(
                          mcfg, params, sizes=sizes, count=count, seed=seed, stream=stream),
                      run_dir=run_dir, seed=seed, budget_cpu_seconds=budget_cpu_seconds, train_graphs=train_graphs,
                      test_per_size=test_per_size, probe_per_size=probe_per_size, eval_every=eval_every, model=mcfg,
                      train=train or train_config(), train_sizes=train_sizes, test_sizes=test_sizes,
                      command=command, on_log=on_log)
