"""The ``powergen`` command line: ``main(argv) -> int``.

Sub-commands live in :mod:`proofs_check.commands`, one module each, discovered in name order.  A module defines
``register(subparsers)``; if it also defines ``GROUP = "check"`` (say) it registers under ``powergen check``.
Every handler receives the parsed ``argparse.Namespace`` and returns an exit code.

Exit codes: 0 ok, 1 a check failed (or a search found no answer), 2 bad usage or bad input -- always one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from machines.errors import MachineError
from pram.errors import PramError
from proofs_check import __version__
from proofs_check.cliutil import EXIT_USAGE
from proofs_check.errors import CheckError, UsageError
from reductions.errors import ReductionError

GROUP_HELP = {
    "check": "check a theorem's claims by measurement",
    "reduce": "run one theorem construction on one instance",
    "trace": "replay or show AP-MDM / MDM traces",
    "machines": "run small demos of the five generation machines",
    "pram": "run a PRAM program from the library with exact counters (run, list)",
}

USER_ERRORS: tuple[type[BaseException], ...] = (PramError, MachineError, ReductionError, CheckError)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become one-line :class:`UsageError` s instead of usage dumps."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("powergen").strip()
        raise UsageError(f"{where}: {message}" if where else message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="powergen", description="Exact machines, constructions and checks for the paper "
                     "'On Powerful Ways to Generate: Autoregression, Diffusion, and Beyond'.")
    parser.add_argument("--version", action="version", version=f"powergen {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, argparse._SubParsersAction] = {}
    import proofs_check.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        group = getattr(module, "GROUP", None)
        if group is None:
            module.register(top)
            continue
        if group not in groups:
            gp = top.add_parser(group, help=GROUP_HELP.get(group, group))
            groups[group] = gp.add_subparsers(dest=f"{group}_command", metavar="WHAT")
            gp.set_defaults(func=_missing_subcommand(gp))
        module.register(groups[group])
    parser.set_defaults(func=_missing_subcommand(parser))
    return parser


def _missing_subcommand(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        raise UsageError(f"a sub-command is required (see {p.prog} --help)")

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for bad input)."""
    try:
        parser = build_parser()
        args = parser.parse_args(list(argv) if argv is not None else None)
        return int(args.func(args))
    except USER_ERRORS as exc:
        print(f"powergen: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("powergen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def entry() -> NoReturn:
    sys.exit(main())
