"""The program library: ``PROGRAMS`` (name -> program) and :func:`get_program`.

Every program follows a classical parallel algorithm (cited in its docstring and ``citation``), has an independent
sequential ``oracle`` and exact closed-form ``exact_counters``.

Examples
--------
>>> sorted(PROGRAMS)[:3]
['connectivity', 'dyck', 'iterate']
>>> get_program("parity").min_policy.value
'erew'
"""

from __future__ import annotations

from typing import Any

from pram.errors import InvalidInput
from pram.model import Program
from pram.programs.connectivity import Connectivity
from pram.programs.dyck_one_sided import Dyck
from pram.programs.iterate import Iterate
from pram.programs.listrank import ListRanking
from pram.programs.sat import Sat
from pram.programs.scan import Parity, PrefixSums, Sum
from pram.programs.sort import BitonicSort

__all__ = ["PROGRAMS", "get_program"]

PROGRAMS: dict[str, Program[Any]] = {
    p.name: p
    for p in (PrefixSums(), Sum(), Parity(), ListRanking(), BitonicSort(), Dyck(), Connectivity(), Sat(),
              Iterate())
}


def get_program(name: str) -> Program[Any]:
    """The library program called ``name``; :class:`InvalidInput` naming the known programs otherwise."""
    try:
        return PROGRAMS[name]
    except (KeyError, TypeError):
        raise InvalidInput(f"unknown PRAM program {name!r}; known programs: {', '.join(PROGRAMS)}") from None
