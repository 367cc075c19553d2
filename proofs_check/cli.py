"""The ``powergen`` command line: ``main(argv) -> int``.

Sub-commands live in :mod:`proofs_check.commands`, one module each, discovered in name order.  A module defines
``register(subparsers)``; if it also defines ``GROUP = "check"`` (say) it registers under ``powergen check``.
Every handler receives the parsed ``argparse.Namespace`` and returns an exit code.

Start-up: importing every command module pulls in sympy, networkx and the constructions (about 0.6 s), so
:func:`main` looks the command named on the line up in a static table (:data:`COMMANDS`: top-level command ->
the modules that register it) and imports only those (none for ``--version``); ``powergen``, ``--help`` and
unknown commands build the whole parser from every module of :mod:`proofs_check.commands`.  A test checks that the
table agrees with the full parser (a new command module must be added to the table).

Exit codes: 0 ok, 1 a check failed (or a search found no answer), 2 bad usage or bad input -- always one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from machines.errors import MachineError
from pram.errors import PramError
from proofs_check import __version__
from proofs_check.cli_common import EXIT_OK, EXIT_USAGE
from proofs_check.errors import CheckError, UsageError
from proofs_check.inputs import one_line
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


#: Top-level command -> the modules of :mod:`proofs_check.commands` that register it (a module with a ``GROUP``
#: registers under that group).  Kept in step with the modules by a test against the full parser.
COMMANDS: dict[str, tuple[str, ...]] = {
    "check": ("check_space", "check_thm1", "check_thm2", "check_thm3", "check_thm4", "check_thm5", "check_thm6"),
    "dyck": ("dyck",),
    "eval": ("eval",),
    "experiment": ("experiment",),
    "machines": ("demo_machines",),
    "maxflow": ("maxflow",),
    "pram": ("pram",),
    "reduce": ("reduce_thm",),
    "seeds": ("seeds",),
    "sudoku": ("sudoku",),
    "tour": ("tour",),
    "trace": ("trace",),
    "train": ("train",),
}


def build_parser(only: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``powergen`` parser with every command module, or with the modules named in ``only``."""
    parser = _Parser(prog="powergen", description="Exact machines, constructions and checks for the paper "
                     "'On Powerful Ways to Generate: Autoregression, Diffusion, and Beyond'.")
    parser.add_argument("--version", action="version", version=f"powergen {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, argparse._SubParsersAction] = {}
    import proofs_check.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if only is not None and info.name not in only:
            continue
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


def _quiet_stdout() -> None:
    """Point file descriptor 1 at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced by a StringIO (tests): nothing to redirect
        pass


_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def command_flags(parser: argparse.ArgumentParser, words: Sequence[str]) -> set[str]:
    """The option strings of the (sub)command that ``words`` names (walking the sub-parsers of ``parser``)."""
    for w in words:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or w not in sub.choices:
            break
        parser = sub.choices[w]
    return {s for a in parser._actions for s in a.option_strings}


def fit_hint(exc: BaseException, flags: set[str]) -> str:
    """The message of ``exc``, with a "raise it with ..." hint that names a flag this command lacks (or a Python
    keyword such as ``max_steps=``) replaced by "a fixed limit of this command".

    Library errors name the flag of the command that usually wraps them; a command without that flag must not
    send the user to it (the message then says the limit is fixed).
    """
    text = str(exc)
    hint = getattr(exc, "hint", None)
    if not isinstance(hint, str):
        return text
    named = set(_FLAG.findall(hint))
    if named and named <= flags and "=" not in hint and "keyword" not in hint:
        return text
    usable = sorted(named & flags)
    where = text.rfind(hint)
    if where < 0:
        return text
    head = text[:where].rstrip()
    for joint in ("; raise the limit with", "; raise it with", "raise the limit with", "raise it with"):
        if head.endswith(joint):
            head = head[: -len(joint)].rstrip()
            break
    tail = f"raise it with {' or '.join(usable)}" if usable else "this limit is fixed for this command"
    return f"{head.rstrip(';,')}; {tail}"


def error_line(exc: BaseException | str) -> str:
    """The one stderr line of an error: ``powergen: error: ...``, bounded by :func:`~proofs_check.inputs.one_line`."""
    return "powergen: error: " + one_line(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for bad input).

    Output errors: a closed pipe (``powergen sudoku table | head``) ends the run quietly with exit 0, as a
    reader closing early is not an error of ours (the project's choice [I]); any other failure to write stdout
    (a full disk, ``> /dev/full``) is one line on stderr and exit 2, like every other refusal.  A
    ``MemoryError`` or ``RecursionError`` that escapes the caps is also one line and exit 2 (a cap is missing
    there: the line says so).
    """
    words = list(argv) if argv is not None else sys.argv[1:]
    parser: argparse.ArgumentParser | None = None
    try:
        if words[:1] == ["--version"]:
            modules: list[str] | None = []
        else:
            modules = list(COMMANDS[words[0]]) if words and words[0] in COMMANDS else None
        parser = build_parser(modules)
        args = parser.parse_args(words)
        code = int(args.func(args))
        sys.stdout.flush()
        return code
    except USER_ERRORS as exc:
        text = fit_hint(exc, command_flags(parser, words)) if parser is not None else str(exc)
        print(error_line(text), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print(f"powergen: interrupted{': ' + str(exc) if str(exc) else ''}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except OSError as exc:  # stdout (or a file outside machines.io) could not be written: a full disk, ...
        _quiet_stdout()
        print(error_line(f"cannot write output: {exc.strerror or exc}"), file=sys.stderr)
        return EXIT_USAGE
    except (MemoryError, RecursionError) as exc:
        print(error_line(f"the input is too large ({type(exc).__name__}; a size cap is missing here, please "
                         "report it)"), file=sys.stderr)
        return EXIT_USAGE


def entry() -> NoReturn:
    sys.exit(main())
