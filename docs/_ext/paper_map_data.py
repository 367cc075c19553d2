"""The one place that says which theorem or experiment lives where (module, tests, command, docs page).

This module is plain data plus small path helpers (no Sphinx import), so that the docs build
(``docs/_ext/powergen_site.py``, which renders ``docs/paper_map.md``) and the tests (``tests/test_docs_registry.py``)
read the same table.  Paths are relative to the repository root.

When ``reductions/registry.py`` exists and names modules or test files for a theorem, those are used in addition to
the defaults below (see :func:`entries`).  Test files are also discovered: every ``tests/**/test_*thmN*.py`` and
every ``tests/...`` file a theorem page links with the ``code-link`` role counts as a test of theorem N.

Notes
-----
Edit ``ENTRIES`` (and only ``ENTRIES``) when a module, a command or a page is renamed: the paper map, the index and
the registry test follow.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

# Provenance tags used in ../shared/PAPER.md and on every docs page (see docs/index.md and docs/README_docs.md).
PROVENANCE: dict[str, str] = {
    "V": "wording very close to, or quoted by, the named source",
    "S": "paraphrase of a secondary source's description of the paper",
    "C": "read in the paper's official code",
    "F": "from a third-party audit of the official code (quotes the paper's .tex files)",
    "I": "inference: the project's reconstruction; no source states it",
    "?": "not stated in any available source; the project's own choice",
    "P": "powergen's own addition, beyond the paper (not a claim of the paper)",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the paper map.

    ``modules`` and ``tests`` are candidate paths (files or directories, relative to the repository root); the
    paper map shows those that exist.  ``check_module`` is the file that registers ``powergen check <id>``.
    """

    id: str
    kind: str  # "theorem" | "experiment"
    title: str
    statement: str  # the paper's statement in short, with its provenance tag
    provenance: str  # tag of the statement: "V:moonlight", "S:papernotes", ...
    page: str  # docname without suffix, e.g. "theorem1"
    modules: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    check_module: str = ""
    number: int = 0
    notes: str = ""
    extra_tests: tuple[str, ...] = field(default=())


ENTRIES: tuple[Entry, ...] = (
    Entry(
        id="thm1", kind="theorem", number=1, title="MDM simulates PRAM in optimal parallel time",
        statement="PRAM(P(n), T(n)) ⊆ MDM(O(P(n)·T(n)), O(T(n))): O(T(n)) decoding steps, context O(P(n)·T(n)).",
        provenance="V:moonlight", page="theorem1",
        modules=("reductions/pram_to_mdm.py", "reductions/pram_common.py", "reductions/lockstep.py"),
        tests=("tests/test_pram_to_mdm.py", "tests/test_check_cli_thm14.py", "tests/case_catalogue.py"),
        commands=("powergen check thm1", "powergen check space",
                  "powergen reduce thm1 --program prefix-sums --n 8 --seed 0 --json"),
        check_module="proofs_check/commands/check_thm1.py",
        notes="construction (token layout, lookups) is the project's reconstruction [I]",
    ),
    Entry(
        id="thm2", kind="theorem", number=2, title="MDM is limited by its context length",
        statement="MDM(S(n)) ⊆ PRAM(1, Õ(S(n)³)): an MDM with context S is simulated serially in Õ(S³) time.",
        provenance="V:moonlight", page="theorem2",
        modules=("reductions/mdm_to_serial.py", "reductions/serial_transformer.py"),
        tests=("tests/test_mdm_to_serial.py", "tests/test_mdm_to_serial_steps.py", "tests/test_check_thm23.py"),
        commands=("powergen check thm2",),
        check_module="proofs_check/commands/check_thm2.py",
        notes="the serial-operation count and the S³ argument are the project's reconstruction [I]",
    ),
    Entry(
        id="thm3", kind="theorem", number=3, title="Any order adds nothing over left to right",
        statement="An AO-MDM with context S(n) is simulated by a Masked-ARM of length O(S(n)) with O(1) extra layers.",
        provenance="S:mtp, papernotes", page="theorem3",
        modules=("reductions/aomdm_to_masked_arm.py", "reductions/aomdm_examples.py"),
        tests=("tests/test_aomdm_to_masked_arm.py", "tests/test_aomdm_to_masked_arm_catalogue.py",
               "tests/test_check_thm23.py"),
        commands=("powergen check thm3",),
        check_module="proofs_check/commands/check_thm3.py",
        notes="record layout and lookup passes are the project's reconstruction [I]",
    ),
    Entry(
        id="thm4", kind="theorem", number=4, title="AP-MDM simulates PRAM in optimal time and space",
        statement="AP-MDM reproduces any S(n)-memory PRAM program with O(S(n)) context and O(T(n)) steps.",
        provenance="S:papernotes", page="theorem4",
        modules=("reductions/pram_to_apmdm.py", "reductions/pram_common.py", "reductions/lockstep.py"),
        tests=("tests/test_pram_to_apmdm.py", "tests/test_check_cli_thm14.py", "tests/case_catalogue.py"),
        commands=("powergen check thm4", "powergen check space",
                  "powergen reduce thm4 --program prefix-sums --n 8 --seed 0 --json"),
        check_module="proofs_check/commands/check_thm4.py",
        notes="remask-then-unmask write discipline is the project's reconstruction [I]",
    ),
    Entry(
        id="thm5", kind="theorem", number=5, title="AP-MDM generates exactly two-sided Dyck-k; a fixed ARM cannot",
        statement="For k ≥ 2 a stochastic AP-MDM has support exactly the two-sided Dyck-k language; any fixed ARM "
                  "fails to cover it beyond some length.",
        provenance="V:papernotes", page="theorem5",
        modules=("reductions/dyck.py", "reductions/dyck_generator.py", "reductions/dyck_arm.py",
                 "reductions/dyck_arm_run.py", "reductions/dyck_matrix.py"),
        tests=("tests/test_dyck.py", "tests/test_dyck_generator.py", "tests/test_dyck_arm.py",
               "tests/test_check_thm56.py"),
        commands=("powergen check thm5",),
        check_module="proofs_check/commands/check_thm5.py",
        notes="generator and ARM-side illustrations are the project's reconstruction [I]; the impossibility is a "
              "conditional complexity result, illustrated, not proved",
    ),
    Entry(
        id="thm6", kind="theorem", number=6, title="AP-MDM is hard for ARM to simulate (PRESERVE)",
        statement="Position shifts from insert/delete force an ARM to reconstruct the whole edit trajectory "
                  "(the PRESERVE problem), hard for constant-depth Transformers.",
        provenance="S:papernotes", page="theorem6",
        modules=("reductions/preserve.py", "reductions/preserve_arm.py"),
        tests=("tests/test_preserve.py", "tests/test_check_thm56.py"),
        commands=("powergen check thm6",),
        check_module="proofs_check/commands/check_thm6.py",
        notes="the definition of PRESERVE is the project's reconstruction [I]/[?]",
    ),
    Entry(
        id="parity", kind="experiment", title="Parity: trained on length 2, exact at any length",
        statement="AP-MDM trained on n = 2 only (7 distinct transitions, ~200 parameters) reaches 100% at any length.",
        provenance="V:papernotes", page="experiment_parity",
        modules=("reductions/tasks/parity.py", "reductions/tasks/parity_parallel.py", "machines/neural",
                 "proofs_check/experiments"),
        tests=("tests/test_parity_tasks.py", "tests/test_train_cli.py", "tests/test_neural_model.py",
               "tests/test_neural_layers.py"),
        commands=("powergen train parity --seed 0 --out runs/parity",
                  "powergen eval parity --checkpoint runs/parity --json",
                  "powergen seeds parity --seeds 50 --lengths 11 12 100 101 --count 30"),
        notes="the learned model applies the paper's rule to every pair at once (4 steps); EOS in the training "
              "data and attention inside pairs are the project's choices [I]",
    ),
    Entry(
        id="sudoku", kind="experiment", title="Sudoku: backtracking search by remask",
        statement="AP-MDM, 100 training puzzles, ~1.2M parameters: 99.28% on 9×9 Sudoku.",
        provenance="V:papernotes", page="experiment_sudoku",
        modules=("reductions/tasks/sudoku.py", "reductions/tasks/sudoku_policy.py",
                 "reductions/tasks/sudoku_generate.py", "reductions/tasks/sudoku_grid.py"),
        tests=("tests/test_sudoku.py", "tests/test_sudoku_policy.py", "tests/test_arm_view.py"),
        commands=("powergen sudoku solve PUZZLE --trace FILE", "powergen sudoku generate", "powergen sudoku table"),
    ),
    Entry(
        id="maxflow", kind="experiment", title="Graph editing: max-flow and the minimum cut",
        statement="AP-MDM edits a graph to disconnect s from t with a minimum cut: ~100% at 4-10 nodes, where ARM "
                  "falls to 0.30% at 6 nodes.",
        provenance="V:papernotes", page="experiment_maxflow",
        modules=("reductions/tasks/maxflow.py", "reductions/tasks/maxflow_graph.py"),
        tests=("tests/test_maxflow.py", "tests/test_arm_view.py"),
        commands=("powergen maxflow run --nodes 6 --seed 0 --trace FILE", "powergen maxflow table"),
    ),
)

THEOREMS: tuple[Entry, ...] = tuple(e for e in ENTRIES if e.kind == "theorem")
EXPERIMENTS: tuple[Entry, ...] = tuple(e for e in ENTRIES if e.kind == "experiment")

# Machine pages: (docname, what it covers, theorems that use it).
MACHINE_PAGES: tuple[tuple[str, str, str], ...] = (
    ("pram", "PRAM: the parallel machine whose time T, processors P and memory S the theorems count",
     "thm1 thm2 thm4"),
    ("machines", "what the five generation machines share: vocabulary, predictors, halting, counters, traces",
     "thm1 thm2 thm3 thm4 thm5 thm6"),
    ("machine_arm", "ARM: one token appended per step, never rewritten", "thm5 thm6"),
    ("machine_mdm", "MDM: fixed length, any non-empty set of masks unmasked per step", "thm1 thm2"),
    ("machine_aomdm", "AO-MDM: exactly one mask unmasked per step, anywhere", "thm3"),
    ("machine_masked_arm", "Masked-ARM: exactly the leftmost mask unmasked per step", "thm3"),
    ("machine_apmdm", "AP-MDM: unmask, remask, insert, delete through the transition g (Algorithm 1)",
     "thm4 thm5 thm6"),
    ("neural", "the numpy Transformer f_θ (token head and remask/insert/delete heads)", "parity"),
)

_CODE_LINK = re.compile(r"(?<!`)\{code-link\}`([^`]*)`")
_TEST_PATH = re.compile(r"(?<![\w/.-])(tests/[\w/.-]*?test_\w+\.py)")


def code_link_target(text: str) -> str:
    """The repository path named by a ``code-link`` role's text (``"title <path::obj>"`` -> ``"path"``).

    Examples
    --------
    >>> code_link_target("the construction <reductions/pram_to_mdm.py::build>")
    'reductions/pram_to_mdm.py'
    """
    return code_link_full_target(text).split("::", 1)[0].strip()


def code_link_full_target(text: str) -> str:
    """The ``path::name`` target of a ``code-link`` role's text (the explicit title removed)."""
    text = text.strip()
    m = re.fullmatch(r"(?s).*<([^<>]+)>", text)
    return (m.group(1) if m else text).strip()


_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")


def strip_code_blocks(markdown: str) -> str:
    """``markdown`` with the bodies of fenced code blocks blanked (lines kept, so line numbers stay right).

    Fences whose info string is a MyST directive (``{name}``) are kept, except ``{code-block}`` and ``{code}``:
    their content is Markdown that Sphinx parses, so roles in them count.

    Examples
    --------
    >>> strip_code_blocks("a\\n```\\n{code-link}`x`\\n```\\nb").splitlines()
    ['a', '```', '', '```', 'b']
    """
    out: list[str] = []
    closing: str | None = None  # the fence that ends the literal block we are in
    directives: list[str] = []  # the fences of the MyST directive blocks we are in (their content is Markdown)
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if closing is not None:
            if m and _closes(m, closing):
                closing = None
                out.append(line)
            else:
                out.append("")
            continue
        out.append(line)
        if not m:
            continue
        info = m.group("info").strip()
        if directives and _closes(m, directives[-1]):
            directives.pop()
        elif info.startswith("{") and not info.startswith(("{code-block}", "{code}", "{eval-rst}")):
            directives.append(m.group("fence"))
        else:
            closing = m.group("fence")
    return "\n".join(out)


def _closes(m: re.Match[str], fence: str) -> bool:
    """Whether the fence line ``m`` closes a block opened with ``fence`` (same character, at least as long, no info)."""
    f = m.group("fence")
    return f[0] == fence[0] and len(f) >= len(fence) and not m.group("info").strip()


def code_link_roles(markdown: str) -> list[tuple[int, str]]:
    """``(line number, role text)`` of every ``code-link`` role in ``markdown`` outside literal code blocks."""
    text = strip_code_blocks(markdown)
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _CODE_LINK.finditer(text)]


def code_links(markdown: str) -> list[str]:
    """Every ``code-link`` target path in ``markdown`` outside literal code blocks, in order."""
    return [code_link_target(t) for _, t in code_link_roles(markdown)]


def named_test_paths(markdown: str) -> list[str]:
    """Every ``tests/.../test_*.py`` path written in ``markdown`` outside literal code blocks (roles, prose, inline
    code)."""
    return sorted(set(_TEST_PATH.findall(strip_code_blocks(markdown))))


def page_path(docname: str) -> Path:
    return DOCS / f"{docname}.md"


def _registry_paths(entry: Entry) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Modules and tests named for ``entry`` by ``reductions.registry`` (if it exists), as repository paths.

    The registry is read defensively: any mapping or object with a ``number``/``theorem`` matching the entry and
    attributes or keys named ``module``/``modules`` and ``tests``/``test_files`` is understood.
    """
    if entry.kind != "theorem":
        return (), ()
    try:
        reg = importlib.import_module("reductions.registry")
    except Exception:  # noqa: BLE001 -- a missing or broken registry only means "no extra information"
        return (), ()
    modules: list[str] = []
    tests: list[str] = []
    for name in dir(reg):
        table = getattr(reg, name)
        if not isinstance(table, dict) or name.startswith("_"):
            continue
        for key, item in table.items():
            if str(key).lower() not in {entry.id, str(entry.number), f"theorem{entry.number}", f"thm{entry.number}"} \
                    and key != entry.number:
                continue
            entry_fn = _get(item, "entry")
            for attr in ("module", "modules", "module_path"):
                found = _as_paths(_get(item, attr), module=True)
                if isinstance(entry_fn, str) and entry_fn and len(found) == 1:
                    found = [f"{found[0]}::{entry_fn}"]
                modules.extend(found)
            for attr in ("tests", "test_files", "test"):
                tests.extend(_as_paths(_get(item, attr), module=False))
    return tuple(dict.fromkeys(modules)), tuple(dict.fromkeys(tests))


def _get(item: object, attr: str) -> object:
    if isinstance(item, dict):
        return item.get(attr)
    return getattr(item, attr, None)


def _as_paths(value: object, *, module: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, (list, tuple)):
        values = [v for v in value if isinstance(v, str)]
    elif hasattr(value, "__name__"):  # a module object
        values = [str(value.__name__)]
    else:
        return []
    out = []
    for v in values:
        if module and "/" not in v and not v.endswith(".py"):
            v = v.replace(".", "/") + ".py"
        out.append(v)
    return out


def entries() -> tuple[Entry, ...]:
    """``ENTRIES`` with the modules and tests named by ``reductions.registry`` merged in (when it exists)."""
    out = []
    for e in ENTRIES:
        mods, tests = _registry_paths(e)
        merged = list(dict.fromkeys(mods + e.modules))
        with_object = {m.split("::", 1)[0] for m in merged if "::" in m}
        merged = [m for m in merged if "::" in m or m not in with_object]
        out.append(replace(e, modules=tuple(merged), extra_tests=tuple(dict.fromkeys(tests))))
    return tuple(out)


def existing(paths: tuple[str, ...] | list[str]) -> list[str]:
    """The paths (relative to the repository root; ``path::name`` allowed) that exist, in order, no duplicates."""
    return [p for p in dict.fromkeys(paths) if (REPO / p.split("::", 1)[0]).exists()]


def discovered_tests(entry: Entry) -> list[str]:
    """Existing test files of ``entry``: named in the map or the registry, matching ``test_*thmN*``, or linked
    from its docs page."""
    candidates: list[str] = list(entry.tests) + list(entry.extra_tests)
    if entry.kind == "theorem":
        for pattern in (f"test_*thm{entry.number}*.py", f"test_*theorem{entry.number}*.py"):
            candidates += sorted(p.relative_to(REPO).as_posix() for p in (REPO / "tests").rglob(pattern))
    page = page_path(entry.page)
    if page.exists():
        candidates += named_test_paths(page.read_text(encoding="utf-8"))
    return existing(candidates)
