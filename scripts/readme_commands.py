#!/usr/bin/env python3
"""Print the README's two one-line commands (set-up + tour, set-up + tests), read out of README.md.

Usage::

    python3 scripts/readme_commands.py [README.md]

``.ci/run`` executes exactly the lines this script prints, so the commands a reader copies from the README and the
commands CI runs cannot drift apart.  The commands are the first two *indented* code lines of the README (four
spaces, the Markdown code-block form the README uses), outside fenced blocks.  They must be one-liners that create
the ``.venv`` and install the project; the first must run ``powergen tour``, the second ``pytest``.  Anything else
(fewer than two indented lines, a different order, a command that does not set up the venv) is an error: the script
prints one line on stderr and exits 2, and ``.ci/run`` stops.

Exit codes: 0 printed, 2 the README is missing or its commands cannot be found.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

SETUP = "python3 -m venv .venv && "
"""Both commands start by creating the virtual environment (a fresh clone has none)."""
ROLES = (("set-up + tour", "powergen tour"), ("set-up + tests", "pytest"))
"""The two commands in README order: a label for messages and a word each must contain."""


class ReadmeCommandsError(ValueError):
    """The README does not contain the two commands in the expected form."""


def indented_lines(text: str) -> list[str]:
    """The lines of indented code blocks (four spaces or a tab, opened after a blank line), stripped; fences skipped.

    Examples
    --------
    >>> indented_lines("intro\\n\\n    echo one\\n\\n```\\n    not this\\n```\\n\\n\\ttwo\\n- item\\n    continued\\n")
    ['echo one', 'two']
    """
    out: list[str] = []
    fenced = False
    previous = ""  # an indented code block starts after a blank line (else the line continues a paragraph or list)
    in_code = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.strip():
            in_code = line.startswith(("    ", "\t")) and (in_code or not previous.strip())
            if in_code:
                out.append(line.strip())
        previous = line
    return out


def readme_commands(text: str) -> list[str]:
    """The README's set-up + tour and set-up + tests commands, in that order, exactly as written.

    Raises
    ------
    ReadmeCommandsError
        If there are fewer than two indented code lines, or the first two are not the two set-up commands.

    Examples
    --------
    >>> readme = ("Tour:\\n\\n    python3 -m venv .venv && .venv/bin/powergen tour\\n\\nTests:\\n\\n"
    ...           "    python3 -m venv .venv && .venv/bin/python -m pytest -q\\n")
    >>> readme_commands(readme)[1]
    'python3 -m venv .venv && .venv/bin/python -m pytest -q'
    """
    lines = indented_lines(text)
    if len(lines) < len(ROLES):
        raise ReadmeCommandsError(f"README.md has {len(lines)} indented command line(s); expected the "
                                  f"{' and '.join(r for r, _ in ROLES)} commands as its first two")
    cmds = lines[:len(ROLES)]
    problems = []
    for cmd, (role, word) in zip(cmds, ROLES, strict=True):
        if not cmd.startswith(SETUP) or word not in cmd:
            problems.append(f"the {role} command should start with {SETUP.strip()!r} and run {word!r}, got {cmd!r}")
    if problems:
        raise ReadmeCommandsError("README.md: " + "; ".join(problems))
    return cmds


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        print("usage: readme_commands.py [README.md]", file=sys.stderr)
        return 2
    path = Path(args[0] if args else Path(__file__).resolve().parents[1] / "README.md")
    try:
        cmds = readme_commands(path.read_text(encoding="utf-8"))
    except OSError as e:
        print(f"readme_commands: cannot read {str(path)!r}: {e.strerror or e}", file=sys.stderr)
        return 2
    except (ReadmeCommandsError, UnicodeDecodeError) as e:
        print(f"readme_commands: {e}", file=sys.stderr)
        return 2
    print("\n".join(cmds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
