"""A small mutation-testing run: plant one bug at a time in a copy of the repository and see whether the tests fail.

Usage (a slow job; run it on one core, never in the default test run)::

    .venv/bin/python scripts/mutate.py --sample 80 --seed 0 --out mutants.json
    .venv/bin/python scripts/mutate.py --list            # every mutant, no test run
    .venv/bin/python scripts/mutate.py --module machines/discipline.py --sample 10

How it works:

1. the files tracked by git are copied once into a temporary directory; the tests run there with ``PYTHONPATH``
   set to the copy, so the working tree is never edited (a sanity run checks that the copy's modules are imported
   and that the unmutated tests pass);
2. every target module is tokenised (:mod:`tokenize`, so strings, docstrings and comments are never touched) and
   every place an operator applies becomes one mutant: comparison flips (``<`` to ``<=`` and back, ``>`` to ``>=``
   and back, ``==`` to ``!=`` and back), ``and``/``or`` swaps, ``+ 1``/``- 1`` to ``+ 0``/``- 0``, an integer
   constant off by one (``N`` to ``N + 1``), ``True``/``False`` swaps, and a ``raise`` statement replaced by
   ``pass``;
3. a seeded sample of the mutants is run, one at a time: the mutated file is written into the copy, the module's
   fast tests run (``-x``, ``-m 'not slow'``, hypothesis profile ``ci``: derandomised) under a per-mutant timeout,
   and the original file is put back;
4. a mutant is *killed* if the tests fail (or time out: a hang is caught, reported as ``timeout``), *survived* if
   they pass.  The JSON report gives the counts, the kill rate and every mutant with its status.

Surviving mutants are either gaps in the tests or *equivalent* mutants (the change does not change behaviour, e.g.
``<`` to ``<=`` where equality cannot occur); read each survivor before writing a test for it.  This is the
project's own tool (issue 13 §3), not a dependency; see docs/testing.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: target module -> the fast tests that cover it
TARGETS: dict[str, tuple[str, ...]] = {
    "pram/machine.py": ("tests/pram/test_pram_machine.py", "tests/pram/test_planted_pram.py"),
    "pram/access.py": ("tests/pram/test_pram_machine.py", "tests/pram/test_planted_pram.py"),
    "machines/transition.py": ("tests/machines/test_transition.py", "tests/machines/test_machines.py",
                               "tests/machines/test_machines_state.py"),
    "machines/discipline.py": ("tests/machines/test_machines.py", "tests/machines/test_planted_discipline.py",
                               "tests/machines/test_machines_state.py", "tests/machines/test_discipline_fast_paths.py"),
    "reductions/pram_to_apmdm.py": ("tests/pram/test_planted_pram.py", "tests/reductions/test_pram_to_apmdm.py"),
    "reductions/pram_common.py": ("tests/pram/test_planted_pram.py", "tests/reductions/test_pram_to_mdm.py",
                                  "tests/reductions/test_pram_to_apmdm.py"),
    "reductions/dyck_generator.py": ("tests/reductions/test_planted_dyck.py",
                                     "tests/reductions/test_dyck_generator.py"),
    "reductions/tasks/sudoku_grid.py": ("tests/reductions/test_planted_sudoku.py", "tests/reductions/test_sudoku.py"),
    "reductions/tasks/maxflow_graph.py": ("tests/reductions/test_planted_maxflow.py",
                                          "tests/reductions/test_maxflow.py"),
    "reductions/tasks/maxflow.py": ("tests/reductions/test_maxflow.py", "tests/reductions/test_planted_maxflow.py"),
}

SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "and": "or", "or": "and",
         "True": "False", "False": "True"}


@dataclass(frozen=True)
class Mutant:
    module: str
    line: int
    col: int
    end_line: int
    end_col: int
    operator: str
    original: str
    replacement: str

    @property
    def ident(self) -> str:
        return f"{self.module}:{self.line}:{self.col}:{self.operator}"


def mutants_of(module: str, source: str) -> list[Mutant]:
    """Every mutant of ``source`` (a module's text), in source order."""
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out: list[Mutant] = []
    start_of_logical = True
    for i, tok in enumerate(toks):
        kind, text, (l0, c0), (l1, c1) = tok.type, tok.string, tok.start, tok.end
        prev = toks[i - 1].string if i else ""
        if kind == tokenize.OP and text in SWAPS or kind == tokenize.NAME and text in SWAPS:
            out.append(Mutant(module, l0, c0, l1, c1, f"{text} -> {SWAPS[text]}", text, SWAPS[text]))
        elif kind == tokenize.NUMBER and text == "1" and prev in ("+", "-"):
            out.append(Mutant(module, l0, c0, l1, c1, f"{prev} 1 -> {prev} 0", text, "0"))
        elif kind == tokenize.NUMBER and text.isdigit() and prev not in ("+", "-"):
            out.append(Mutant(module, l0, c0, l1, c1, "constant + 1", text, str(int(text) + 1)))
        elif kind == tokenize.NAME and text == "raise" and start_of_logical:
            j = i
            while toks[j].type not in (tokenize.NEWLINE, tokenize.ENDMARKER):
                j += 1
            end = toks[j - 1].end
            out.append(Mutant(module, l0, c0, end[0], end[1], "raise -> pass", "raise ...", "pass"))
        start_of_logical = kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL,
                                    tokenize.COMMENT) or (kind == tokenize.OP and text == ":" and
                                                          _is_block_colon(toks, i))
    return out


def _is_block_colon(toks: list[tokenize.TokenInfo], i: int) -> bool:
    """A ``:`` followed on the same line by a statement (``if x: raise ...``)."""
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    return nxt is not None and nxt.type == tokenize.NAME and nxt.start[0] == toks[i].start[0]


def apply(source: str, m: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    offs = [0]
    for ln in lines:
        offs.append(offs[-1] + len(ln))
    a = offs[m.line - 1] + m.col
    b = offs[m.end_line - 1] + m.end_col
    return source[:a] + m.replacement + source[b:]


def copy_repo(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for name in files.decode().split("\0"):
        if not name:
            continue
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    # working-tree edits to tracked files are included (the copy is of the files as they are now)


def _cpu_limit(seconds: float) -> None:
    import resource

    limit = max(1, int(seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))


def run_tests(copy: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, float]:
    """Run ``tests`` in ``copy``: ``timeout`` is CPU seconds (robust on a shared, loaded machine), with a wall-clock
    backstop of ten times that."""
    env = {**os.environ, "PYTHONPATH": str(copy), "HYPOTHESIS_PROFILE": "ci", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CI", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-x", "-q", "-m",
           "not slow", "--benchmark-disable", *tests]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, timeout=10 * timeout, check=False,
                              preexec_fn=lambda: _cpu_limit(timeout))
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - t0
    if proc.returncode < 0:  # SIGXCPU / SIGKILL from the CPU limit
        return "timeout", time.monotonic() - t0
    status = "survived" if proc.returncode == 0 else "killed" if proc.returncode == 1 else f"error {proc.returncode}"
    return status, time.monotonic() - t0


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", action="append", help="target module (repeatable); default: every target")
    ap.add_argument("--sample", type=int, default=80, help="number of mutants to run (seeded sample); 0 = all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=90.0, help="CPU seconds per mutant")
    ap.add_argument("--out", type=Path, help="write the JSON report here (atomically) as well as to stdout")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args(argv)
    modules = args.module or sorted(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        print(f"mutate.py: error: unknown target {unknown[0]!r}; known: {', '.join(sorted(TARGETS))}", file=sys.stderr)
        return 2
    sources = {m: (REPO / m).read_text(encoding="utf-8") for m in modules}
    every = [mu for m in modules for mu in mutants_of(m, sources[m])]
    if args.list:
        for mu in every:
            print(f"{mu.ident}  {mu.original!r} -> {mu.replacement!r}")
        print(f"{len(every)} mutants", file=sys.stderr)
        return 0
    chosen = every if args.sample <= 0 or args.sample >= len(every) else random.Random(args.seed).sample(every,
                                                                                                     args.sample)
    chosen.sort(key=lambda mu: (mu.module, mu.line, mu.col))
    results = []
    with tempfile.TemporaryDirectory(prefix="powergen-mutate-") as tmp:
        copy = Path(tmp)
        copy_repo(copy)
        probe = subprocess.run([sys.executable, "-c", "import pram; print(pram.__file__)"], cwd=copy,
                               env={**os.environ, "PYTHONPATH": str(copy)}, capture_output=True, text=True, check=True)
        if not probe.stdout.strip().startswith(str(copy)):
            print(f"mutate.py: error: the copy's modules are not the ones imported ({probe.stdout.strip()})",
                  file=sys.stderr)
            return 2
        for m in sorted({mu.module for mu in chosen}):
            status, secs = run_tests(copy, TARGETS[m], args.timeout * 3)
            if status != "survived":
                print(f"mutate.py: error: the unmutated tests of {m} do not pass ({status})", file=sys.stderr)
                return 2
        for k, mu in enumerate(chosen, start=1):
            target = copy / mu.module
            target.write_text(apply(sources[mu.module], mu), encoding="utf-8")
            try:
                status, secs = run_tests(copy, TARGETS[mu.module], args.timeout)
            finally:
                target.write_text(sources[mu.module], encoding="utf-8")
            line = sources[mu.module].splitlines()[mu.line - 1].strip()
            results.append({**asdict(mu), "source_line": line, "status": status, "seconds": round(secs, 1)})
            print(f"[{k}/{len(chosen)}] {status:8s} {mu.ident}  {line[:90]}", file=sys.stderr, flush=True)
    killed = sum(r["status"] in ("killed", "timeout") for r in results)
    survived = [r for r in results if r["status"] == "survived"]
    report = {"schema": "powergen.mutate/1", "seed": args.seed, "modules": modules, "total_mutants": len(every),
              "run": len(results), "killed": killed,
              "timeout": sum(r["status"] == "timeout" for r in results),
              "survived": len(survived), "errors": sum(r["status"].startswith("error") for r in results),
              "kill_rate": round(killed / len(results), 4) if results else None, "mutants": results}
    text = json.dumps(report, indent=1) + "\n"
    if args.out:
        write_atomic(args.out, text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
