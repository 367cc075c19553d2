"""Golden outputs of the ``powergen`` commands shown in the docs (SimPy-style ``.cmd`` + ``.out`` pairs).

``tests/docs/golden/NAME.cmd`` holds directives (``# key: value`` lines) and one command line starting with
``powergen``; ``tests/docs/golden/NAME.out`` holds the expected output.  Each command runs in-process through
:func:`proofs_check.cli.main`, in a fresh temporary working directory, and its stdout is compared with the ``.out``
file.  Directives:

``# mode: json | schema | text | regex``
    ``json`` (the default when ``.out`` is JSON): equal JSON values, except at ignored paths.  ``schema``: equal
    keys and value types only (every element of a list is compared with the first expected element), plus the
    values at pinned paths.  ``text``: equal text (trailing spaces ignored).  ``regex``: ``.out`` is a regular
    expression that must match the whole output.
``# ignore: PATH, PATH``
    JSON paths whose values (and, in schema mode, types) are not compared; the keys must still exist.  ``a.b``,
    ``rows[0].claim``, ``rows[*].measured``; ``*`` also matches any key.
``# pin: PATH, PATH``
    In schema mode, the paths whose values must be equal too.
``# exit: N``
    The expected exit code (default 0).
``# setup: powergen ...``
    A command run first, in the same working directory (repeatable; it must exit 0).
``# slow``
    Mark the test slow.

``{repo}`` in a command is replaced by the repository root.  Regenerate every ``.out`` from the current outputs
with ``POWERGEN_GOLDEN_UPDATE=1 python -m pytest tests/docs/test_docs_golden.py`` and review the diff.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from proofs_check.cli import main

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "docs" / "golden"
UPDATE = os.environ.get("POWERGEN_GOLDEN_UPDATE") == "1"
MODES = ("json", "schema", "text", "regex")


# --------------------------------------------------------------------------------------------- the .cmd format


@dataclass(frozen=True, slots=True)
class Golden:
    name: str
    command: str
    mode: str | None = None
    ignore: tuple[str, ...] = ()
    pin: tuple[str, ...] = ()
    exit: int = 0
    setup: tuple[str, ...] = ()
    slow: bool = False
    problems: tuple[str, ...] = field(default=())


def parse_cmd(name: str, text: str) -> Golden:
    """Parse a ``.cmd`` file; every problem is collected (and reported at once by the test)."""
    values: dict[str, Any] = {"ignore": [], "pin": [], "setup": []}
    commands: list[str] = []
    problems: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            key, sep, value = body.partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "slow" and not sep:
                values["slow"] = True
            elif key == "mode":
                if value not in MODES:
                    problems.append(f"line {lineno}: mode must be one of {', '.join(MODES)}, not {value!r}")
                values["mode"] = value
            elif key in ("ignore", "pin"):
                values[key] += [p.strip() for p in value.split(",") if p.strip()]
            elif key == "exit":
                if not value.lstrip("-").isdigit():
                    problems.append(f"line {lineno}: exit must be an integer, not {value!r}")
                else:
                    values["exit"] = int(value)
            elif key == "setup":
                values["setup"].append(value)
            # any other comment line is a comment
            continue
        commands.append(line)
    if len(commands) != 1:
        problems.append(f"expected exactly one command line, found {len(commands)}")
    for c in commands + values["setup"]:
        if not c.startswith("powergen"):
            problems.append(f"command {c!r} does not start with 'powergen'")
    return Golden(name=name, command=commands[0] if commands else "", mode=values.get("mode"),
                  ignore=tuple(values["ignore"]), pin=tuple(values["pin"]), exit=values.get("exit", 0),
                  setup=tuple(values["setup"]), slow=values.get("slow", False), problems=tuple(problems))


# --------------------------------------------------------------------------------------------- running


def run_command(command: str) -> tuple[int, str, str]:
    """Run one ``powergen ...`` line through :func:`proofs_check.cli.main`; return (exit code, stdout, stderr)."""
    argv = shlex.split(command.replace("{repo}", str(REPO)))[1:]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's --version / --help
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------------------------- JSON comparison


def parse_path(path: str) -> tuple[str | int, ...]:
    """``rows[*].measured`` -> ``("rows", "*", "measured")``; ``a.b[0]`` -> ``("a", "b", 0)``.

    Examples
    --------
    >>> parse_path("rows[*].measured"), parse_path("a.b[0]")
    (('rows', '*', 'measured'), ('a', 'b', 0))
    """
    out: list[str | int] = []
    for part in path.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[(?:\d+|\*)\])*)", part)
        if m is None:
            raise ValueError(f"bad JSON path {path!r}")
        if m.group(1):
            out.append(m.group(1))
        for idx in re.findall(r"\[(\d+|\*)\]", m.group(2)):
            out.append("*" if idx == "*" else int(idx))
    return tuple(out)


def _matches(patterns: list[tuple[str | int, ...]], here: tuple[str | int, ...]) -> bool:
    return any(len(p) == len(here) and all(a == "*" or a == b for a, b in zip(p, here, strict=True))
               for p in patterns)


def _show(here: tuple[str | int, ...]) -> str:
    s = ""
    for k in here:
        s += f"[{k}]" if isinstance(k, int) else (f".{k}" if s else k)
    return s or "(root)"


def _type(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return {str: "string", list: "list", dict: "object", type(None): "null"}[type(v)]


def compare_json(expected: Any, actual: Any, *, mode: str, ignore: list[tuple[str | int, ...]],
                 pin: list[tuple[str | int, ...]], here: tuple[str | int, ...] = ()) -> list[str]:
    """Every difference between ``expected`` and ``actual`` (empty when they agree).

    ``mode="json"`` compares values except under ``ignore``; ``mode="schema"`` compares keys and types, and values
    only under ``pin``.

    Examples
    --------
    >>> compare_json({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 3]}, mode="json", ignore=[], pin=[])
    ['b[1]: expected 2, got 3']
    >>> compare_json({"r": [{"x": 0}]}, {"r": [{"x": 5}, {"x": 6}]}, mode="schema", ignore=[], pin=[])
    []
    """
    problems: list[str] = []
    where = _show(here)
    if _matches(ignore, here):  # an ignored path: only its presence counts (checked by the parent)
        return []
    if _type(expected) != _type(actual):
        return [f"{where}: expected a {_type(expected)}, got a {_type(actual)} ({json.dumps(actual)[:80]})"]
    if isinstance(expected, dict):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing:
            problems.append(f"{where}: missing keys {missing}")
        if extra:
            problems.append(f"{where}: unexpected keys {extra}")
        for k in expected:
            if k in actual:
                problems += compare_json(expected[k], actual[k], mode=mode, ignore=ignore, pin=pin, here=here + (k,))
        return problems
    if isinstance(expected, list):
        if mode == "schema" and not _matches(pin, here):
            if expected and not actual:
                return [f"{where}: expected a non-empty list"]
            for i, item in enumerate(actual):
                if expected:
                    problems += compare_json(expected[0], item, mode=mode, ignore=ignore, pin=pin, here=here + (i,))
            return problems
        if len(expected) != len(actual):
            return [f"{where}: expected {len(expected)} items, got {len(actual)}"]
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            problems += compare_json(e, a, mode=mode, ignore=ignore, pin=pin, here=here + (i,))
        return problems
    compare_value = _matches(pin, here) if mode == "schema" else True
    if compare_value and expected != actual:
        problems.append(f"{where}: expected {json.dumps(expected)}, got {json.dumps(actual)}")
    return problems


# --------------------------------------------------------------------------------------------- the tests


def _cases() -> list[Any]:
    cases = []
    for cmd_file in sorted(GOLDEN.glob("*.cmd")):
        golden = parse_cmd(cmd_file.stem, cmd_file.read_text(encoding="utf-8"))
        marks = [pytest.mark.slow] if golden.slow else []
        cases.append(pytest.param(golden, id=golden.name, marks=marks))
    return cases


@pytest.fixture
def quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    return tmp_path


@pytest.mark.parametrize("golden", _cases())
def test_golden(golden: Golden, quiet_env: Path) -> None:
    assert not golden.problems, f"{golden.name}.cmd: " + "; ".join(golden.problems)
    for setup in golden.setup:
        code, _, err = run_command(setup)
        assert code == 0, f"setup {setup!r} exited {code}: {err.strip()}"
    code, out, err = run_command(golden.command)
    out_file = GOLDEN / f"{golden.name}.out"
    mode = golden.mode
    if mode is None:
        try:
            json.loads(out_file.read_text(encoding="utf-8") if out_file.exists() else out)
            mode = "json"
        except ValueError:
            mode = "text"
    if UPDATE:
        if mode in ("json", "schema"):
            out_file.write_text(json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        elif mode == "text":
            out_file.write_text(out, encoding="utf-8")
        elif not out_file.exists():
            out_file.write_text(re.escape(out.strip()) + "\n", encoding="utf-8")
    assert out_file.exists(), (f"no {out_file.relative_to(REPO)}; create it with POWERGEN_GOLDEN_UPDATE=1 "
                               f"python -m pytest tests/docs/test_docs_golden.py")
    expected = out_file.read_text(encoding="utf-8")
    assert code == golden.exit, f"{golden.command!r} exited {code}, expected {golden.exit}; stderr: {err.strip()}"
    if mode == "text":
        def norm(s: str) -> list[str]:
            return [line.rstrip() for line in s.strip("\n").splitlines()]

        assert norm(out) == norm(expected)
    elif mode == "regex":
        assert re.fullmatch(expected.strip(), out.strip(), re.DOTALL), f"{out.strip()!r} !~ {expected.strip()!r}"
    else:
        try:
            actual = json.loads(out)
        except ValueError:
            pytest.fail(f"{golden.command!r} did not print JSON: {out[:200]!r}")
        problems = compare_json(json.loads(expected), actual, mode=mode,
                                ignore=[parse_path(p) for p in golden.ignore], pin=[parse_path(p) for p in golden.pin])
        assert not problems, f"{golden.command!r} differs from {out_file.name}:\n" + "\n".join(problems[:30])


# --------------------------------------------------------------------------------------------- the harness itself


def test_parse_cmd_reports_every_problem() -> None:
    g = parse_cmd("x", "# mode: yaml\n# exit: one\nls -l\npowergen tour\n")
    assert len(g.problems) == 4  # bad mode, bad exit, two commands, one not powergen
    g = parse_cmd("y", "# a comment\n# mode: schema\n# pin: schema, seed\n# ignore: rows[*].x\n# slow\npowergen tour")
    assert g == Golden(name="y", command="powergen tour", mode="schema", ignore=("rows[*].x",),
                       pin=("schema", "seed"), slow=True)


def test_compare_json_ignores_and_pins() -> None:
    exp = {"schema": "s/1", "rows": [{"a": "x", "n": 1}], "ok": True}
    act = {"schema": "s/2", "rows": [{"a": "y", "n": 2}, {"a": "z", "n": 3}], "ok": True}
    assert compare_json(exp, act, mode="schema", ignore=[], pin=[]) == []
    assert compare_json(exp, act, mode="schema", ignore=[], pin=[("schema",)]) == ['schema: expected "s/1", got "s/2"']
    assert len(compare_json(exp, act, mode="json", ignore=[], pin=[])) == 2  # schema value and the list length
    one = {"schema": "s/1", "rows": [{"a": "y", "n": 1}], "ok": True}
    assert compare_json(exp, one, mode="json", ignore=[parse_path("rows[*].a")], pin=[]) == []
    assert compare_json(exp, {"schema": "s/1", "rows": [{"n": 1}], "ok": True}, mode="json",
                        ignore=[parse_path("rows[*].a")], pin=[]) == ["rows[0]: missing keys ['a']"]
    assert compare_json(exp, {**exp, "ok": 1}, mode="schema", ignore=[], pin=[])  # bool is not a number


# --------------------------------------------------------------------------------------------- docs commands pinned

DOC_FILES = (REPO / "README.md", REPO / "docs" / "getting_started.md")


def doc_commands() -> list[tuple[str, str]]:
    """``(file, command)`` for every ``powergen ...`` command in a fenced code block of the README or getting started.

    ``.venv/bin/powergen`` counts as ``powergen``; ``a && b`` lines are split.
    """
    out: list[tuple[str, str]] = []
    for f in DOC_FILES:
        if not f.exists():
            continue
        in_block = False
        for line in f.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("```"):
                in_block = not in_block
                continue
            if not in_block and not line.startswith("    "):  # fenced, or an indented block (README)
                continue
            for part in stripped.split("&&"):
                words = part.split()
                if words and words[0].endswith("powergen") and "/" not in words[0].replace(".venv/bin/", ""):
                    cmd = " ".join(["powergen", *words[1:]]).split(" #", 1)[0].strip()
                    if (f.name, cmd) not in out:
                        out.append((f.name, cmd))
    return out


def pins(doc_command: str, golden_command: str) -> bool:
    """Whether ``golden_command`` runs ``doc_command``; an all-caps word in the docs (FILE, N) matches any word.

    Examples
    --------
    >>> pins("powergen trace replay FILE", "powergen trace replay runs/t.jsonl")
    True
    >>> pins("powergen tour", "powergen tour --json")
    False
    """
    d, g = shlex.split(doc_command), shlex.split(golden_command)
    return len(d) == len(g) and all(a == b or (a.isupper() and a.isalpha()) for a, b in zip(d, g, strict=True))


def _registered(command: str) -> bool:
    from proofs_check.cli import build_parser
    from proofs_check.errors import UsageError

    words = shlex.split(command)[1:]
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            build_parser().parse_args(words)
    except UsageError:
        return False
    except SystemExit:
        return True
    return True


@pytest.mark.parametrize(("doc", "command"), doc_commands(), ids=[f"{d}: {c}" for d, c in doc_commands()])
def test_docs_command_is_pinned(doc: str, command: str) -> None:
    goldens = [parse_cmd(f.stem, f.read_text(encoding="utf-8")) for f in sorted(GOLDEN.glob("*.cmd"))]
    pinned = [g.name for g in goldens if pins(command, g.command) or any(pins(command, s) for s in g.setup)]
    if pinned:
        return
    if not _registered(command):
        pytest.xfail(f"{command!r} (shown in {doc}) is not a registered powergen command yet")
    pytest.fail(f"{command!r} is shown in {doc} but no tests/docs/golden/*.cmd runs it: add NAME.cmd with this command "
                f"(all-caps placeholders may be any word) and create NAME.out with POWERGEN_GOLDEN_UPDATE=1")


def test_pram_run_golden_matches_a_plain_reference() -> None:
    """tests/docs/golden/pram_run.out holds the values a plain reading of the program's description gives.

    The instance is the documented draw (``n`` integers uniform in ``[-1000, 1000]`` from ``default_rng(seed)``);
    the output is its running sum; the counters follow Hillis-Steele as the program's docstring describes it: step
    1 loads every x[i]; in the round with offset d the processors with i >= d read x[i - d] and write x[i]; a
    processor stops once i < 2d.  None of it calls the pram package.
    """
    import itertools

    import numpy as np

    g = parse_cmd("pram_run", (GOLDEN / "pram_run.cmd").read_text(encoding="utf-8"))
    words = shlex.split(g.command)
    n, seed = int(words[words.index("--n") + 1]), int(words[words.index("--seed") + 1])
    values = np.random.default_rng(seed).integers(-1000, 1001, size=n).tolist()
    time, work, reads, writes, peak = 1, n, n, 0, n  # the load step
    live, d = [i for i in range(n) if i >= 1], 1
    while live:
        time, work, reads, writes, peak = time + 1, work + len(live), reads + len(live), writes + len(live), \
            max(peak, len(live))
        d *= 2
        live = [i for i in live if i >= d]
    want = {"schema": "powergen.pram-run/1", "program": "prefix-sums", "policy": "erew", "n": n,
            "output": list(itertools.accumulate(values)),
            "counters": {"time": time, "processors": peak, "work": work, "reads": reads, "writes": writes,
                         "memory": n}}
    assert g.mode == "json" and not g.ignore
    assert json.loads((GOLDEN / "pram_run.out").read_text(encoding="utf-8")) == want
