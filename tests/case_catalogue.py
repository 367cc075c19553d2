"""The shared case catalogue (STYLE.md point 8): (program, input, expected output) run at every level.

The same cases run on the PRAM (``pram.machine.PRAM``), through the Theorem 1 MDM construction and through the
Theorem 4 AP-MDM construction; outputs and counts are compared across the three.  Expected outputs are worked out
by hand (``HAND``) or, for seeded random instances (``seeded_cases``), taken from the program's independent
sequential oracle -- never from the code under test.

Import from a test by putting this directory on ``sys.path`` (tests/ has no ``__init__.py``)::

    sys.path.insert(0, str(Path(__file__).parent))
    from case_catalogue import all_cases
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pram.programs import PROGRAMS
from pram.rng import as_generator


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
)


def hand_cases() -> list[Case]:
    return [Case(p, i, e, "hand") for p, i, e in HAND if p in PROGRAMS]


def seeded_cases(sizes: tuple[int, ...] = (1, 2, 3, 5, 8), seed: int = 7) -> list[Case]:
    """For every registered program, seeded random instances with the oracle's answer as the expectation."""
    out = []
    for name in sorted(PROGRAMS):
        prog = PROGRAMS[name]
        for n in sizes:
            inst = prog.random_instance(n, as_generator(seed + n))
            out.append(Case(name, prog.instance_to_json(inst), prog.oracle(inst), "oracle"))
    return out


def all_cases() -> list[Case]:
    return hand_cases() + seeded_cases()
