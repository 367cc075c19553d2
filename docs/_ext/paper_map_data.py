"""The docs' view of the one registry, ``reductions/registry.py``, plus small path helpers (no Sphinx import).

The table of theorems, checks and experiments -- modules, claims, tests, commands, page, tour step -- lives in
:data:`reductions.registry.ENTRIES` and nowhere else; this module re-exports it, so that the docs build
(``docs/_ext/powergen_site.py``, which renders ``docs/paper_map.md`` and every page's "Where it lives" box) and the
tests (``tests/docs/test_docs_registry.py``, ``tests/reductions/test_registry.py``) read the same rows.  Paths are
relative to the
repository root.  What stays here is what only the docs need: the provenance tags and the machine pages.

Notes
-----
Edit ``reductions/registry.py`` (and only it) when a module, a command, a test or a page is renamed: the paper map,
the "Where it lives" boxes and the registry tests follow.
"""

from __future__ import annotations

import re
from pathlib import Path

from reductions.registry import ENTRIES, EXPERIMENTS, Entry

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

__all__ = ["DOCS", "ENTRIES", "EXPERIMENTS", "Entry", "MACHINE_PAGES", "PROVENANCE", "REPO", "THEOREMS"]

# Provenance tags, as in the paper notes (docs/paper_notes.md) and on every docs page (see docs/README_docs.md).
PROVENANCE: dict[str, str] = {
    "V": "wording very close to, or quoted by, the named source",
    "S": "paraphrase of a secondary source's description of the paper",
    "C": "read in the paper's official code",
    "F": "from a third-party audit of the official code (quotes the paper's .tex files)",
    "I": "inference: the project's reconstruction; no source states it",
    "?": "not stated in any available source; the project's own choice",
    "P": "powergen's own addition, beyond the paper (not a claim of the paper)",
}

THEOREMS: tuple[Entry, ...] = tuple(e for e in ENTRIES if e.kind == "theorem")

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


def entries() -> tuple[Entry, ...]:
    """Every row of the registry (theorems, checks, experiments), in order."""
    return ENTRIES


def module_targets(entry: Entry) -> list[str]:
    """The entry's modules as ``code-link`` targets: the first with its main function (``path::entry``)."""
    out = list(entry.modules)
    if out and entry.entry:
        out[0] = f"{out[0]}::{entry.entry}"
    return out


def existing(paths: tuple[str, ...] | list[str]) -> list[str]:
    """The paths (relative to the repository root; ``path::name`` allowed) that exist, in order, no duplicates."""
    return [p for p in dict.fromkeys(paths) if (REPO / p.split("::", 1)[0]).exists()]


def discovered_tests(entry: Entry) -> list[str]:
    """Existing test files of ``entry``: named in the registry, matching ``test_*thmN*``, or linked from its page."""
    candidates: list[str] = list(entry.tests)
    if entry.kind == "theorem":
        for pattern in (f"test_*thm{entry.number}*.py", f"test_*theorem{entry.number}*.py"):
            candidates += sorted(p.relative_to(REPO).as_posix() for p in (REPO / "tests").rglob(pattern))
    page = page_path(entry.page)
    if page.exists():
        candidates += named_test_paths(page.read_text(encoding="utf-8"))
    return existing(candidates)
