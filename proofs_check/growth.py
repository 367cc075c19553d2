"""Growth classification of measured counters: doubling ratios and least squares over candidate classes.

A measured quantity ``v(n)`` (decoding steps, context length, ...) is compared with a fixed, ordered list of
candidate growth classes ``f(n)`` (:data:`CLASSES`).  For each class we fit the affine model ``v ~ a + c*f(n)`` with
``c >= 0`` by *relative* least squares (each point weighted by ``1/v``, so small and large n count alike) and keep
the root-mean-square relative residual.  The best class is the one with the smallest residual; a class whose
residual is within a small tolerance of the best one is "consistent", and among equally good fits the slowest class
wins (Occam).  When the ``ns`` are powers of two the doubling ratios ``v(2n)/v(n)`` are reported as a second,
model-free witness (``log n`` gives ratios tending to 1, ``n`` to 2, ``n^2`` to 4, ``2^n`` exploding).

A log-log slope is never used: it cannot tell ``log n`` from ``n^0.2`` on any finite range (STYLE.md point 14).

**Resolution.**  The least-squares winner (:attr:`GrowthFit.best`) is the nearest candidate on the measured range,
not a verdict.  The verdict (:attr:`GrowthFit.verdict`) is a class only when the sweep can resolve it, and
``"undecided"`` otherwise:

* at least :data:`MIN_POINTS` distinct sizes (an affine fit ``a + c f`` has two parameters; with three points one
  degree of freedom is left, and three small saturating counters such as ``1, 2, 2`` look like ``log n``);
* a span ``max(ns) / min(ns) >= MIN_SPAN`` (two doublings: ``log n`` moves by 2 units, ``n`` by a factor 4);
* the best candidate explains the data: its residual is at most :data:`MAX_MISFIT` times the constant fit's (data
  from no listed class, such as a counter that saturates at 2, is not forced into the nearest class);
* exactly one candidate fits within the tolerance (a candidate whose fitted slope is 0 says "constant" and counts
  as class ``"1"``).  When two candidates fit equally well the data cannot tell them apart on this range.

On noise-free data ``a + c f(n)`` of a listed class the true class always fits exactly, so the verdict is that class
or ``"undecided"``, never another class (tested with hypothesis).  The resolution constants are the project's
choice [I]; checks hold quantities with an exact formula or an explicit bound against that bound and use growth
verdicts only as extra evidence that fails a check when it is decided and contradicts the expectation.

Limit: a growth outside the candidate list is reported as its nearest candidate on the measured range -- ``n^0.2``
on ``n = 8..2048`` comes out as ``"log^2 n"`` (tested).  Its doubling ratios (constant, ``2^0.2``) are what tell
it from a true polylog (ratios tending to 1); expectations in the checks are stated as classes of the list.
Errors (too few points, bad values, unknown class names) raise :class:`~proofs_check.errors.ClaimError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from proofs_check.errors import ClaimError

__all__ = ["CLASSES", "CLASS_NAMES", "MAX_MISFIT", "MIN_POINTS", "MIN_SPAN", "UNDECIDED", "GrowthFit",
           "classify_growth", "doubling_ratios", "class_function", "resolution_text"]

_Fn = Callable[[np.ndarray], np.ndarray]


def _log2(n: np.ndarray) -> np.ndarray:
    return np.log2(np.maximum(n, 2.0))


#: Ordered candidate classes (slowest first), each a numpy function of ``n`` (float arrays, n >= 1).
CLASSES: tuple[tuple[str, _Fn], ...] = (
    ("1", lambda n: np.ones_like(n)),
    ("log n", lambda n: _log2(n)),
    ("log^2 n", lambda n: _log2(n) ** 2),
    ("sqrt n", lambda n: np.sqrt(n)),
    ("n", lambda n: n),
    ("n log n", lambda n: n * _log2(n)),
    ("n^2", lambda n: n**2),
    ("n^2 log n", lambda n: n**2 * _log2(n)),
    ("n^3", lambda n: n**3),
    ("2^n", lambda n: np.exp2(np.minimum(n, 1000.0))),
)
CLASS_NAMES: tuple[str, ...] = tuple(name for name, _ in CLASSES)
_INDEX = {name: i for i, name in enumerate(CLASS_NAMES)}

#: Two classes fit "equally well" when their relative residuals differ by less than this fraction of the data's own
#: relative spread (the residual of the constant fit).
TOLERANCE = 0.02

#: The classifier's stated resolution: fewer distinct sizes, or a smaller span ``max(ns) / min(ns)``, and the verdict
#: is :data:`UNDECIDED` whatever the residuals.
MIN_POINTS = 5
MIN_SPAN = 4
#: The best candidate's residual must be at most this fraction of the constant fit's residual (the data's relative
#: spread) for a verdict.
MAX_MISFIT = 0.25
#: The verdict when the sweep cannot separate the candidate classes.
UNDECIDED = "undecided"


def resolution_text() -> str:
    """The classifier's resolution in words (shown beside an undecided verdict).

    Examples
    --------
    >>> resolution_text()
    'needs >= 5 sizes spanning >= 4x and one class fitting well and clearly best'
    """
    return f"needs >= {MIN_POINTS} sizes spanning >= {MIN_SPAN}x and one class fitting well and clearly best"


def class_function(name: str) -> _Fn:
    """The numpy function of the class called ``name`` (raises :class:`ClaimError` naming the known classes)."""
    if name not in _INDEX:
        raise ClaimError(f"unknown growth class {name!r}; known: {', '.join(CLASS_NAMES)}")
    return CLASSES[_INDEX[name]][1]


@dataclass(frozen=True)
class GrowthFit:
    """Result of :func:`classify_growth`.

    Attributes
    ----------
    best
        Name of the best-fitting class (slowest among the equally good ones): the nearest candidate on the measured
        range, descriptive only.  Use :attr:`verdict` to decide anything.
    scale
        The least-squares constant ``c`` of the best class in ``v ~ a + c*f(n)``.
    residuals
        Root-mean-square relative residual of every candidate (smaller is better; 0 = exact).
    ratios
        Doubling ratios ``v(2n)/v(n)`` for consecutive ``ns`` that double (empty otherwise).
    tolerance
        The absolute residual slack used (``TOLERANCE`` times the data's relative spread).
    verdict
        The class, when the sweep resolves it (:data:`MIN_POINTS` sizes, span :data:`MIN_SPAN`, one candidate
        fitting within the tolerance); :data:`UNDECIDED` otherwise.
    consistent
        The candidates fitting within the tolerance (a zero-slope fit counted as ``"1"``), slowest first.
    reason
        Why the verdict is undecided (empty when decided).
    resolved
        True when the sweep meets the resolution (sizes, span, a well-fitting candidate), even if two candidates
        then fit equally well.
    """

    best: str
    scale: float
    residuals: dict[str, float]
    ratios: list[float]
    intercept: float = 0.0
    tolerance: float = 0.0
    ns: tuple[int, ...] = field(default=(), repr=False)
    verdict: str = UNDECIDED
    consistent: tuple[str, ...] = ()
    reason: str = ""
    resolved: bool = False

    @property
    def decided(self) -> bool:
        """True when :attr:`verdict` is a class."""
        return self.verdict != UNDECIDED

    def is_class(self, name: str) -> bool | None:
        """Is the growth of class ``name``?  ``None`` when the sweep cannot tell.

        Examples
        --------
        >>> ns = [2 ** k for k in range(2, 9)]
        >>> classify_growth(ns, [3 * n + 4 for n in ns]).is_class("n"), classify_growth(ns[:3], [1, 2, 2]).is_class("1")
        (True, None)
        """
        _check_name(name)
        return None if not self.decided else self.verdict == name

    def grows_at_most(self, name: str) -> bool | None:
        """Does the growth stay within class ``name`` (an O-style upper statement)?  ``None`` when the sweep cannot
        tell: decided when the verdict is, or when every consistent class falls on the same side of ``name``."""
        _check_name(name)
        if self.decided:
            return _INDEX[self.verdict] <= _INDEX[name]
        if not self.consistent or not self.resolved:
            return None
        sides = {_INDEX[c] <= _INDEX[name] for c in self.consistent}
        return sides.pop() if len(sides) == 1 else None

    def consistent_with(self, name: str) -> bool:
        """True when class ``name`` fits (almost) as well as the best one.

        Examples
        --------
        >>> fit = classify_growth([2, 4, 8, 16, 32], [3, 5, 7, 9, 11])
        >>> fit.best, fit.consistent_with("log n"), fit.consistent_with("n^2")
        ('log n', True, False)
        """
        if name not in self.residuals:
            return False
        return self.residuals[name] <= self.residuals[self.best] + self.tolerance

    def at_most(self, name: str) -> bool:
        """True when the best class grows no faster than ``name`` (descriptive; :meth:`grows_at_most` decides)."""
        _check_name(name)
        return _INDEX[self.best] <= _INDEX[name]

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"best": self.best, "verdict": self.verdict, "scale": round(self.scale, 6),
                                  "intercept": round(self.intercept, 6),
                                  "residuals": {k: round(v, 6) for k, v in self.residuals.items()},
                                  "ratios": [round(r, 6) for r in self.ratios]}
        if self.reason:
            out["reason"] = self.reason
        return out


def _check_name(name: str) -> None:
    if name not in _INDEX:
        raise ClaimError(f"unknown growth class {name!r}; known: {', '.join(CLASS_NAMES)}")


def doubling_ratios(ns: Sequence[int], values: Sequence[float]) -> list[float]:
    """``values[i+1] / values[i]`` wherever ``ns[i+1] == 2 * ns[i]`` (and ``values[i] > 0``).

    Examples
    --------
    >>> doubling_ratios([1, 2, 4, 8], [1, 4, 16, 64])
    [4.0, 4.0, 4.0]
    """
    out = []
    for i in range(len(ns) - 1):
        if int(ns[i + 1]) == 2 * int(ns[i]) and float(values[i]) > 0:
            out.append(float(values[i + 1]) / float(values[i]))
    return out


def _fit_one(f: np.ndarray, v: np.ndarray, constant: bool) -> tuple[float, float, float]:
    """Relative least squares of ``v ~ a + c f`` (or ``v ~ a`` when ``constant``); returns (a, c, rms)."""
    w = 1.0 / np.maximum(np.abs(v), 1e-12)
    if constant or np.ptp(f) == 0:
        a = float(np.sum(w * w * v) / np.sum(w * w))
        c = 0.0
    else:
        design = np.stack([np.ones_like(f), f], axis=1) * w[:, None]
        sol, *_ = np.linalg.lstsq(design, v * w, rcond=None)
        a, c = float(sol[0]), float(sol[1])
        if c < 0:  # a decreasing fit is no growth class: fall back to the best non-negative slope, c = 0
            a = float(np.sum(w * w * v) / np.sum(w * w))
            c = 0.0
    rel = (v - (a + c * f)) * w
    return a, c, float(np.sqrt(np.mean(rel * rel)))


def classify_growth(ns: Sequence[int], values: Sequence[float], *, candidates: Sequence[str] | None = None,
                    tolerance: float = TOLERANCE) -> GrowthFit:
    """Classify the growth of ``values`` measured at sizes ``ns``.

    Parameters
    ----------
    ns, values
        Sizes (>= 1) and the measured quantity at each (at least 3 points, values > 0).
    candidates
        Subset of :data:`CLASS_NAMES` to consider (default all).
    tolerance
        Slack, as a fraction of the data's relative spread, within which a slower class is preferred and counted
        as consistent.

    Returns
    -------
    GrowthFit
        ``best`` is the nearest candidate; ``verdict`` is a class only within the stated resolution
        (:data:`MIN_POINTS`, :data:`MIN_SPAN`, one consistent candidate), else ``"undecided"``.

    Examples
    --------
    >>> ns = [2 ** k for k in range(2, 9)]
    >>> classify_growth(ns, [3 * n + 4 for n in ns]).best
    'n'
    >>> classify_growth(ns, [n * n for n in ns]).ratios[-1]
    4.0
    >>> classify_growth([4, 8, 16], [1, 2, 2]).verdict
    'undecided'

    Notes
    -----
    O(len(ns) * len(candidates)).  Serves every "grows like" claim (Theorems 1, 2, 4 and the experiments).
    """
    n = np.asarray(ns, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if n.shape != v.shape or n.ndim != 1:
        raise ClaimError(f"ns and values must be 1-D of equal length, got {n.shape} and {v.shape}")
    if n.size < 3:
        raise ClaimError(f"need at least 3 points to classify growth, got {n.size}")
    if np.any(n < 1) or np.any(v <= 0):
        raise ClaimError("ns must be >= 1 and values > 0")
    names = list(CLASS_NAMES) if candidates is None else list(candidates)
    unknown = [c for c in names if c not in _INDEX]
    if unknown:
        raise ClaimError(f"unknown growth classes {unknown}; known: {', '.join(CLASS_NAMES)}")
    names.sort(key=_INDEX.__getitem__)
    fits: dict[str, tuple[float, float, float]] = {}
    for name in names:
        with np.errstate(over="ignore"):
            f = class_function(name)(n)
        if not np.all(np.isfinite(f)):
            fits[name] = (0.0, 0.0, float("inf"))
            continue
        fits[name] = _fit_one(f, v, constant=name == "1")
    best_rms = min(r for _, _, r in fits.values())
    spread = _fit_one(np.ones_like(n), v, constant=True)[2]
    slack = max(tolerance * spread, 1e-9)
    best = next(name for name in names if fits[name][2] <= best_rms + slack)
    a, c, _ = fits[best]
    consistent = _consistent(names, fits, n, v, best_rms + slack)
    verdict, reason = _verdict(n, consistent, best_rms <= MAX_MISFIT * spread + 1e-9)
    return GrowthFit(best=best, scale=c, residuals={k: fits[k][2] for k in names}, ratios=doubling_ratios(ns, values),
                     intercept=a, tolerance=slack, ns=tuple(int(x) for x in ns), verdict=verdict,
                     consistent=consistent, reason=reason,
                     resolved=verdict != UNDECIDED or reason.startswith("classes"))


def _consistent(names: Sequence[str], fits: dict[str, tuple[float, float, float]], n: np.ndarray, v: np.ndarray,
                limit: float) -> tuple[str, ...]:
    """Candidates within ``limit`` of the best residual; a zero-slope fit is the constant, so it counts as ``"1"``."""
    out: list[str] = []
    scale = float(np.max(np.abs(v)))
    for name in names:
        a, c, rms = fits[name]
        if rms > limit:
            continue
        with np.errstate(over="ignore"):
            f = class_function(name)(n)
        flat = name == "1" or c * float(np.ptp(f)) <= 1e-9 * scale
        label = "1" if flat else name
        if label not in out:
            out.append(label)
    return tuple(sorted(out, key=_INDEX.__getitem__))


def _verdict(n: np.ndarray, consistent: tuple[str, ...], explained: bool) -> tuple[str, str]:
    """(verdict, reason): a class only within the resolution (:data:`MIN_POINTS`, :data:`MIN_SPAN`, a fit within
    :data:`MAX_MISFIT`, one consistent candidate)."""
    sizes = len(set(n.tolist()))
    span = float(n.max() / n.min())
    if sizes < MIN_POINTS:
        return UNDECIDED, f"too few sizes ({sizes}; {resolution_text()})"
    if span < MIN_SPAN:
        return UNDECIDED, f"too short a span ({span:g}x; {resolution_text()})"
    if not explained:
        return UNDECIDED, f"no candidate fits well (best: {consistent[0] if consistent else '?'})"
    if len(consistent) != 1:
        return UNDECIDED, f"classes {', '.join(consistent)} fit equally well on this range"
    return consistent[0], ""
