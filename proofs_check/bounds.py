"""Explicit bounds as sympy expressions, checked exactly, and big-O class membership in one variable.

A :class:`Bound` is a sympy expression with explicit constants over named variables (``"T + 2"``,
``"4*P*T + n + 3"``, ``"2*ceiling(log(n, 2)) + 3"``).  It is evaluated exactly (integers and rationals, sympy's exact
``log``/``ceiling``) and compared with an integer measurement, never through floats.  :func:`in_class` answers
"is this expression in O(g) as var -> oo" with ``sympy.O`` in ONE variable; an undecided answer counts as False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from proofs_check.errors import ClaimError

__all__ = ["Bound", "in_class", "parse_expr"]

_ALLOWED_FUNCS = {"log": sp.log, "ceiling": sp.ceiling, "floor": sp.floor, "sqrt": sp.sqrt, "Max": sp.Max,
                  "Min": sp.Min, "binomial": sp.binomial}


def _sym(name: str) -> sp.Symbol:
    """The symbol of a bound variable: a non-negative integer (sizes and counts; T = 0 is allowed)."""
    return sp.Symbol(name, nonnegative=True, integer=True)


@lru_cache(maxsize=512)
def parse_expr(expr: str, variables: tuple[str, ...]) -> sp.Expr:
    """Parse ``expr`` with the given variables as non-negative integer symbols; reject any other free name.

    Examples
    --------
    >>> parse_expr("T + 2", ("T",))
    T + 2
    """
    symbols = {v: _sym(v) for v in variables}
    names = sorted(set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", expr)) - set(symbols) - set(_ALLOWED_FUNCS))
    if names:
        raise ClaimError(f"bound expression {expr!r} uses undeclared variables {names}; declared: {list(variables)}")
    try:
        parsed = sp.sympify(expr, locals={**_ALLOWED_FUNCS, **symbols})
    except (sp.SympifyError, SyntaxError, TypeError) as exc:
        raise ClaimError(f"cannot parse bound expression {expr!r}: {exc}") from None
    if not isinstance(parsed, sp.Expr):
        raise ClaimError(f"bound expression {expr!r} is not an arithmetic expression")
    extra = sorted(str(s) for s in parsed.free_symbols if str(s) not in symbols)
    if extra:
        raise ClaimError(f"bound expression {expr!r} uses undeclared variables {extra}; declared: {list(variables)}")
    return parsed


@dataclass(frozen=True)
class Bound:
    """A named bound ``measured <= expr`` (or ``measured == expr`` when ``kind == "eq"``).

    Parameters
    ----------
    name
        The measured quantity it bounds (e.g. ``"steps"``, ``"context"``).
    expr
        A sympy expression with explicit constants, e.g. ``"4*P*T + n + 3"``.
    variables
        The variable names the expression may use (each substituted by an integer when evaluated).
    kind
        ``"le"`` (upper bound, default) or ``"eq"`` (exact formula).

    Examples
    --------
    >>> b = Bound("steps", "2*ceiling(log(n, 2)) + 3", ("n",))
    >>> b.evaluate(n=1000), b.holds(23, n=1000), b.holds(24, n=1000)
    (23, True, False)
    >>> Bound("steps", "T + 1", ("T",), kind="eq").holds(8, T=7)
    True
    """

    name: str
    expr: str
    variables: tuple[str, ...]
    kind: str = "le"
    _parsed: sp.Expr = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", tuple(self.variables))
        problems = []
        if self.kind not in ("le", "eq"):
            problems.append(f"kind must be 'le' or 'eq', got {self.kind!r}")
        if not self.name:
            problems.append("name must be non-empty")
        try:
            parsed = parse_expr(self.expr, self.variables)
        except ClaimError as exc:
            problems.append(str(exc))
            parsed = sp.Integer(0)
        if problems:
            raise ClaimError(f"invalid bound {self.name!r}: " + "; ".join(problems))
        object.__setattr__(self, "_parsed", parsed)

    def evaluate(self, **values: int) -> sp.Expr:
        """The exact value of the expression at integer ``values`` (every declared variable must be given)."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ClaimError(f"bound {self.name!r} ({self.expr}) needs values for {missing}")
        subs = {_sym(v): sp.Integer(int(values[v])) for v in self.variables}
        return self._parsed.subs(subs) if subs else self._parsed

    def holds(self, measured: int, **values: int) -> bool:
        """Exact comparison of an integer measurement with the bound's value."""
        bound = self.evaluate(**values)
        m = sp.Integer(int(measured))
        rel = sp.Eq(m, bound) if self.kind == "eq" else sp.Le(m, bound)
        if rel in (sp.true, sp.false):
            return bool(rel)
        # An exact but unsimplified irrational (e.g. log(1000, 2)): decide with high-precision interval evaluation.
        diff = sp.N(bound - m, 50)
        if not diff.is_number:
            raise ClaimError(f"bound {self.name!r} ({self.expr}) did not evaluate to a number: {bound}")
        return bool(diff == 0) if self.kind == "eq" else bool(diff >= 0)

    def render(self, **values: int) -> str:
        """The bound's value as a short string (an integer when it is one)."""
        b = self.evaluate(**values)
        if b.is_Integer:
            return str(int(b))
        return str(sp.floor(b)) if self.kind == "le" else str(b)

    def in_class_of(self, values: dict[str, int], var: str, big_o: str) -> bool:
        """Is the expression, every variable but ``var`` fixed to ``values``, in O(``big_o``) as ``var`` -> oo?
        (sympy, one variable; see :func:`in_class`.)

        Examples
        --------
        >>> b = Bound("context", "S + 2 + P*(2 + 2*K)", ("S", "P", "K"), kind="eq")
        >>> b.in_class_of({"S": 8, "P": 4, "K": 2}, "T", "1"), b.in_class_of({"S": 8, "P": 4, "K": 2}, "S", "1")
        (True, False)
        """
        subs = {_sym(k): sp.Integer(v) for k, v in values.items() if k != var}
        return in_class(str(self._parsed.subs(subs)), var, big_o)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "expr": self.expr, "variables": list(self.variables), "kind": self.kind}


def in_class(expr: str, var: str, big_o: str) -> bool:
    """True iff ``expr`` is in ``O(big_o)`` as ``var -> oo`` (sympy; undecided counts as False).

    Only one variable is allowed: any other free symbol in either expression raises :class:`ClaimError`.

    Examples
    --------
    >>> in_class("4*n*log(n) + 7", "n", "n**2"), in_class("n*log(n)", "n", "n")
    (True, False)
    """
    e = parse_expr(expr, (var,))
    g = parse_expr(big_o, (var,))
    x = _sym(var)
    # var -> oo over the positive integers (sizes, steps): Min(T, 1) is then 1, as it should be asymptotically
    y = sp.Symbol(var, positive=True, integer=True)
    e, g = e.subs(x, y), g.subs(x, y)
    try:
        res = sp.O(g, (y, sp.oo)).contains(sp.O(e, (y, sp.oo)))
    except (NotImplementedError, ValueError, TypeError):
        return False
    return res is True or res == sp.true
