"""Which module performs which theorem's construction (STYLE.md point 1).

A row is ``theorem id -> (module path, one-line summary)``.  Adding a theorem is one :func:`register_theorem` call
(or one row in :data:`_BUILTIN`); modules are imported lazily by :func:`load`, so the table never imports the
constructions themselves.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from reductions.errors import ReductionError

__all__ = ["TheoremEntry", "THEOREMS", "register_theorem", "get_theorem", "load"]


@dataclass(frozen=True, slots=True)
class TheoremEntry:
    """One row: the theorem id (``"thm1"``), the module performing it, and what it builds.

    Examples
    --------
    >>> get_theorem("thm1").module
    'reductions.pram_to_mdm'
    """

    id: str
    module: str
    summary: str
    entry: str = ""  # the module's main function (e.g. ``build_mdm``), if any


_BUILTIN = (
    TheoremEntry("thm1", "reductions.pram_to_mdm", "PRAM -> MDM: O(T) decoding steps, context O(P*T) (write-once "
                 "blocks)", "build_mdm"),
    TheoremEntry("thm2", "reductions.mdm_to_serial", "MDM -> serial RAM: a counting interpreter of every forward "
                 "pass; O~(S^3) operations", "serial_decode"),
    TheoremEntry("thm3", "reductions.aomdm_to_masked_arm", "AO-MDM -> Masked-ARM: records (position, token) written "
                 "left to right, canvas rebuilt by lookups", "simulate"),
    TheoremEntry("thm4", "reductions.pram_to_apmdm", "PRAM -> AP-MDM: O(T) steps, context O(S + P) (remask = "
                 "overwrite)", "build_apmdm"),
    TheoremEntry("thm5", "reductions.dyck_generator", "a stochastic AP-MDM whose support is exactly two-sided "
                 "Dyck-k", "generate"),
    TheoremEntry("thm6", "reductions.preserve", "PRESERVE: AP-MDM edit rounds replayed by g vs an ARM-style "
                 "left-to-right solver", "solve_apmdm"),
)

THEOREMS: dict[str, TheoremEntry] = {e.id: e for e in _BUILTIN}


def register_theorem(entry: TheoremEntry) -> TheoremEntry:
    """Add a row (re-adding an identical row is a no-op; a conflicting one raises :class:`ReductionError`)."""
    old = THEOREMS.get(entry.id)
    if old is not None and old != entry:
        raise ReductionError(f"theorem {entry.id!r} is already registered to {old.module}")
    THEOREMS[entry.id] = entry
    return entry


def get_theorem(theorem_id: str) -> TheoremEntry:
    """The row of ``theorem_id``; :class:`ReductionError` naming the known ids otherwise."""
    try:
        return THEOREMS[theorem_id]
    except KeyError:
        raise ReductionError(f"unknown theorem {theorem_id!r}; known: {', '.join(sorted(THEOREMS))}") from None


def load(theorem_id: str) -> ModuleType:
    """Import and return the module performing ``theorem_id``'s construction."""
    return importlib.import_module(get_theorem(theorem_id).module)
