"""The tour: one small demonstration per machine and theorem, ending in a claim | measured | bound | status table.

The sections are the tour steps named by the registry (:func:`reductions.registry.tour_step_paths`: the
introduction, then every entry's ``tour_steps``).  Each step module defines ``ORDER: int``, ``TITLE: str`` and
``run(seed: int) -> list[TourRow]``; they run in ``ORDER``.  Rows must be deterministic for a
given seed (no timings), so that golden tests can pin them.
"""

from __future__ import annotations

import importlib
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
    """The registry's tour steps, imported, in ``ORDER``."""
    from reductions.registry import module_name, tour_step_paths

    mods = [importlib.import_module(module_name(path)) for path in dict.fromkeys(tour_step_paths())]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 1000), m.__name__))


def run_tour(seed: int, on_section: Callable[[str], None] | None = None) -> Iterator[tuple[str, list[TourRow]]]:
    """Yield ``(title, rows)`` for every tour section, in order."""
    for mod in tour_modules():
        title = getattr(mod, "TITLE", mod.__name__.rsplit(".", 1)[-1])
        if on_section is not None:
            on_section(title)
        yield title, list(mod.run(seed))
