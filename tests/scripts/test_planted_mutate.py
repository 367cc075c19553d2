"""scripts/mutate.py: its operators on a small source (fast), and one end-to-end run (slow, opt-in)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import mutate  # noqa: E402

SOURCE = '''"""Doc with < and == and 1 inside, never mutated."""


def f(a, b):
    # comment: a < b
    if a < b and b != 1:
        raise ValueError(
            "x < y")
    return a + 1 == 3 or True
'''


def test_operators_touch_code_only_and_each_mutant_compiles() -> None:
    muts = mutate.mutants_of("m.py", SOURCE)
    got = sorted((m.line, m.operator) for m in muts)
    assert got == sorted([(6, "< -> <="), (6, "and -> or"), (6, "!= -> =="), (6, "constant + 1"),
                          (7, "raise -> pass"), (9, "+ 1 -> + 0"), (9, "== -> !="), (9, "constant + 1"),
                          (9, "or -> and"), (9, "True -> False")])
    for m in muts:
        out = mutate.apply(SOURCE, m)
        compile(out, "m.py", "exec")
        assert out != SOURCE and out.splitlines()[0] == SOURCE.splitlines()[0]
    raise_mut = next(m for m in muts if m.operator == "raise -> pass")
    assert "raise" not in mutate.apply(SOURCE, raise_mut) and '"x < y")' not in mutate.apply(SOURCE, raise_mut)


def test_every_target_exists_and_has_tests() -> None:
    for module, tests in mutate.TARGETS.items():
        assert (REPO / module).is_file(), module
        assert tests and all((REPO / t).is_file() for t in tests), module


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("POWERGEN_MUTATE") != "1", reason="mutation run: set POWERGEN_MUTATE=1")
def test_end_to_end_on_two_mutants(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / "mutate.py"), "--module", "reductions/tasks/sudoku_grid.py",
                    "--sample", "2", "--seed", "3", "--out", str(out)], check=True, capture_output=True)
    rep = json.loads(out.read_text())
    assert rep["run"] == 2 and rep["killed"] + rep["survived"] + rep["errors"] == 2
