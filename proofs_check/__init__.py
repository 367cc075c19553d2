"""Claims and their checks (sympy bounds, sweeps, growth classification), experiments and the CLI."""

__version__ = "0.1.0"
