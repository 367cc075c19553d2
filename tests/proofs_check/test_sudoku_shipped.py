"""The shipped Sudoku models (issue 16), evaluated the way a user would: `powergen eval sudoku --checkpoint shipped`
on the first 20 held-out puzzles, every AP-MDM step through the exact machine.  The per-puzzle outcomes and step
counts must equal those the run's own final evaluation recorded in the manifest when the weights were shipped
(`powergen experiment sudoku --ship`), so the shipped files, the loader, the batched rollout and the
judge are checked together against a record made before the weights were shipped.
"""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main
from proofs_check.experiments import sudoku as sx
from proofs_check.experiments import sudoku_run as sr

N_CI = 20


def _manifest() -> dict:
    return sr.shipped_manifest()


def test_an_apmdm_model_is_shipped_with_its_own_evaluation_record() -> None:
    man = _manifest()
    apmdm = [k for k, e in man["models"].items() if sr.entry_kind(k, e) in sr.APMDM]
    assert apmdm, "issue 16: an AP-MDM Sudoku model must be shipped"
    for kind in apmdm:
        entry = man["models"][kind]
        assert entry["eval"]["n"] >= N_CI and len(entry["eval"]["per_puzzle"]) == entry["eval"]["n"]
        assert entry["command"].startswith("powergen experiment sudoku")


def test_shipped_models_on_20_held_out_puzzles_reproduce_their_recorded_outcomes(
        capsys: pytest.CaptureFixture[str]) -> None:
    man = _manifest()
    test = sx.read_puzzles(sx.TEST_FILE)
    code = main(["eval", "sudoku", "--checkpoint", "shipped", "--count", str(N_CI), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and sorted(out["models"]) == sorted(man["models"])
    for kind, entry in man["models"].items():
        rec = entry["eval"]
        settings = rec["settings"]
        # the record was made on a prefix of the shipped test file, with the evaluation's cap
        assert sx.puzzles_digest(test[:settings["n_test"]]) == settings["test"], kind
        assert out["cap_multiple"] == settings["cap_multiple"], kind
        got = out["models"][kind]
        assert got["kind"] == sr.entry_kind(kind, entry), kind  # ao-mdm-train10000 is decoded as an AO-MDM
        assert got["n"] == N_CI and got["per_puzzle"] == rec["per_puzzle"][:N_CI], kind
