"""Regenerate every benchmark table on the documentation pages from one pytest-benchmark run (issue 17).

A page marks a generated table with two HTML comments (invisible in the rendered page)::

    <!-- bench:begin GROUP -->
    ... everything here is replaced ...
    <!-- bench:end -->

``GROUP`` is a pytest-benchmark group name, given literally in a test's marker
(``@pytest.mark.benchmark(group="GROUP")``).  The table lists every benchmark of the group (the test's parameter id,
or ``benchmark.extra_info["label"]`` when a test sets one), fastest first, with its min, median, rounds and ratio to
the fastest (by min), then one line saying when, on which commit and by which command it was generated.  A new
benchmark needs nothing here: a test with a group and a marker on a page.

Usage (from the repository root)::

    .venv/bin/python scripts/bench_pages.py              # run every benchmark once, rewrite every marked table
    .venv/bin/python scripts/bench_pages.py -k verify    # only the benchmarks pytest's -k selects; other blocks stay
    .venv/bin/python scripts/bench_pages.py --from-json results.json   # no run: tables from a saved --benchmark-json
    .venv/bin/python scripts/bench_pages.py --check      # no run: fail if a marker names a group no test defines

Pages are rewritten atomically (a temporary file renamed over the page), and only when a block changed.  The run
uses ``-p no:xdist`` (benchmarks are meaningless on a crowded CPU) and keeps each test's own timer: the groups that
time whole commands use ``time.process_time`` (CPU seconds), the rest pytest-benchmark's default wall-clock timer.
Exit status: 0 ok, 1 ``--check`` found a problem or the benchmark run failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ".venv/bin/python scripts/bench_pages.py"
#: The markers, each alone on its line (a marker quoted inside a sentence or in backticks is text, not a marker).
BEGIN = re.compile(r"^<!-- bench:begin (?P<group>.+?) -->[ \t]*$", re.M)
END = "<!-- bench:end -->"
_END = re.compile(r"^<!-- bench:end -->[ \t]*$", re.M)
#: ``group="..."`` in a benchmark marker, or ``benchmark.group = "..."`` in a test body.
_GROUP_DECL = re.compile(r"""(?:mark\.benchmark\([^)]*?group\s*=|benchmark\.group\s*=)\s*(?P<q>["'])(?P<g>.+?)(?P=q)""",
                         re.S)


#: A benchmark test: the decorator at the start of a line (not the words in a docstring or a test of this script).
_MARKED = re.compile(r"^@pytest\.mark\.benchmark\b", re.M)


class PageError(ValueError):
    """A page's markers are malformed (a begin without an end, nested or stray markers)."""


@dataclass(frozen=True)
class Block:
    """One marked block: the group it shows and the character span of its body (between the two markers)."""

    group: str
    start: int
    stop: int
    line: int


def pages(root: Path = ROOT) -> list[Path]:
    """The pages that may carry generated tables: ``docs/benchmarks.md`` and ``docs/bench/*.md``."""
    return [p for p in [root / "docs" / "benchmarks.md", *sorted((root / "docs" / "bench").glob("*.md"))]
            if p.is_file()]


def blocks(text: str, name: str = "page") -> list[Block]:
    """The marked blocks of one page, in order; malformed markers raise :class:`PageError` naming the line.

    Examples
    --------
    >>> t = "a `<!-- bench:begin quoted -->`\\n<!-- bench:begin g one -->\\nold\\n<!-- bench:end -->\\nb\\n"
    >>> [(b.group, t[b.start:b.stop]) for b in blocks(t)]
    [('g one', '\\nold\\n')]
    """
    out: list[Block] = []
    pos = 0
    while True:
        m = BEGIN.search(text, pos)
        e = _END.search(text, pos)
        end = e.start() if e is not None else -1
        if m is None:
            if end >= 0:
                raise PageError(f"{name}:{text.count(chr(10), 0, end) + 1}: '{END}' without a begin marker")
            return out
        line = text.count("\n", 0, m.start()) + 1
        if 0 <= end < m.start():
            raise PageError(f"{name}:{text.count(chr(10), 0, end) + 1}: '{END}' without a begin marker")
        if end < 0:
            raise PageError(f"{name}:{line}: bench block {m['group']!r} has no '{END}'")
        if BEGIN.search(text, m.end(), end) is not None:
            raise PageError(f"{name}:{line}: bench block {m['group']!r} is not closed before the next begin marker")
        out.append(Block(group=m["group"].strip(), start=m.end(), stop=end, line=line))
        pos = end + len(END)


def declared_groups(root: Path = ROOT) -> set[str]:
    """Every benchmark group a test under ``tests/`` declares literally (the names a marker may use)."""
    found: set[str] = set()
    for path in (root / "tests").rglob("test_*.py"):
        src = path.read_text(encoding="utf-8")
        if "benchmark" in src:
            found.update(m["g"] for m in _GROUP_DECL.finditer(src))
    return found


def bench_files(root: Path = ROOT) -> list[str]:
    """The test files that hold a benchmark (``pytest.mark.benchmark``), relative to ``root``."""
    return sorted(p.relative_to(root).as_posix() for p in (root / "tests").rglob("test_*.py")
                  if _MARKED.search(p.read_text(encoding="utf-8")))


def check(root: Path = ROOT) -> list[str]:
    """Problems of the pages: malformed markers, and markers naming a group that no test declares."""
    known = declared_groups(root)
    problems = []
    for page in pages(root):
        rel = page.relative_to(root).as_posix()
        try:
            found = blocks(page.read_text(encoding="utf-8"), rel)
        except PageError as exc:
            problems.append(str(exc))
            continue
        problems += [f"{rel}:{b.line}: bench block names group {b.group!r}, which no benchmark under tests/ declares"
                     for b in found if b.group not in known]
    return problems


# ------------------------------------------------------------------------------------------------ the tables

def _seconds(v: float) -> str:
    """A duration with a unit that keeps three or four significant digits.

    Examples
    --------
    >>> _seconds(0.0000117), _seconds(0.00333), _seconds(4.61), _seconds(123.4)
    ('11.7 µs', '3.33 ms', '4.61 s', '123 s')
    """
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if v >= scale or unit == "ns":
            x = v / scale
            return f"{x:.3g} {unit}" if x < 100 else f"{x:.0f} {unit}"
    raise AssertionError("unreachable")


def _label(bench: dict[str, Any]) -> str:
    info = bench.get("extra_info") or {}
    if "label" in info:
        return str(info["label"])
    param = bench.get("param")
    return str(param) if param not in (None, "") else str(bench["name"])


def _timer(bench: dict[str, Any]) -> str:
    timer = str((bench.get("options") or {}).get("timer", ""))
    return "CPU time" if "process_time" in timer else "wall-clock time"


def render(group: str, benches: Sequence[dict[str, Any]], meta: dict[str, str]) -> str:
    """The markdown table of one group (fastest first) and its provenance line.

    Examples
    --------
    >>> b = [{"name": "t[a]", "param": "a", "stats": {"min": 0.002, "median": 0.003, "rounds": 5}},
    ...      {"name": "t[b]", "param": "b", "stats": {"min": 0.001, "median": 0.001, "rounds": 9}}]
    >>> print(render("g", b, {"date": "D", "commit": "C", "machine": "M"}))
    <BLANKLINE>
    <BLANKLINE>
    | benchmark | min | median | rounds | ratio to the fastest (min) |
    |---|---|---|---|---|
    | b | 1 ms | 1 ms | 9 | 1× |
    | a | 2 ms | 3 ms | 5 | 2× |
    <BLANKLINE>
    Generated D on commit C (M) by `.venv/bin/python scripts/bench_pages.py`; group `g`, wall-clock time.
    <BLANKLINE>
    <BLANKLINE>
    """
    rows = sorted(benches, key=lambda b: (b["stats"]["min"], b["name"]))
    fastest = rows[0]["stats"]["min"] or 1e-300
    lines = ["", "", "| benchmark | min | median | rounds | ratio to the fastest (min) |", "|---|---|---|---|---|"]
    for b in rows:
        st = b["stats"]
        ratio = st["min"] / fastest
        lines.append(f"| {_label(b)} | {_seconds(st['min'])} | {_seconds(st['median'])} | {st['rounds']} | "
                     f"{ratio:.3g}× |".replace("e+0", "e"))
    timers = ", ".join(sorted({_timer(b) for b in rows}))
    lines += ["", f"Generated {meta['date']} on commit {meta['commit']} ({meta['machine']}) by `{COMMAND}`; group "
              f"`{group}`, {timers}.", "", ""]
    return "\n".join(lines)


def by_group(results: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The benchmarks of a ``--benchmark-json`` document, by group (benchmarks without a group are left out)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for b in results.get("benchmarks", []):
        if b.get("group"):
            out.setdefault(str(b["group"]), []).append(b)
    return out


def merge(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several ``--benchmark-json`` documents as one: a benchmark (by full name) of a later run replaces the same one
    of an earlier run and keeps its own run's date, commit and machine (``"_run"``, read by :func:`rewrite`).

    Examples
    --------
    >>> a = {"datetime": "1", "benchmarks": [{"fullname": "x", "v": 1}, {"fullname": "y", "v": 1}]}
    >>> m = merge([a, {"datetime": "2", "benchmarks": [{"fullname": "y", "v": 2}]}])
    >>> m["datetime"], [(b["fullname"], b["v"]) for b in m["benchmarks"]]
    ('2', [('x', 1), ('y', 2)])
    """
    out: dict[str, Any] = {}
    benches: dict[str, dict[str, Any]] = {}
    for run in runs:
        out.update({k: v for k, v in run.items() if k != "benchmarks"})
        meta = meta_of(run)
        benches.update({str(b.get("fullname", b.get("name"))): {**b, "_run": meta} for b in run.get("benchmarks", [])})
    out["benchmarks"] = list(benches.values())
    return out


def meta_of(results: dict[str, Any]) -> dict[str, str]:
    """Date, commit and machine of a run, for the provenance line."""
    info = results.get("machine_info") or {}
    commit = (results.get("commit_info") or {}).get("id") or "unknown"
    dirty = " + uncommitted changes" if (results.get("commit_info") or {}).get("dirty") else ""
    date = str(results.get("datetime", ""))[:10] or datetime.date.today().isoformat()
    cpu = (info.get("cpu") or {}).get("count")
    machine = f"{info.get('node', 'unknown host')}, {cpu} CPUs" if cpu else str(info.get("node", "unknown host"))
    if "load_average" in info:
        first, last = info["load_average"]
        machine += f", load average {first} before the run and {last} after"
    return {"date": date, "commit": str(commit)[:7] + dirty, "machine": machine}


def rewrite(text: str, groups: dict[str, list[dict[str, Any]]], meta: dict[str, str], name: str = "page") -> str:
    """``text`` with every block whose group was measured replaced by a fresh table (other blocks unchanged)."""
    out, pos = [], 0
    for b in blocks(text, name):
        if b.group in groups:
            runs = {json.dumps(x.get("_run", meta), sort_keys=True) for x in groups[b.group]}
            here = json.loads(runs.pop()) if len(runs) == 1 else {
                "date": "(several runs)", "commit": meta["commit"], "machine": meta["machine"].split(", load")[0]}
            out += [text[pos:b.start], render(b.group, groups[b.group], here)]
            pos = b.stop
    out.append(text[pos:])
    return "".join(out)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_pages(results: dict[str, Any], root: Path = ROOT) -> list[str]:
    """Rewrite the marked blocks of every page from ``results``; returns the pages that changed."""
    groups, meta = by_group(results), meta_of(results)
    changed = []
    for page in pages(root):
        text = page.read_text(encoding="utf-8")
        new = rewrite(text, groups, meta, page.relative_to(root).as_posix())
        if new != text:
            _atomic_write(page, new)
            changed.append(page.relative_to(root).as_posix())
    return changed


def run_benchmarks(json_path: Path, keyword: str | None, files: Iterable[str], root: Path = ROOT) -> int:
    """One pytest-benchmark run over ``files`` (``-m benchmark``, one process), results to ``json_path``; the
    1-minute load averages before and after the run go into the JSON's ``machine_info`` (a loaded machine says
    so on every table)."""
    before = os.getloadavg()[0]
    cmd = [sys.executable, "-m", "pytest", *files, "-m", "benchmark", "-p", "no:xdist", "-p", "no:cacheprovider",
           "-q", f"--benchmark-json={json_path}", "--benchmark-group-by=group"]
    if keyword:
        cmd += ["-k", keyword]
    status = subprocess.call(cmd, cwd=root)
    if json_path.is_file():
        doc = json.loads(json_path.read_text(encoding="utf-8"))
        doc.setdefault("machine_info", {})["load_average"] = [round(before, 1), round(os.getloadavg()[0], 1)]
        json_path.write_text(json.dumps(doc), encoding="utf-8")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--check", action="store_true", help="fail if a page's marker names a group no test declares")
    ap.add_argument("-k", dest="keyword", default=None, help="pytest -k expression: run only these benchmarks")
    ap.add_argument("--from-json", type=Path, nargs="+", default=None, metavar="FILE",
                    help="tables from these --benchmark-json files, no run (a benchmark in a later file replaces the "
                         "same benchmark in an earlier one: a full run, then a rerun of one benchmark)")
    ap.add_argument("--save-json", type=Path, default=None, help="keep the run's --benchmark-json here")
    args = ap.parse_args(argv)
    problems = check()
    if args.check or problems:
        for p in problems:
            print(p, file=sys.stderr)
        if not problems:
            print(f"{len(pages())} pages, {sum(len(blocks(p.read_text(encoding='utf-8'))) for p in pages())} "
                  "bench blocks, every group declared by a test")
        return 1 if problems else 0
    if args.from_json is not None:
        results = merge([json.loads(p.read_text(encoding="utf-8")) for p in args.from_json])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.json"
            status = run_benchmarks(path, args.keyword, bench_files())
            if path.is_file() and args.save_json is not None:  # kept even when a benchmark failed
                _atomic_write(args.save_json, path.read_text(encoding="utf-8"))
            if status != 0 or not path.is_file():
                kept = f"; the run's results are in {args.save_json}" if args.save_json and path.is_file() else ""
                print(f"bench_pages: the benchmark run failed (pytest exit {status}); no page changed{kept}",
                      file=sys.stderr)
                return 1
            results = json.loads(path.read_text(encoding="utf-8"))
    changed = update_pages(results)
    measured = sorted(by_group(results))
    print(f"{len(measured)} groups measured; pages rewritten: {', '.join(changed) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
