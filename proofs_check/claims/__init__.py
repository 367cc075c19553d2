"""The registry of claims and the report format every ``powergen check`` command produces.

A :class:`Claim` records a theorem's statement twice -- as the paper gives it and in the exact, finite form the
project checks -- together with the quantities measured and the explicit :class:`~proofs_check.bounds.Bound` s they
are held against.  A check produces :class:`CheckPoint` s (one per measured parameter setting) collected in a
:class:`CheckReport`, whose JSON form has ``"schema": "powergen.check/1"``.

Claims register themselves at import time with :func:`register_claim`; the claim modules
(:mod:`proofs_check.claims.thm1` ... :mod:`proofs_check.claims.space`) and the sweep of
:mod:`proofs_check.simulation` import this module and look claims up with :func:`get_claim`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from proofs_check.bounds import Bound
from proofs_check.errors import ClaimError

__all__ = ["CHECK_SCHEMA", "CLAIMS", "CheckPoint", "CheckReport", "Claim", "get_claim", "register_claim"]

CHECK_SCHEMA = "powergen.check/1"


@dataclass(frozen=True)
class Claim:
    """A theorem's claim, as stated and as checked.

    Parameters
    ----------
    id
        Short unique id, e.g. ``"thm1"``.
    theorem
        The paper's theorem number (main-text numbering).
    statement_paper
        The statement as the paper gives it (quoted from PAPER.md with its provenance).
    statement_checked
        The exact finite form measured by the project.
    quantities
        Names of the measured quantities (keys of :attr:`CheckPoint.measured`).
    bounds
        The explicit bounds; each ``Bound.name`` is one of ``quantities``.
    reconstruction
        What in the checked construction is the project's reconstruction rather than the paper's.

    Examples
    --------
    >>> c = Claim(id="demo", theorem=0, statement_paper="x", statement_checked="steps <= n + 1",
    ...           quantities=("steps",), bounds=(Bound("steps", "n + 1", ("n",)),), reconstruction="all")
    >>> c.check_bounds({"steps": 4}, {"n": 3})
    ({'steps': '4'}, True)
    """

    id: str
    theorem: int
    statement_paper: str
    statement_checked: str
    quantities: tuple[str, ...]
    bounds: tuple[Bound, ...]
    reconstruction: str

    def __post_init__(self) -> None:
        problems = []
        if not self.id:
            problems.append("id must be non-empty")
        for b in self.bounds:
            if b.name not in self.quantities:
                problems.append(f"bound {b.name!r} names no quantity (quantities: {list(self.quantities)})")
        if problems:
            raise ClaimError(f"invalid claim {self.id!r}: " + "; ".join(problems))

    def bound(self, quantity: str, kind: str | None = None) -> Bound:
        """The bound on ``quantity`` (of ``kind`` ``"eq"`` or ``"le"`` when the quantity has both); bounds are read
        by name, never by position.

        Examples
        --------
        >>> c = Claim(id="demo", theorem=0, statement_paper="x", statement_checked="y", quantities=("steps",),
        ...           bounds=(Bound("steps", "n + 1", ("n",), kind="eq"), Bound("steps", "2*n", ("n",))),
        ...           reconstruction="all")
        >>> c.bound("steps", "le").expr, c.bound("steps", "eq").expr
        ('2*n', 'n + 1')
        """
        found = [b for b in self.bounds if b.name == quantity and (kind is None or b.kind == kind)]
        if len(found) != 1:
            raise ClaimError(f"claim {self.id!r} has {len(found)} bounds on {quantity!r}"
                             + (f" of kind {kind!r}" if kind else "") + f"; bounds: {[b.name for b in self.bounds]}")
        return found[0]

    def check_bounds(self, measured: Mapping[str, int], params: Mapping[str, int | str]) -> tuple[dict[str, str], bool]:
        """Hold every bound against ``measured``; returns (rendered bound per quantity, all hold).

        Variables are looked up in ``params`` first, then in ``measured`` (a bound may use a measured T or P).
        """
        env = {k: v for k, v in measured.items()}
        env.update({k: v for k, v in params.items() if isinstance(v, int)})
        rendered: dict[str, str] = {}
        ok = True
        for b in self.bounds:
            if b.name not in measured:
                raise ClaimError(f"claim {self.id!r}: quantity {b.name!r} was not measured")
            values = {v: int(env[v]) for v in b.variables if v in env}
            text = b.render(**values)
            rendered[b.name] = text if b.name not in rendered else rendered[b.name] + ", " + text
            ok = b.holds(int(measured[b.name]), **values) and ok
        return rendered, ok

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "theorem": self.theorem, "statement_paper": self.statement_paper,
                "statement_checked": self.statement_checked, "quantities": list(self.quantities),
                "bounds": [b.to_json() for b in self.bounds], "reconstruction": self.reconstruction}


CLAIMS: dict[str, Claim] = {}


def register_claim(claim: Claim) -> Claim:
    """Add ``claim`` to :data:`CLAIMS` (re-registering an equal claim is a no-op; a different one is an error)."""
    old = CLAIMS.get(claim.id)
    if old is not None and old != claim:
        raise ClaimError(f"claim id {claim.id!r} is already registered with a different definition")
    CLAIMS[claim.id] = claim
    return claim


def get_claim(claim_id: str) -> Claim:
    """The registered claim ``claim_id`` (raises :class:`ClaimError` naming the known ids)."""
    try:
        return CLAIMS[claim_id]
    except KeyError:
        known = ", ".join(sorted(CLAIMS)) or "(none registered)"
        raise ClaimError(f"unknown claim {claim_id!r}; known: {known}") from None


@dataclass(frozen=True)
class CheckPoint:
    """One measured point: its parameters, the measured quantities, the rendered bounds, and whether all hold."""

    params: dict[str, int | str]
    measured: dict[str, int]
    bounds: dict[str, str]
    ok: bool
    note: str = ""

    def label(self) -> str:
        """The point's parameters as ``k=v`` words (values longer than 40 characters left out).

        Examples
        --------
        >>> CheckPoint({"program": "sum", "n": 8}, {}, {}, False).label()
        'program=sum n=8'
        """
        return " ".join(f"{k}={v}" for k, v in self.params.items() if len(str(v)) <= 40)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"params": dict(self.params), "measured": dict(self.measured),
                               "bounds": dict(self.bounds), "ok": bool(self.ok)}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class CheckReport:
    """All the points of one check; ``ok`` is true iff every point (and every extra test) passed.

    ``failed`` names the report-level sub-claims that failed (a growth expectation, an O-class test, a comparison);
    :meth:`failing_claims` adds every failed point, so a red verdict always names what failed.

    Examples
    --------
    >>> r = CheckReport(claim="demo", points=(CheckPoint({"n": 2}, {"steps": 3}, {"steps": "3"}, True),), ok=True)
    >>> r.to_json()["schema"], r.to_json()["points"][0]["measured"]
    ('powergen.check/1', {'steps': 3})
    """

    claim: str
    points: tuple[CheckPoint, ...]
    ok: bool
    extra: dict[str, Any] = field(default_factory=dict)
    failed: tuple[str, ...] = ()

    def failing_claims(self) -> list[str]:
        """Every failed sub-claim, each prefixed with this report's claim id (empty when the report is ok).

        Examples
        --------
        >>> r = CheckReport("demo", (CheckPoint({"n": 2}, {"steps": 9}, {"steps": "3"}, False),), False)
        >>> r.failing_claims()
        ['demo: point n=2 (steps 9, bound 3)']
        """
        out = []
        for p in self.points:
            if not p.ok:
                detail = p.note or ", ".join(f"{k} {p.measured[k]}, bound {v}" for k, v in p.bounds.items()
                                             if k in p.measured) or "failed"
                out.append(f"{self.claim}: point {p.label()} ({detail})")
        out.extend(f"{self.claim}: {f}" for f in self.failed)
        if not self.ok and not out:
            out.append(f"{self.claim}: failed")
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": CHECK_SCHEMA, "claim": self.claim,
                               "points": [p.to_json() for p in self.points], "ok": bool(self.ok)}
        if not self.ok:
            out["failed"] = self.failing_claims()
        for k, v in self.extra.items():
            if k not in out:
                out[k] = v
        return out
