"""The one registry (reductions/registry.py): every path, claim, page, tour step and command it names exists.

The existence checks read the disk and the real ``powergen`` parser; they import no construction and no claim
module, so a registry row that points at a file which is not there fails here, by name.  The converse checks make
the registry complete: every claim registered in ``proofs_check``, every ``powergen check`` command and every tour
step belongs to some entry.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from reductions import registry
from reductions.errors import ReductionError
from reductions.registry import ENTRIES, THEOREMS, get_entry, get_theorem, load, module_name

REPO = Path(__file__).resolve().parents[2]
IDS = [e.id for e in ENTRIES]


def _top_parser() -> argparse.ArgumentParser:
    from proofs_check.cli import build_parser

    return build_parser()


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    out: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            out.update(action.choices)
    return out


def resolve(parser: argparse.ArgumentParser, command: str) -> tuple[list[str], list[str]]:
    """Walk ``command``'s words down the sub-command tree: (the command path found, the remaining words).

    Examples: ``powergen check thm1 --json`` -> (["check", "thm1"], ["--json"]).
    """
    words = command.split()
    assert words[0] == "powergen", command
    path: list[str] = []
    rest = words[1:]
    while rest:
        subs = _subparsers(parser)
        if rest[0] not in subs:
            break
        parser = subs[rest[0]]
        path.append(rest.pop(0))
    return path, rest


def test_ids_are_unique_and_theorems_are_one_to_six() -> None:
    assert len(set(IDS)) == len(IDS)
    theorems = [e for e in ENTRIES if e.kind == "theorem"]
    assert [e.number for e in theorems] == [1, 2, 3, 4, 5, 6]
    assert [e.id for e in theorems] == [f"thm{n}" for n in range(1, 7)]
    assert {e.kind for e in ENTRIES} <= {"theorem", "check", "experiment"}
    for wanted in ("space", "parity", "sudoku", "maxflow"):
        assert wanted in IDS


@pytest.mark.parametrize("entry_id", IDS)
def test_every_named_file_exists(entry_id: str) -> None:
    e = get_entry(entry_id)
    named = [*e.modules, *e.claim_modules, *e.tests, *e.tour_steps, *([e.check_module] if e.check_module else [])]
    missing = [p for p in named if not (REPO / p).exists()]
    assert not missing, f"registry entry {entry_id!r} names paths that do not exist: {', '.join(missing)}"
    assert all(not p.startswith(("/", "..")) for p in named), named
    assert all(p.startswith("tests/") and p.endswith(".py") for p in e.tests), e.tests
    assert e.modules and e.tests and e.commands, f"{entry_id}: modules, tests and commands are required"


@pytest.mark.parametrize("entry_id", IDS)
def test_page_exists(entry_id: str) -> None:
    page = REPO / "docs" / f"{get_entry(entry_id).page}.md"
    assert page.is_file(), f"registry entry {entry_id!r}: docs page {page.relative_to(REPO)} does not exist"


@pytest.mark.parametrize("entry_id", IDS)
def test_entry_function_is_defined_in_the_first_module(entry_id: str) -> None:
    """Read from the source (no import): the main function is a top-level ``def`` or class of ``modules[0]``."""
    e = get_entry(entry_id)
    if not e.entry:
        assert e.kind != "theorem", f"theorem {entry_id} needs its construction's main function"
        return
    tree = ast.parse((REPO / e.modules[0]).read_text(encoding="utf-8"))
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert e.entry in names, f"{e.modules[0]} defines no top-level {e.entry!r}"


@pytest.mark.parametrize("entry_id", IDS)
def test_every_claim_is_defined_in_its_claim_module(entry_id: str) -> None:
    """Read from the source: each claim id appears as ``id="<claim>"`` in one of the entry's claim modules."""
    e = get_entry(entry_id)
    sources = "\n".join((REPO / p).read_text(encoding="utf-8") for p in e.claim_modules)
    for claim in e.claims:
        assert re.search(rf'\bid="{re.escape(claim)}"', sources), (
            f"claim {claim!r} of entry {entry_id!r} is not defined in {', '.join(e.claim_modules) or '(none)'}")
    if e.kind in ("theorem", "check"):
        assert e.claims and e.claim_modules and e.check_module, f"{entry_id} needs a claim and a check command"


def test_every_registered_claim_belongs_to_an_entry() -> None:
    """Every ``register_claim(Claim(id=...))`` under proofs_check/ is named by some entry (read from the source)."""
    named = {c for e in ENTRIES for c in e.claims}
    defined: dict[str, str] = {}
    for path in sorted((REPO / "proofs_check").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'register_claim\(Claim\(\s*id="([^"]+)"', text):
            defined[m.group(1)] = path.relative_to(REPO).as_posix()
    assert defined, "no register_claim(Claim(id=...)) found under proofs_check/"
    orphans = {c: p for c, p in defined.items() if c not in named}
    assert not orphans, f"claims registered but in no registry entry: {orphans}"


@pytest.mark.parametrize("entry_id", IDS)
def test_every_command_resolves_in_the_real_parser(entry_id: str) -> None:
    parser = _top_parser()
    for command in get_entry(entry_id).commands:
        path, rest = resolve(parser, command)
        assert path, f"{command!r}: {command.split()[1]!r} is not a powergen command"
        node = parser
        for word in path:
            node = _subparsers(node)[word]
        assert not _subparsers(node) or (rest and rest[0].startswith("-")), (
            f"{command!r} stops at the group {' '.join(path)!r} (sub-commands: {', '.join(_subparsers(node))})")
        from proofs_check.errors import UsageError

        try:
            parser.parse_args(command.split()[1:])
        except (UsageError, SystemExit) as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{command!r} does not parse: {exc}")


def test_every_check_command_belongs_to_an_entry() -> None:
    checks = set(_subparsers(_subparsers(_top_parser())["check"]))
    named = {resolve(_top_parser(), c)[0][1] for e in ENTRIES for c in e.commands
             if c.split()[1:2] == ["check"]}
    assert checks and checks <= named, f"`powergen check` commands in no registry entry: {sorted(checks - named)}"


def test_every_tour_step_belongs_to_an_entry_or_the_introduction() -> None:
    steps = {p.relative_to(REPO).as_posix() for p in (REPO / "proofs_check" / "tour_steps").glob("t*.py")}
    named = [t for e in ENTRIES for t in e.tour_steps]
    assert len(named) == len(set(named)), "a tour step is named by two entries"
    assert all((REPO / t).is_file() for t in registry.TOUR_INTRO)
    assert steps == set(named) | set(registry.TOUR_INTRO), (
        f"unnamed: {sorted(steps - set(named) - set(registry.TOUR_INTRO))}; "
        f"named but missing: {sorted(set(named) - steps)}")


def test_tasks_named_are_registered_tasks() -> None:
    from reductions.tasks.registry import TASKS

    for e in ENTRIES:
        assert set(e.tasks) <= set(TASKS), (e.id, sorted(set(e.tasks) - set(TASKS)))
    assert set(TASKS) <= {t for e in ENTRIES for t in e.tasks}, "a task in reductions.tasks.registry has no entry"


def test_theorem_answers_are_generated_from_the_entries() -> None:
    assert sorted(THEOREMS) == [f"thm{i}" for i in range(1, 7)]
    for tid, row in THEOREMS.items():
        e = get_entry(tid)
        assert row.module == module_name(e.modules[0]) and row.entry == e.entry and row.summary == e.summary


def test_every_theorem_one_to_six_has_a_module_with_its_entry_point() -> None:
    for tid in THEOREMS:
        module = load(tid)
        entry = get_theorem(tid).entry
        assert entry and callable(getattr(module, entry)), (tid, entry)


def test_unknown_ids_are_typed_errors() -> None:
    with pytest.raises(ReductionError, match="known: thm1"):
        get_theorem("thm7")
    with pytest.raises(ReductionError, match="known: thm1"):
        get_entry("thm7")


def test_the_registry_imports_nothing_above_reductions() -> None:
    tree = ast.parse((REPO / "reductions" / "registry.py").read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m.split(".")[0] in ("proofs_check", "docs", "tests")], imported


def test_the_existence_check_fails_on_a_missing_path(tmp_path: Path) -> None:
    """The checks above are not vacuous: a row naming a missing file or an unknown command is caught."""
    import dataclasses

    bad = dataclasses.replace(get_entry("thm1"), tests=("tests/test_no_such_file.py",),
                              commands=("powergen check thm99",))
    assert not (REPO / bad.tests[0]).exists()
    path, rest = resolve(_top_parser(), bad.commands[0])
    assert path == ["check"] and rest == ["thm99"]


@pytest.mark.parametrize("entry_id", [e.id for e in ENTRIES if e.kind == "theorem"])
def test_a_theorem_tour_step_is_titled_by_its_theorem(entry_id: str) -> None:
    """Read from the source (no import): the tour step named for Theorem N has ``TITLE = "Theorem N: ..."``."""
    e = get_entry(entry_id)
    assert e.tour_steps, f"{entry_id} names no tour step"
    for step in e.tour_steps:
        tree = ast.parse((REPO / step).read_text(encoding="utf-8"))
        titles = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                  and any(isinstance(t, ast.Name) and t.id == "TITLE" for t in n.targets)]
        assert titles and str(titles[0]).startswith(f"Theorem {e.number}:"), (step, titles)
