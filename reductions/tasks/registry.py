"""Name -> task, for ``powergen train TASK`` and ``powergen eval TASK``.

A task object has ``name``, ``vocab``, ``description``, ``transitions(*, seed) -> list[Transition]`` (verified with
``g`` by the training pipeline), ``model_config()``, ``train_config()``, and, to be evaluated,
``instances(length, count, rng) -> [(x0, expected_final)]``, ``max_steps(length)``, ``default_lengths``,
``default_count`` and ``oracle`` (the process itself as a predictor, for ``powergen eval TASK --oracle``).
To add a task, add one row to :data:`TASKS` (a zero-argument factory, imported lazily so that listing the names
stays cheap).

Examples
--------
>>> [n for n in names() if n.startswith("parity")]
['parity', 'parity-parallel', 'parity-seven']
>>> get("parity").name
'parity'
"""

from __future__ import annotations

import importlib
from typing import Any

from reductions.errors import InvalidInstance

__all__ = ["TASKS", "get", "names"]

# name -> "module:factory"
TASKS: dict[str, str] = {
    "parity": "reductions.tasks.parity:ParityTask",
    "parity-parallel": "reductions.tasks.parity_parallel:ParityParallelTask",
    "parity-seven": "reductions.tasks.parity:ParitySevenTask",
}


def names() -> list[str]:
    """The registered task names, sorted."""
    return sorted(TASKS)


def get(name: str) -> Any:
    """A fresh task object for ``name``; :class:`InvalidInstance` (one line, listing the names) if unknown."""
    if name not in TASKS:
        raise InvalidInstance(f"unknown task {name!r}; known tasks: {', '.join(names())}")
    module, _, factory = TASKS[name].partition(":")
    return getattr(importlib.import_module(module), factory)()
