"""Sphinx roles that tie the docs to the code, and fail the build when the code is not there.

Roles (MyST syntax; see docs/README_docs.md):

``{code-link}`reductions/pram_to_mdm.py```
    A repository path (file or directory, relative to the repository root).  With ``::name`` (or
    ``::Class.method``) the named top-level function, class, assignment or method must be defined in the file.  An
    explicit title is written ``{code-link}`the construction <reductions/pram_to_mdm.py>```.  A Python module of one
    of the packages links to its API page; other files render as code.  A missing path or object is a build
    warning, so ``sphinx-build -W`` fails.
``{cli}`powergen check thm4 --json```
    A ``powergen`` command line.  The build parses it with the real argument parser (it never runs it): an unknown
    sub-command or a bad option is a build warning.
``{page}`theorem4``` / ``{page}`Theorem 4 <theorem4>```
    A link to a docs page *if it exists*; otherwise the title in italics with "(page not written yet)".  Use it
    between pages that are written at different times, so that a missing page never breaks the build.
``{prov}`I``` / ``{prov}`V:moonlight```
    A provenance badge (the tags of docs/paper_notes.md plus ``P`` for powergen's own additions); unknown tags warn.

Directives:

``{reconstruction}`` and ``{paper-says}``
    Admonitions that mark a block as the project's reconstruction, or as what the paper (its sources) states.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from paper_map_data import PROVENANCE
from powergen_paths import check_code_target, module_name
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.util import docname_join, logging
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.nodes import split_explicit_title

logger = logging.getLogger(__name__)

PROVENANCE_TAGS = PROVENANCE  # the legend lives in paper_map_data, next to the paper map


def repo_root(config: Any) -> Path:
    """The repository root: ``powergen_repo_root`` in conf.py, by default the directory above ``docs/``."""
    return Path(config.powergen_repo_root)


class CodeLinkRole(SphinxRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        has_title, title, target = split_explicit_title(self.text)
        root = repo_root(self.config)
        path, obj, problems = check_code_target(root, target)
        for problem in problems:
            logger.warning("code-link: %s", problem, location=self.get_location(), type="powergen",
                           subtype="code-link")
        shown = title if has_title else (f"{path}::{obj}" if obj else path)
        literal = nodes.literal(shown, shown, classes=["xref", "code-link"])
        mod = module_name(path) if not problems else None
        if mod is None:
            return [literal], []
        reftarget, reftype = (f"{mod}.{obj}", "obj") if obj else (mod, "mod")
        xref = pending_xref("", literal, refdomain="py", reftype=reftype, reftarget=reftarget, refexplicit=True,
                            refwarn=False, refdoc=self.env.docname)
        xref["py:module"] = None
        xref["py:class"] = None
        return [xref], []


# --------------------------------------------------------------------------------------------- cli


def check_cli(command: str) -> list[str]:
    """Parse ``command`` with powergen's real parser (never running it); return the problems found."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return [f"cannot split {command!r}: {exc}"]
    if not argv or argv[0] != "powergen":
        return [f"{command!r} does not start with 'powergen'"]
    try:
        from proofs_check.cli import build_parser
        from proofs_check.errors import UsageError
    except Exception as exc:  # noqa: BLE001 -- report any import failure as one warning
        return [f"cannot import the powergen CLI: {exc!r}"]
    import contextlib
    import io

    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            build_parser().parse_args(argv[1:])
    except UsageError as exc:
        return [f"{command!r} is not a valid powergen command: {exc}"]
    except SystemExit as exc:  # --help / --version
        if exc.code not in (0, None):
            return [f"{command!r} exits with {exc.code} while parsing"]
    except Exception as exc:  # noqa: BLE001
        return [f"parsing {command!r} raised {exc!r}"]
    return []


class CliRole(SphinxRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        command = " ".join(self.text.split())
        for problem in check_cli(command):
            logger.warning("cli: %s", problem, location=self.get_location(), type="powergen", subtype="cli")
        return [nodes.literal(command, command, classes=["powergen-cli"])], []


# --------------------------------------------------------------------------------------------- page


class PageRole(SphinxRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        has_title, title, target = split_explicit_title(self.text)
        target = target.strip().removesuffix(".md")
        docname = docname_join(self.env.docname, target)
        if docname in self.env.found_docs:
            inner = nodes.inline(title, title, classes=["xref", "std", "std-doc"])
            xref = pending_xref("", inner, refdomain="std", reftype="doc", reftarget="/" + docname,
                                refexplicit=has_title, refwarn=True, refdoc=self.env.docname)
            return [xref], []
        text = title if has_title else target
        return [nodes.emphasis(text, text), nodes.inline(" (page not written yet)", " (page not written yet)",
                                                          classes=["powergen-missing-page"])], []


# --------------------------------------------------------------------------------------------- prov


class ProvRole(SphinxRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        tag = self.text.strip()
        letter = tag.split(":", 1)[0].strip()
        meaning = PROVENANCE_TAGS.get(letter)
        if meaning is None:
            logger.warning("prov: unknown provenance tag %r (known: %s)", tag, ", ".join(PROVENANCE_TAGS),
                           location=self.get_location(), type="powergen", subtype="prov")
            meaning = "unknown tag"
        cls = "q" if letter == "?" else letter
        node = nodes.abbreviation(f"[{tag}]", f"[{tag}]", explanation=meaning,
                                  classes=["powergen-prov", f"powergen-prov-{cls}"])
        return [node], []


# --------------------------------------------------------------------------------------------- admonitions


class _Marked(SphinxDirective):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = {"class": directives.class_option}
    default_title = ""
    css = ""

    def run(self) -> list[nodes.Node]:
        title = self.arguments[0] if self.arguments else self.default_title
        node = nodes.admonition("", classes=["admonition", self.css, *self.options.get("class", [])])
        textnodes, messages = self.state.inline_text(title, self.lineno)
        node += nodes.title(title, "", *textnodes)
        node += messages
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class Reconstruction(_Marked):
    default_title = "The project's reconstruction [I]"
    css = "powergen-reconstruction"


class PaperSays(_Marked):
    default_title = "What the paper states"
    css = "powergen-paper"


def setup(app: Sphinx) -> dict[str, Any]:
    root = str(Path(app.confdir).resolve().parent)
    app.add_config_value("powergen_repo_root", root, "env")
    if root not in sys.path:
        sys.path.insert(0, root)
    app.add_role("code-link", CodeLinkRole())
    app.add_role("cli", CliRole())
    app.add_role("page", PageRole())
    app.add_role("prov", ProvRole())
    app.add_directive("reconstruction", Reconstruction)
    app.add_directive("paper-says", PaperSays)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
