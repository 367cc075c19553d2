"""Sphinx extension that builds the parts of the site that depend on what exists in the repository.

``powergen-toctree``
    A ``toctree`` that lists only the pages that exist.  Each entry is a docname or a glob pattern (``theorem*``;
    ``*`` does not cross ``/``); explicit entries that do not exist and patterns that match nothing are silently
    dropped, pages already listed earlier in the same document are not repeated, and a toctree left empty renders
    nothing.  So the index can name every planned page before it is written.
``{powergen-generate} NAME ARGS`` (a fenced block, content ignored)
    Replaced, before parsing, by Markdown generated at build time:

    - ``automodules PACKAGE``: one section with ``automodule`` per module of PACKAGE (found with ``pkgutil``, so a
      new module appears without editing the page; private ``_x`` modules and ``__main__`` are skipped);
    - ``bench``: one ``include`` per ``docs/bench/*.md`` file (sorted), headings shifted one level down;
    - ``paper-map``: the table theorem/experiment -> module -> tests -> commands -> page, from the one registry
      ``reductions/registry.py`` (read through ``docs/_ext/paper_map_data.py``);
    - ``where-it-lives ID [ID ...]``: a page's "Where it lives" list (construction, claim, tests, commands, tour
      step) for registry entries, from the same registry;
    - ``check-table PATH [columns=a,b]``: the table of a saved ``powergen check ... --json`` report (PATH relative
      to the page), each measured count beside its bound.

    Pages with a generator are re-read on every build, so new modules, benchmarks and pages show up in incremental
    builds too.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import paper_map_data as pmd
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.directives.other import TocTree
from sphinx.environment import BuildEnvironment
from sphinx.util import docname_join, logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

_GENERATE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{powergen-generate\}[ \t]*(?P<args>[^\n]*)\n"
                       r"(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
_EXPLICIT = re.compile(r"^(.+?)\s*<([^<>]+)>$")


# --------------------------------------------------------------------------------------------- toctree


def _match(pattern: str, docname: str) -> bool:
    """Glob match where ``*`` and ``?`` never cross ``/`` (``theorem*`` matches ``theorem1``, not ``api/x``)."""
    p_parts, d_parts = pattern.split("/"), docname.split("/")
    if len(p_parts) != len(d_parts):
        return False
    return all(fnmatch.fnmatchcase(d, p) for p, d in zip(p_parts, d_parts, strict=True))


class ExistingTocTree(TocTree):
    """``toctree`` restricted to pages that exist (see the module docstring)."""

    def run(self) -> list[nodes.Node]:
        env = self.env
        current = env.docname
        document = self.state.document
        seen: set[str] = document.__dict__.setdefault("_powergen_toc_seen", {current})
        lines: list[str] = []
        content: StringList = self.content  # type: ignore[has-type]
        for raw in content:
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            m = _EXPLICIT.match(entry)
            title, ref = (m.group(1), m.group(2)) if m else (None, entry)
            ref = ref.strip().removesuffix(".md")
            if any(ch in ref for ch in "*?["):
                pattern = docname_join(current, ref)
                for docname in sorted(d for d in env.found_docs if _match(pattern, d) and d not in seen):
                    seen.add(docname)
                    lines.append("/" + docname)
                continue
            docname = docname_join(current, ref)
            if docname in env.found_docs and docname not in seen:
                seen.add(docname)
                lines.append(f"{title} </{docname}>" if title else "/" + docname)
        if not lines:
            return []
        self.content = StringList(lines, source=content.source(0) if content else "")
        self.options.pop("glob", None)
        return super().run()


# --------------------------------------------------------------------------------------------- generators


def gen_automodules(args: list[str], docname: str) -> str:
    if len(args) != 1:
        raise ValueError("automodules takes exactly one package name")
    pkg_name = args[0]
    pkg = importlib.import_module(pkg_name)
    names = [pkg_name]
    errors: list[str] = []
    for info in pkgutil.walk_packages(pkg.__path__, pkg_name + ".", onerror=errors.append):
        parts = info.name.split(".")[1:]
        if any(part.startswith("_") for part in parts):
            continue
        names.append(info.name)
    for err in errors:
        logger.warning("automodules: cannot import %s", err, location=docname, type="powergen", subtype="api")
    out = []
    for name in sorted(names, key=lambda n: (n != pkg_name, n)):
        # autodoc emits reStructuredText, so the directive must run inside eval-rst (not a MyST fence).
        out.append(f"## `{name}`\n\n```{{eval-rst}}\n.. automodule:: {name}\n   :members:\n"
                   f"   :show-inheritance:\n```\n")
    return "\n".join(out)


def gen_bench(args: list[str], docname: str) -> str:
    bench_dir = pmd.DOCS / "bench"
    files = sorted(bench_dir.glob("*.md")) if bench_dir.is_dir() else []
    if not files:
        return ("*No benchmark has been recorded yet.* Each benchmark is written to `docs/bench/<topic>.md` by the "
                "engineer who measured it, with its exact command and the date, and appears here automatically.\n")
    base = (pmd.DOCS / docname).parent
    out = []
    for f in files:
        rel = Path(f).relative_to(base).as_posix() if base in f.parents else f.as_posix()
        out.append(f"```{{include}} {rel}\n:heading-offset: 1\n:relative-images:\n```\n")
    return "\n".join(out)


def _cell(items: list[str]) -> str:
    return "; ".join(items) if items else "—"


def gen_paper_map(args: list[str], docname: str) -> str:
    kinds = args or ["theorem", "check", "experiment"]
    rows = ["| claim | the paper says | module | checked as | tests | commands | page |",
            "|---|---|---|---|---|---|---|"]
    for e in pmd.entries():
        if e.kind not in kinds:
            continue
        label = f"**Theorem {e.number}**: {e.title}" if e.kind == "theorem" else f"**{e.title}**"
        said = f"{e.statement} {{prov}}`{e.provenance}`"
        modules = [f"{{code-link}}`{p}`" for p in pmd.module_targets(e)]
        tests = [f"{{code-link}}`{p}`" for p in pmd.discovered_tests(e)]
        commands = [f"{{cli}}`{cmd}`" for cmd in e.commands]
        checked = [f"`{c}`" for c in e.claims] or ["— (no claim: the process is checked by its tests)"]
        page = f"{{page}}`{e.page}`"
        rows.append("| " + " | ".join(_escape(c) for c in (label, said, _cell(modules), _cell(checked), _cell(tests),
                                                            _cell(commands), page)) + " |")
    return "\n".join(rows) + "\n"


def gen_where_it_lives(args: list[str], docname: str) -> str:
    """The "Where it lives" list of one or more registry entries (``where-it-lives thm4 space``)."""
    if not args:
        raise ValueError("where-it-lives needs a registry id (one of: " + ", ".join(e.id for e in pmd.ENTRIES) + ")")
    by_id = {e.id: e for e in pmd.ENTRIES}
    unknown = [a for a in args if a not in by_id]
    if unknown:
        raise ValueError(f"unknown registry id(s) {', '.join(unknown)} (known: {', '.join(by_id)})")
    chosen = [by_id[a] for a in args]

    def links(paths: list[str]) -> str:
        seen: set[str] = set()
        kept = []
        for p in paths:  # one link per file: the first mention (``path::entry`` for a module's main function)
            if p.split("::", 1)[0] not in seen:
                seen.add(p.split("::", 1)[0])
                kept.append(p)
        return ", ".join(f"{{code-link}}`{p}`" for p in kept)

    construction = [t for e in chosen for t in pmd.module_targets(e)]
    claims = [f"{{code-link}}`{m}` (claim{'s' if len(e.claims) > 1 else ''} "
              + ", ".join(f"`{c}`" for c in e.claims) + ")"
              for e in chosen if e.claims for m in e.claim_modules]
    checks = [e.check_module for e in chosen if e.check_module]
    tests = [t for e in chosen for t in e.tests]
    commands = list(dict.fromkeys(c for e in chosen for c in e.commands))
    tour = [t for e in chosen for t in e.tour_steps]
    tasks = [t for e in chosen for t in e.tasks]
    lines = [f"- {'Construction' if chosen[0].kind != 'experiment' else 'Process'}: {links(construction)}"]
    if claims:
        lines.append("- Claim: " + "; ".join(claims))
    if checks:
        lines.append(f"- Check command module: {links(checks)}")
    lines.append(f"- Tests: {links(tests)}")
    lines.append("- Commands: " + ", ".join(f"{{cli}}`{c}`" for c in commands))
    if tasks:
        lines.append("- Tasks (`powergen train` / `eval` / `seeds`): " + ", ".join(f"`{t}`" for t in tasks))
    if tour:
        lines.append(f"- Tour step: {links(tour)}")
    lines.append("")
    lines.append("*Generated from the one registry, {code-link}`reductions/registry.py`; the paper map "
                 "({page}`paper_map`) is built from the same rows.*")
    return "\n".join(lines) + "\n"


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def gen_check_table(args: list[str], docname: str) -> str:
    """A table of a saved ``powergen check ... --json`` report: params, each measured count beside its bound, ok.

    ``args``: the JSON path relative to the page, then optionally ``columns=a,b,c`` (params or measured keys).
    """
    import json

    if not args:
        raise ValueError("check-table needs the path of a saved `powergen check ... --json` report")
    base = (pmd.DOCS / docname).parent
    path = (base / args[0]).resolve()
    if not path.is_file():
        raise ValueError(f"{args[0]} does not exist (save it with `powergen check ... --json > {args[0]}`)")
    report = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(report, dict) or report.get("schema") != "powergen.check/1":
        raise ValueError(f"{args[0]} is not a powergen.check/1 report")
    points = report.get("points", [])
    options = dict(a.split("=", 1) for a in args[1:] if "=" in a)
    params_keys = list(dict.fromkeys(k for p in points for k in p.get("params", {})))
    measured_keys = list(dict.fromkeys(k for p in points for k in p.get("measured", {})))
    if "columns" in options:
        wanted = [c for c in options["columns"].split(",") if c]
        params_keys = [k for k in wanted if k in params_keys]
        measured_keys = [k for k in wanted if k in measured_keys]
    headers = list(params_keys)
    for k in measured_keys:
        headers.append(k)
        if any(k in p.get("bounds", {}) for p in points):
            headers.append(f"{k} bound")
    lines = ["| " + " | ".join(headers + ["ok"]) + " |", "|" + "---|" * (len(headers) + 1)]
    for p in points:
        cells = [str(p.get("params", {}).get(k, "")) for k in params_keys]
        for k in measured_keys:
            cells.append(str(p.get("measured", {}).get(k, "")))
            if f"{k} bound" in headers:
                cells.append(str(p.get("bounds", {}).get(k, "")))
        cells.append("ok" if p.get("ok") else "**FAIL**")
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    status = "every point ok" if report.get("ok") else "**some points failed**"
    lines.append("")
    lines.append(f"*Claim `{report.get('claim', '?')}`, {len(points)} points, {status}; from `{args[0]}`.*")
    return "\n".join(lines) + "\n"


GENERATORS = {"automodules": gen_automodules, "bench": gen_bench, "paper-map": gen_paper_map,
              "check-table": gen_check_table, "where-it-lives": gen_where_it_lives}


def planned_pages() -> set[str]:
    """The pages the site plans (theorem, experiment and machine pages), whether written or not."""
    return {e.page for e in pmd.ENTRIES} | {page for page, _, _ in pmd.MACHINE_PAGES}


def soften_missing_links(text: str, docname: str, found: set[str]) -> str:
    """Turn links to planned pages that do not exist yet into plain text, so that they cannot break the build.

    ``[Theorem 4](theorem4.md)`` and ``{doc}`Theorem 4 <theorem4>``` become ``*Theorem 4* (page not written yet)``
    while ``docs/theorem4.md`` is missing; once it exists they are ordinary links again.  Links to any other
    missing page still fail the build.
    """
    missing = {p for p in planned_pages() if p not in found}
    if not missing:
        return text

    def target_missing(target: str) -> bool:
        name = docname_join(docname, target.split("#", 1)[0].removesuffix(".md").removeprefix("./"))
        return name in missing

    def md_link(m: re.Match[str]) -> str:
        return f"*{m.group(1)}* (page not written yet)" if target_missing(m.group(2)) else m.group(0)

    def doc_role(m: re.Match[str]) -> str:
        body = m.group(1)
        em = _EXPLICIT.match(body)
        title, target = (em.group(1), em.group(2)) if em else (body, body)
        return f"*{title}* (page not written yet)" if target_missing(target.strip()) else m.group(0)

    def soften(prose: str) -> str:
        prose = re.sub(r"(?<!!)\[([^\]\n]+)\]\(([\w./-]+(?:#[\w-]*)?)\)", md_link, prose)
        return re.sub(r"\{doc\}`([^`]+)`", doc_role, prose)

    return outside_code(text, soften)


_INLINE = re.compile(r"(?P<role>\{[\w:-]+\})?(?P<ticks>`+)(?P<body>.+?)(?<!`)(?P=ticks)(?!`)")


def outside_code(text: str, fn: Any) -> str:
    """Apply ``fn`` to the parts of Markdown ``text`` outside fenced code blocks and inline code spans.

    Roles (``{doc}`x```) count as prose, so that ``fn`` can rewrite them.

    Examples
    --------
    >>> outside_code("a `b` {r}`c` d", str.upper)
    'A `b` {R}`C` D'
    """
    literal = pmd.strip_code_blocks(text).split("\n")
    out = []
    for line, kept in zip(text.split("\n"), literal, strict=True):
        if line and not kept:  # inside a literal code block
            out.append(line)
            continue
        pieces, last = [], 0
        for m in _INLINE.finditer(line):
            if m.group("role"):
                continue  # a role stays in the prose that fn sees
            pieces.append(fn(line[last:m.start()]))
            pieces.append(m.group(0))
            last = m.end()
        pieces.append(fn(line[last:]))
        out.append("".join(pieces))
    return "\n".join(out)


_DEPENDS_ON_PAGES = ("{powergen-generate}", "{powergen-toctree}", "{page}", "(page not written yet)")


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    original = source[0]
    source[0] = soften_missing_links(original, docname, set(app.env.found_docs))
    text = source[0]
    env: Any = app.env
    if text != original or any(marker in text for marker in _DEPENDS_ON_PAGES):
        # What this page shows depends on which pages and files exist: re-read it on every build.
        env.powergen_dynamic_docs = getattr(env, "powergen_dynamic_docs", set()) | {docname}
    if "{powergen-generate}" not in text:
        return
    literal = pmd.strip_code_blocks(text).split("\n")

    def replace(m: re.Match[str]) -> str:
        if not literal[text.count("\n", 0, m.start())].strip():  # an example inside a literal block: leave it
            return m.group(0)
        args = m.group("args").split()
        if not args or args[0] not in GENERATORS:
            logger.warning("powergen-generate: unknown generator %r (known: %s)", " ".join(args),
                           ", ".join(GENERATORS), location=docname, type="powergen", subtype="generate")
            return ""
        try:
            return GENERATORS[args[0]](args[1:], docname)
        except Exception as exc:  # noqa: BLE001 -- every failure becomes one build warning
            logger.warning("powergen-generate %s: %s", " ".join(args), exc, location=docname, type="powergen",
                           subtype="generate")
            return ""

    source[0] = _GENERATE.sub(replace, text)


class UnexpandedGenerate(SphinxDirective):
    """Reached only when a ``powergen-generate`` block could not be expanded (e.g. inside an included file)."""

    has_content = True
    optional_arguments = 10

    def run(self) -> list[nodes.Node]:
        logger.warning("powergen-generate blocks only work at the top level of a page", location=self.get_location(),
                       type="powergen", subtype="generate")
        return []


def on_env_get_outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str],
                        removed: set[str]) -> list[str]:
    dynamic: set[str] = getattr(env, "powergen_dynamic_docs", set())
    return sorted(d for d in dynamic if d in env.found_docs and d not in added and d not in changed)


def on_env_purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    dynamic = getattr(env, "powergen_dynamic_docs", None)
    if dynamic is not None:
        dynamic.discard(docname)


def on_env_merge_info(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    env_any: Any = env
    env_any.powergen_dynamic_docs = getattr(env, "powergen_dynamic_docs", set()) | getattr(
        other, "powergen_dynamic_docs", set())


# --------------------------------------------------------------------------------------------- docstrings

_BARS = re.compile(r"(?<![\\\w|])\|([^|\s`][^|`]*?)\|(?![\w|])")
_CODE_SPAN = re.compile(r"(``.+?``|`[^`]+`)")


def escape_bars(line: str) -> str:
    """Escape ``|x|`` (a length, in the docstrings' maths) so that reST does not read it as a substitution.

    Code spans are left alone.

    Examples
    --------
    >>> escape_bars("length |x| + 1, and ``|y|`` stays")
    'length \\\\|x\\\\| + 1, and ``|y|`` stays'
    """
    parts = _CODE_SPAN.split(line)
    return "".join(p if i % 2 else _BARS.sub(lambda m: "\\|" + m.group(1) + "\\|", p) for i, p in enumerate(parts))


def on_process_docstring(app: Sphinx, what: str, name: str, obj: object, options: object,
                         lines: list[str]) -> None:
    """Escape ``|x|`` outside doctests, literal blocks and code spans (docstrings use it for lengths)."""
    literal_indent: int | None = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None:
            if stripped and indent <= literal_indent:
                literal_indent = None
            else:
                continue
        if stripped.startswith((">>>", "...")):
            continue
        lines[i] = escape_bars(line)
        if stripped.endswith("::"):
            literal_indent = indent


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.autodoc")  # the API pages need it, and it defines autodoc-process-docstring
    app.connect("autodoc-process-docstring", on_process_docstring)
    app.add_directive("powergen-toctree", ExistingTocTree)
    app.add_directive("powergen-generate", UnexpandedGenerate)
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("env-purge-doc", on_env_purge_doc)
    app.connect("env-merge-info", on_env_merge_info)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
