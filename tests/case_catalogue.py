"""The shared case catalogue (STYLE.md point 8): (program, input, expected output) run at every level.

The same cases run on the PRAM (``pram.machine.PRAM``), through the Theorem 1 MDM construction and through the
Theorem 4 AP-MDM construction; outputs and counts are compared across the three.  Expected outputs are worked out
by hand (``HAND``) or, for seeded random instances (``seeded_cases``), taken from the program's independent
sequential oracle -- never from the code under test.

pytest puts ``tests/`` on the import path (``pythonpath`` in pyproject's pytest settings; tests/ has no
``__init__.py``), so a test parametrised at collection time imports it directly::

    from case_catalogue import all_cases

and a test that only needs the cases at run time takes the ``case_catalogue`` fixture (tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pram.programs import PROGRAMS
from pram.rng import as_generator
from proofs_check.strategies import cap_n


@dataclass(frozen=True)
class Case:
    program: str
    input: Any
    expected: Any
    source: str  # "hand" or "oracle"

    @property
    def id(self) -> str:
        text = str(self.input)
        return f"{self.program}:{text if len(text) <= 40 else text[:37] + '...'}"


# Worked out by hand.  Programs not (yet) in the library are skipped.
HAND: tuple[tuple[str, Any, Any], ...] = (
    ("prefix-sums", {"values": [3, 1, 4, 1, 5]}, [3, 4, 8, 9, 14]),
    ("prefix-sums", {"values": [7]}, [7]),
    ("prefix-sums", {"values": [-2, 2, -2, 2, -2, 2, -2, 2, 9]}, [-2, 0, -2, 0, -2, 0, -2, 0, 9]),
    ("sum", {"values": [3, 1, 4, 1, 5, 9, 2, 6]}, 31),
    ("sum", {"values": [-5]}, -5),
    ("sum", {"values": [10, -10, 10]}, 10),
    ("parity", {"bits": [1, 0, 1, 1]}, 1),
    ("parity", {"bits": [0, 0]}, 0),
    ("parity", {"bits": [1, 1, 1, 1, 1, 1, 1]}, 1),
    ("list-ranking", {"next": [1, 2, -1]}, [2, 1, 0]),
    ("list-ranking", {"next": [-1, 0, 1, 2]}, [0, 1, 2, 3]),
    ("list-ranking", {"next": [-1]}, [0]),
    ("sort", {"values": [3, -1, 2, 2]}, [-1, 2, 2, 3]),
    ("sort", {"values": [5, 4, 3, 2, 1, 0]}, [0, 1, 2, 3, 4, 5]),
    ("dyck", {"k": 2, "word": [1, 2, -2, -1]}, True),
    ("dyck", {"k": 2, "word": [1, -2]}, False),
    ("dyck", {"k": 1, "word": [1, -1, 1, -1]}, True),
    ("dyck", {"k": 2, "word": [-1, 1]}, False),
    ("connectivity", {"n": 5, "edges": [[0, 1], [3, 4]]}, {"components": [[0, 1], [2], [3, 4]]}),
    ("connectivity", {"n": 6, "edges": [[5, 0], [0, 3], [3, 1], [2, 4]]}, {"components": [[0, 1, 3, 5], [2, 4]]}),
    ("connectivity", {"n": 3, "edges": []}, {"components": [[0], [1], [2]]}),
    ("connectivity", {"n": 4, "edges": [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]]}, {"components": [[0, 1, 2, 3]]}),
    # x1 must be false, then x2 true; least assignment a = x1 + 2 x2 = 2
    ("sat", {"num_vars": 2, "clauses": [[1, 2], [-1], [-2, 1, 2]]}, {"satisfiable": True, "assignment": [0, 1]}),
    ("sat", {"num_vars": 1, "clauses": [[1], [-1]]}, {"satisfiable": False, "assignment": None}),
    ("sat", {"num_vars": 3, "clauses": [[3]]}, {"satisfiable": True, "assignment": [0, 0, 1]}),
    # x: 1 -> 4 -> 13 mod 7 = 6 -> 19 mod 7 = 5 -> 16 mod 7 = 2
    ("iterate", {"x0": 1, "a": 3, "c": 1, "m": 7, "steps": 4}, 2),
    ("iterate", {"x0": 5, "a": 1, "c": 0, "m": 11, "steps": 1}, 5),
)


def hand_cases() -> list[Case]:
    return [Case(p, i, e, "hand") for p, i, e in HAND if p in PROGRAMS]


def seeded_cases(sizes: tuple[int, ...] = (1, 2, 3, 5, 8), seed: int = 7) -> list[Case]:
    """For every registered program, seeded random instances with the oracle's answer as the expectation."""
    out = []
    for name in sorted(PROGRAMS):
        prog = PROGRAMS[name]
        for n in sorted({cap_n(name, n) for n in sizes}):
            inst = prog.random_instance(n, as_generator(seed + n))
            out.append(Case(name, prog.instance_to_json(inst), prog.oracle(inst), "oracle"))
    return out


def all_cases() -> list[Case]:
    return hand_cases() + seeded_cases()


#: The policies the two constructions are documented to support (docs/theorem1.md, docs/theorem4.md), spelled out
#: here rather than read from the code under test.  CRCW-arbitrary is refused.
CONSTRUCTION_POLICIES = ("erew", "crew", "crcw-common", "crcw-priority")


def supported_policies(name: str) -> list[str]:
    """The policies at least program ``name``'s ``min_policy`` that the constructions support."""
    from pram.machine import Policy

    prog = PROGRAMS[name]
    return [p for p in CONSTRUCTION_POLICIES if Policy(p).at_least(Policy(prog.min_policy))]


def mdm_steps(time: int, processors: int, memory: int) -> int:
    """Theorem 1 MDM steps from the PRAM's counters: T + 1 when the start sequence has a mask, else 0."""
    return time + 1 if memory + processors * time > 0 else 0
