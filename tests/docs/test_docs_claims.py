"""The docs claim exactly what the code checks (issue 14 point 8).

For Theorems 4 and 6 the statement is pinned against the claim the code actually holds: the Theorem 4 claim's
context bound is read from the registered claim (its variables include P), and the Theorem 6 claim's checked
statement says that hardness is not checked; the pages, the index and the tour title must say the same.  The other
statements (parity, Sudoku, max-flow, Theorem 3) are pinned against the wording the pages must carry.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from reductions.registry import get_entry, module_name

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def _read(rel: str) -> str:
    return (REPO / rel).read_text(encoding="utf-8")


def _flat(text: str) -> str:
    """``text`` with line breaks and runs of spaces collapsed (wording may wrap anywhere)."""
    return " ".join(text.split())


def _claim(claim_id: str, entry_id: str):  # noqa: ANN202 -- a proofs_check.claims.Claim
    """The registered claim, imported through the module the registry names for it."""
    from proofs_check.claims import get_claim

    for path in get_entry(entry_id).claim_modules:
        importlib.import_module(module_name(path))
    return get_claim(claim_id)


def _first_paragraph(rel: str) -> str:
    text = _read(rel)
    body = text.split("\n", 1)[1].strip()  # after the '# Title' line
    return _flat(body.split("\n\n", 1)[0])


# --------------------------------------------------------------------------------------------- Theorem 4

_UNQUALIFIED_O_S = re.compile(r"context (?:of )?\$?O\(S(?:\(n\))?\)\$?(?! when)|\$?O\(S\)\$? context")


def test_thm4_the_code_checks_a_context_of_S_plus_P() -> None:
    claim = _claim("thm4", "thm4")
    context = [b for b in claim.bounds if b.name == "context"]
    assert context, "the Theorem 4 claim holds no bound on the context"
    variables = {v for b in context for v in b.variables}
    assert {"S", "P"} <= variables and "T" not in variables, variables


@pytest.mark.parametrize("rel", ["docs/index.md", "docs/theorem4.md", "proofs_check/tour_steps/t40_thm4.py"])
def test_thm4_docs_say_O_of_S_plus_P(rel: str) -> None:
    text = _flat(_read(rel))
    assert "O(S + P)" in text, f"{rel} must state the context that is checked, O(S + P)"
    bad = _UNQUALIFIED_O_S.findall(text) if rel != "proofs_check/tour_steps/t40_thm4.py" else []
    assert not bad, f"{rel} states the context as O(S) without a qualification: {bad}"


def test_thm4_tour_title_says_O_of_S_plus_P() -> None:
    from proofs_check.tour_steps import t40_thm4

    assert "context O(S + P)" in t40_thm4.TITLE and "context O(S))" not in t40_thm4.TITLE


def test_thm4_pages_say_when_it_is_O_of_S() -> None:
    for rel in ("docs/index.md", "docs/theorem4.md"):
        assert re.search(r"O\(S\)\$? when \$?P \\?(≤|le) S", _flat(_read(rel))), f"{rel}: say when O(S + P) is O(S)"


def test_the_unqualified_pattern_catches_the_old_wording() -> None:
    assert _UNQUALIFIED_O_S.search("simulates PRAM with O(S) context and O(T) steps")
    assert _UNQUALIFIED_O_S.search("(O(T) steps, context O(S))")
    assert not _UNQUALIFIED_O_S.search("context O(S + P), which is O(S) when P ≤ S")


# --------------------------------------------------------------------------------------------- Theorem 6


def test_thm6_the_code_does_not_check_hardness() -> None:
    checked = _flat(_claim("thm6", "thm6").statement_checked)
    assert "Not checked: hardness" in checked, checked


@pytest.mark.parametrize("rel", ["docs/index.md", "docs/theorem6.md"])
def test_thm6_docs_say_hardness_is_stated_not_demonstrated(rel: str) -> None:
    text = _flat(_read(rel))
    assert "stated, not demonstrated" in text, f"{rel} must say the hardness is stated, not demonstrated"


def test_index_does_not_list_thm6_hardness_as_established() -> None:
    text = _flat(_read("docs/index.md"))
    assert "is hard for ARM to simulate" not in text


# --------------------------------------------------------------------------------------------- parity


@pytest.mark.parametrize("rel", ["README.md", "docs/index.md", "docs/experiment_parity.md"])
def test_parity_exactness_names_the_pairwise_schedule(rel: str) -> None:
    text = _flat(_read(rel))
    assert "10,000 bits" in text
    for needed in ("attention inside pairs", "4-step pairwise schedule" if rel != "docs/experiment_parity.md"
                   else "pairwise schedule of 4 steps", "left-to-right process", "0 of 50"):
        assert needed in text, f"{rel}: the parity claim must mention {needed!r}"


# --------------------------------------------------------------------------------------------- Sudoku, max-flow


def test_maxflow_page_opens_with_the_shipped_models_number() -> None:
    """The max-flow page's first paragraph says the paper's result is not reproduced and quotes every shipped
    model's own count, "N of M" (read from its manifest, written by the run's evaluation, not by the page)."""
    import json

    first = _first_paragraph("docs/experiment_maxflow.md")
    assert "not reproduced" in first
    folders = sorted(p for p in (REPO / "proofs_check/experiments/shipped/maxflow").iterdir() if p.is_dir())
    assert {p.name for p in folders} >= {"ap-mdm", "arm", "arm-answer"}
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        per_size = manifest["results"]["per_size"]
        correct = sum(e["correct"] for e in per_size.values())
        total = sum(e["n"] for e in per_size.values())
        assert f"{correct} of {total}" in first, f"the page must quote {folder.name}'s {correct} of {total}"


def test_sudoku_page_opens_with_the_shipped_models_numbers() -> None:
    """The Sudoku page's first paragraph says the paper's result is not reproduced and quotes the shipped AP-MDM's and
    AO-MDM's own counts (read from the manifest the evaluation wrote, not from the page)."""
    import json

    first = _first_paragraph("docs/experiment_sudoku.md")
    man = json.loads((REPO / "proofs_check/experiments/shipped/sudoku/manifest.json").read_text())["models"]
    assert "not reproduced" in first
    peer = man["ap-mdm-peer"]["eval"]
    assert f"solves **{peer['exact']} of {peer['n']}**" in first
    assert f"{man['ap-mdm-peer']['cpu_train_seconds'] / 60:.1f} CPU-minutes" in first
    ao = man["ao-mdm"]["eval"]
    assert f"AO-MDM baseline on the same 100 puzzles also solves {ao['exact']} of {ao['n']}" in first
    arm = man["arm"]["eval"]
    assert f"ordered-ARM baseline ({arm['exact']} of {arm['n']})" in first


# --------------------------------------------------------------------------------------------- Theorem 3


def test_thm3_says_the_vocabulary_grows_with_S() -> None:
    text = _flat(_read("docs/theorem3.md"))
    assert 'This departs from "same token budget"' in text
    assert "grows with the context $S$" in text


def test_thm3_vocabulary_does_grow_with_S() -> None:
    """The statement above is what the code does: the Masked-ARM vocabulary size grows with the canvas length."""
    from reductions.aomdm_examples import BIT_VOCAB
    from reductions.aomdm_to_masked_arm import masked_arm_vocabulary

    sizes = [masked_arm_vocabulary(BIT_VOCAB, s).size for s in (4, 8, 16)]
    assert sizes[0] < sizes[1] < sizes[2]


def test_the_shipped_readme_names_every_shipped_model() -> None:
    """proofs_check/experiments/shipped/README.md says which models are shipped: every folder of a max-flow model
    and every entry of the Sudoku manifest is named there, and it does not say that none is shipped."""
    import json

    text = _flat(_read("proofs_check/experiments/shipped/README.md"))
    shipped = REPO / "proofs_check" / "experiments" / "shipped"
    maxflow = sorted(p.name for p in (shipped / "maxflow").iterdir() if (p / "manifest.json").is_file())
    sudoku = sorted(json.loads((shipped / "sudoku" / "manifest.json").read_text(encoding="utf-8"))["models"])
    missing = [f"maxflow/{n}" for n in maxflow if f"`maxflow/{n}`" not in text]
    missing += [f"sudoku/{n}" for n in sudoku if f"`sudoku/{n}.npz`" not in text]
    assert not missing, missing
    if maxflow:
        assert "No model of `maxflow` is shipped" not in text


def test_every_recorded_maxflow_training_command_names_its_models() -> None:
    """`powergen experiment maxflow` trains all three models when --models is absent (it trained AP-MDM alone
    before): a command the page (or a committed run's README) gives for a run it reports must say which models it
    trains, or rerunning it would train others."""
    pages = ["docs/experiment_maxflow.md", *(p.relative_to(REPO).as_posix() for p in
                                              sorted((REPO / "proofs_check/experiments/progress").glob("*/README.md")))]
    text = "\n".join(_read(p) for p in pages).replace("\\\n", " ")
    text = text.replace(".venv/bin/python -m proofs_check", "powergen").replace("python -m proofs_check", "powergen")
    commands = [ln.strip().removeprefix("nohup taskset -c 1 ") for ln in text.splitlines()]
    commands = [c for c in commands if c.startswith("powergen experiment maxflow")]
    training = [c for c in commands if "[" not in c and "--ship" not in c and "--plot" not in c]
    assert training, "the page shows no training command"
    assert [c for c in training if "--models" not in c] == []
