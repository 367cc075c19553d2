"""The tour's sections come from the registry: every tour step the registry names runs, and no other does."""

from __future__ import annotations

from pathlib import Path

from proofs_check.tour import run_tour, tour_modules
from reductions.registry import ENTRIES, TOUR_INTRO, tour_step_paths

REPO = Path(__file__).resolve().parents[2]


def _path(module_name: str) -> str:
    return module_name.replace(".", "/") + ".py"


def test_the_tour_imports_exactly_the_registry_steps() -> None:
    named = set(TOUR_INTRO) | {step for e in ENTRIES for step in e.tour_steps}
    assert {_path(m.__name__) for m in tour_modules()} == named
    assert all((REPO / p).is_file() for p in named)


def test_every_registry_tour_step_runs_and_yields_rows() -> None:
    seen: list[str] = []
    sections = list(run_tour(0, on_section=seen.append))
    titles = {_path(m.__name__): m.TITLE for m in tour_modules()}
    # one section per registry step, each with at least one row, in the order the tour announced them
    assert sorted(seen) == sorted(titles[p] for p in set(tour_step_paths()))
    assert [t for t, _ in sections] == seen
    assert all(rows for _, rows in sections)
