"""The tour: one small demonstration per machine and theorem, ending in a claim | measured | bound | status table.

Each module in :mod:`proofs_check.tour_steps` defines ``ORDER: int``, ``TITLE: str`` and
``run(seed: int) -> list[TourRow]``; they are discovered and run in ``ORDER``.  Rows must be deterministic for a
given seed (no timings), so that golden tests can pin them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from types import ModuleType


@dataclass(frozen=True, slots=True)
class TourRow:
    """One line of the tour's table.  ``status`` is ``"ok"`` or ``"FAIL"``."""

    claim: str
    measured: str
    bound: str
    status: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def tour_modules() -> list[ModuleType]:
    import proofs_check.tour_steps as pkg

    mods = [importlib.import_module(f"{pkg.__name__}.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 1000), m.__name__))


def run_tour(seed: int, on_section: Callable[[str], None] | None = None) -> Iterator[tuple[str, list[TourRow]]]:
    """Yield ``(title, rows)`` for every tour section, in order."""
    for mod in tour_modules():
        title = getattr(mod, "TITLE", mod.__name__.rsplit(".", 1)[-1])
        if on_section is not None:
            on_section(title)
        yield title, list(mod.run(seed))
