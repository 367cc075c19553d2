"""Fuzz every CLI input surface with malformed, oversized and hostile values (issue 13, section 5).

Each example calls :func:`proofs_check.cli.main` in-process with stdout and stderr captured and checks the CLI's
contract (README, ``proofs_check.cli``): no exception escapes ``main``, the exit code is 0, 1 or 2, and an exit 2
prints exactly one line of bounded length on stderr.  Runs are kept fast with small caps (``--max-seconds 3``,
small ``--max-steps``); flags of commands without a time cap are fuzzed with values that must be refused.
Every test has a pytest-timeout, so a hang fails the test instead of stalling CI.  Marked ``slow``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs_check.cli import main
from proofs_check.inputs import MESSAGE_WIDTH

pytestmark = pytest.mark.slow

#: examples per test (about 35 s for the whole file at 100); POWERGEN_FUZZ_EXAMPLES=1000 POWERGEN_FUZZ_RANDOM=1 for a
#: longer hunt with fresh examples
FUZZ = settings(max_examples=int(os.environ.get("POWERGEN_FUZZ_EXAMPLES", "100")), deadline=None,
                derandomize=os.environ.get("POWERGEN_FUZZ_RANDOM") != "1",
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FAST = ["--max-seconds", "3"]


def run(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` with captured output; asserts the CLI contract and returns (code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)  # an escaping exception fails the test with its traceback
    stderr = err.getvalue()
    assert code in (0, 1, 2), (argv[:6], code)
    assert "Traceback" not in stderr
    if code == 2:
        assert stderr.count("\n") == 1 and stderr.endswith("\n"), (argv[:6], stderr[:500])
        assert len(stderr) <= MESSAGE_WIDTH + 100, (argv[:6], len(stderr))
    return code, out.getvalue(), stderr


# -- values ------------------------------------------------------------------------------------------------------
HOSTILE_INTS = [" 5", "5 ", "\u0663", "5_0", "+7", "0x10", "1e9", "-1", "0", "", "-", "nan", "10**12", "\x00",
                "1000000000000", "99999999999999999999999999999999999999", "9" * 5000, "--json", "3.0", "２"]
any_int_text = st.one_of(st.sampled_from(HOSTILE_INTS), st.integers(-10**13, 10**13).map(str),
                         st.integers(0, 3000).map(str), st.text(max_size=12))
# values a command without a time cap must refuse (malformed, negative, zero or beyond its hard ceiling)
refused_int_text = st.one_of(st.sampled_from([t for t in HOSTILE_INTS if t not in ("0",)]),
                             st.integers(10**7, 10**30).map(str), st.integers(-10**9, -1).map(str),
                             st.text(alphabet="+_ \u0663x.e", min_size=1, max_size=6))

TIMED_FLAGS = [
    (["machines", "demo", *FAST], "--n"), (["machines", "demo", *FAST], "--max-steps"),
    (["machines", "demo", *FAST], "--max-length"), (["machines", "demo", *FAST], "--seed"),
    (["pram", "run", "sum", *FAST], "--n"), (["pram", "run", "connectivity", *FAST], "--n"),
    (["pram", "run", "iterate", *FAST], "--n"), (["pram", "run", "sat", *FAST], "--n"),
    (["pram", "run", "sort", *FAST, "--n", "64"], "--max-steps"),
    (["pram", "run", "connectivity", *FAST, "--n", "64"], "--max-size"),
    (["reduce", "thm1", "--program", "sum", *FAST], "--n"), (["reduce", "thm4", "--program", "iterate", *FAST], "--n"),
    (["reduce", "thm4", "--program", "sort", *FAST, "--n", "16"], "--max-length"),
    (["reduce", "thm1", "--program", "sum", *FAST, "--n", "8"], "--word-bits"),
    (["sudoku", "generate", *FAST], "--count"), (["sudoku", "generate", *FAST], "--givens"),
    (["sudoku", "generate", *FAST], "--max-backtracks"),
    (["sudoku", "table", *FAST, "--max-steps", "2000", "--famous"], "--max-seconds"),
    (["sudoku", "solve", *FAST, "." * 81], "--max-steps"),
    (["maxflow", "table", *FAST, "--sizes", "4-5"], "--count"), (["maxflow", "run"], "--nodes"),
    (["dyck", "sample", *FAST], "--length"), (["dyck", "sample", *FAST], "--k"), (["dyck", "check", "abBA"], "--k"),
]
UNTIMED_FLAGS = [
    (["eval", "parity", "--oracle"], "--lengths"), (["eval", "parity", "--oracle"], "--count"),
    (["seeds", "parity"], "--seeds"), (["seeds", "parity"], "--lengths"), (["seeds", "parity"], "--count"),
    (["seeds", "parity"], "--steps"), (["train", "parity", "--out", "/nonexistent/x"], "--steps"),
    (["check", "thm5", "--quick"], "--k2-length"), (["check", "thm5", "--quick"], "--k3-length"),
]
MALFORMED_ONLY = [(["check", "thm1", "--quick"], "--max-n"), (["check", "thm2", "--quick"], "--k"),
                  (["check", "thm2", "--quick"], "--max-s"), (["tour"], "--seed")]
malformed_int_text = st.one_of(st.sampled_from([" 5", "\u0663", "5_0", "+7", "0x10", "1e9", "", "-", "nan", "\x00",
                                                "9" * 5000, "3.0", "\uff12"]),
                               st.text(alphabet="+_ \u0663x.e", min_size=1, max_size=6))


@pytest.mark.timeout(300)
@FUZZ
@given(case=st.sampled_from(TIMED_FLAGS), value=any_int_text)
def test_numeric_flags_with_a_time_cap(case: tuple[list[str], str], value: str) -> None:
    base, flag = case
    run([*base, flag, value])


@pytest.mark.timeout(120)
@FUZZ
@given(case=st.sampled_from(UNTIMED_FLAGS), value=refused_int_text)
def test_numeric_flags_without_a_time_cap_refuse_bad_values(case: tuple[list[str], str], value: str) -> None:
    base, flag = case
    code, _, _ = run([*base, flag, value])
    assert code == 2


@pytest.mark.timeout(120)
@FUZZ
@given(case=st.sampled_from(MALFORMED_ONLY), value=malformed_int_text)
def test_malformed_integers_are_refused_everywhere(case: tuple[list[str], str], value: str) -> None:
    base, flag = case
    code, _, _ = run([*base, flag, value])
    assert code == 2


# -- program inputs ----------------------------------------------------------------------------------------------
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=6), inner, max_size=5)),
    max_leaves=20)
KEYS = ["values", "bits", "next", "k", "word", "n", "edges", "num_vars", "clauses", "x0", "a", "c", "m", "steps"]
instances = st.one_of(json_values, st.dictionaries(st.sampled_from(KEYS), json_values, max_size=4))
HOSTILE_DOCS = ["[" * 100_000, "{\"values\":" * 30_000, "[1, NaN]", "{\"values\": [1e999]}", "\ud800",
                "{\"values\": [" + "1," * 200_000 + "1]}", "{\"n\": 4, \"edges\": [[" + "0," * 300_000 + "0]]}",
                "{\"values\": [" + "9" * 5000 + "]}", "", "\"" + "x" * 100_000 + "\"",
                "{\"x0\": 1, \"a\": 1, \"c\": 1, \"m\": 7, \"steps\": 100000000}"]
PROGRAMS = ["sum", "prefix-sums", "parity", "list-ranking", "sort", "dyck", "connectivity", "sat", "iterate"]


@pytest.mark.timeout(300)
@FUZZ
@given(doc=st.one_of(instances.map(json.dumps), st.sampled_from(HOSTILE_DOCS)),
       program=st.sampled_from(PROGRAMS), where=st.sampled_from(["pram", "thm1", "thm4"]))
def test_program_input_files(tmp_path: Path, doc: str, program: str, where: str) -> None:
    path = tmp_path / "inst.json"
    path.write_bytes(doc.encode("utf-8", "surrogatepass"))
    if where == "pram":
        run(["pram", "run", program, "--input", str(path), *FAST])
    else:
        run(["reduce", where, "--program", program, "--input", str(path), *FAST])


# -- puzzles and Dyck words ----------------------------------------------------------------------------------------
PUZZLE = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"


@st.composite
def puzzles(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.text(alphabet="0123456789.x -\n\u0663", max_size=100))
    cells = list(PUZZLE)
    for _ in range(draw(st.integers(1, 6))):
        cells[draw(st.integers(0, 80))] = draw(st.sampled_from("0123456789.?"))
    if kind == 2:
        cells = cells[: draw(st.integers(0, 81))] + list(draw(st.text(max_size=4)))
    return "".join(cells)


@pytest.mark.timeout(300)
@FUZZ
@given(puzzle=puzzles(), trace=st.booleans())
def test_puzzles(tmp_path: Path, puzzle: str, trace: bool) -> None:
    here = Path(tempfile.mkdtemp(dir=tmp_path))  # one directory per example (tmp_path is shared by examples)
    extra = ["--trace", str(here / "new" / "t.jsonl"), "--max-trace-steps", "500"] if trace else []
    code, _, _ = run(["sudoku", "solve", *FAST, "--max-steps", "20000", *extra, "--", puzzle])
    if code == 2 and trace:
        assert not (here / "new").exists()


words = st.one_of(st.text(alphabet="abcABCzZ", max_size=60),
                  st.lists(st.integers(-30, 30), max_size=40).map(lambda w: " ".join(map(str, w))),
                  st.text(max_size=30), st.sampled_from(["ab" * 30_000 + "BA" * 30_000, "a" * 200_000, "1,-1,,2",
                                                         "--", "-1 1", "\u0663 -\u0663", "+1 -1", "1_0 -10"]))


@pytest.mark.timeout(300)
@FUZZ
@given(word=words, k=st.sampled_from(["1", "2", "26", "27", "0", "-3", " 2", "x"]), json_out=st.booleans())
def test_dyck_words(word: str, k: str, json_out: bool) -> None:
    run(["dyck", "check", "--k", k, *(["--json"] if json_out else []), "--", word])


# -- traces --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trace_text(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = {}
    for paradigm in ("arm", "mdm", "ap-mdm"):
        path = tmp_path_factory.mktemp("tr") / f"{paradigm}.jsonl"
        assert run(["machines", "demo", "--paradigm", paradigm, "--n", "4", "--trace", str(path)])[0] == 0
        out[paradigm] = path.read_text()
    return out


@st.composite
def mutated_traces(draw: st.DrawFn, texts: dict[str, str]) -> str:
    lines = texts[draw(st.sampled_from(sorted(texts)))].splitlines()
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, len(lines) - 1))
        op = draw(st.integers(0, 5))
        if op == 0:
            lines[k] = json.dumps(draw(json_values))
        elif op == 1:
            try:
                obj = json.loads(lines[k])
            except ValueError:  # a line an earlier mutation broke
                obj = {}
            if isinstance(obj, dict) and obj:
                key = draw(st.sampled_from(sorted(obj) + ["extra"]))
                obj[key] = draw(st.one_of(json_values, st.sampled_from(["done", "eos", "fixed-point", "[EOS]"])))
                lines[k] = json.dumps(obj)
        elif op == 2:
            del lines[k]
            if not lines:
                lines = [""]
        elif op == 3:
            lines.insert(k, lines[k])
        elif op == 4:
            lines[k] = lines[k][: draw(st.integers(0, len(lines[k])))]
        else:
            lines[k] = draw(st.sampled_from(["[" * 50_000, "\ud800", "{\"halt\": \"done\"}", "x" * 100_000]))
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(300)
@FUZZ
@given(data=st.data(), command=st.sampled_from(["replay", "show"]))
def test_traces(tmp_path: Path, trace_text: dict[str, str], data: st.DataObject, command: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(data.draw(mutated_traces(trace_text)).encode("utf-8", "surrogatepass"))
    run(["trace", command, str(path)])


# -- checkpoints ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ck") / "run"
    assert run(["train", "parity", "--out", str(d), "--steps", "2", "--json"])[0] == 0
    return d


@pytest.mark.timeout(300)
@FUZZ
@given(data=st.data(), target=st.sampled_from(["current", "manifest.json", "arrays.npz"]))
def test_checkpoints(tmp_path: Path, checkpoint: Path, data: st.DataObject, target: str) -> None:
    """A checkpoint unit (``current`` pointer, ``VERSION/manifest.json``, ``VERSION/arrays.npz``) with one file
    truncated, a byte changed, a manifest value replaced or the whole file hostile: ``eval`` never tracebacks."""
    d = tmp_path / "ck"
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(checkpoint, d)
    version = (d / "current").read_text(encoding="utf-8").strip()
    path = d / target if target == "current" else d / version / target
    raw = path.read_bytes()
    op = data.draw(st.integers(0, 3))
    if op == 0:
        new = raw[: data.draw(st.integers(0, len(raw)))]
    elif op == 1:
        k = data.draw(st.integers(0, max(0, len(raw) - 1)))
        new = raw[:k] + bytes([data.draw(st.integers(0, 255))]) + raw[k + 1:]
    elif op == 2 and target == "manifest.json":
        meta = json.loads(raw)
        key = data.draw(st.sampled_from(sorted(meta)))
        meta[key] = data.draw(json_values)
        new = json.dumps(meta).encode()
    else:
        new = data.draw(st.sampled_from([b"[" * 100_000, b"\xff\xfe", b"", b"{}", b"null"]))
    target = path.relative_to(d).as_posix()
    (d / target).write_bytes(new)
    run(["eval", "parity", "--checkpoint", str(d), "--lengths", "4", "--count", "1", "--json"])
