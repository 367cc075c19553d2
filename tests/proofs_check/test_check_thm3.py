"""``powergen check thm3``: points, companion depth, determinism."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from machines.predictor import Prediction
from pram.machine import PRAM
from pram.programs import get_program
from proofs_check.cli import main
from proofs_check.commands.check_thm3 import run_point
from reductions.aomdm_examples import BIT_VOCAB, CircuitPredictor, parity_tree, reverse_copy
from reductions.aomdm_to_masked_arm import LOOKUP_PASSES, MaskedARMPredictor, SequenceReader, simulate


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    rc = main(argv)
    return rc, json.loads(capsys.readouterr().out)



class _ExtraPass(MaskedARMPredictor):
    def _predict(self, reader: SequenceReader, rng: np.random.Generator) -> Prediction:
        reader.left_neighbour(reader.local(), fill=1)  # one attention pass too many
        return MaskedARMPredictor._predict(self, reader, rng)



def test_thm3_quick_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = _json(["check", "thm3", "--quick", "--json"], capsys)
    assert rc == 0 and doc["ok"] and doc["schema"] == "powergen.check/1" and doc["claim"] == "thm3"
    assert doc["lookup_passes_over_all_S"] == [3]
    for p in doc["points"]:
        m = p["measured"]
        assert m["marm_steps"] == m["ao_steps"] and m["marm_length"] <= 2 * p["params"]["S"] and m["same_canvas"] == 1
    assert any(p["params"]["case"].startswith("transformer") for p in doc["points"])
    comp = doc["companion"]["points"]
    assert comp and all(p["ok"] for p in comp)
    for p in comp:
        k, m = p["params"]["k"], p["params"]["masks"]
        assert -(-m // k) <= p["measured"]["steps"] <= -(-m // k) + p["params"]["depth"]



def test_thm3_companion_depth_is_independent_of_the_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The depth in Brent's bound is Circuit.depth (circuits) or the PRAM's step count + 1 (Theorem 1), not a
    step count of the k-per-step code under test."""
    rc, doc = _json(["check", "thm3", "--quick", "--json"], capsys)
    depths = {p["params"]["case"]: p["params"]["depth"] for p in doc["companion"]["points"]}
    assert depths["reverse-32"] == reverse_copy(32).depth == 1 and depths["parity-tree-32"] == parity_tree(32).depth
    for name in ("prefix-sums", "sum"):
        prog = get_program(name)
        inst = prog.random_instance(8, np.random.default_rng(0))
        assert depths[f"thm1 {name} n=8"] == PRAM(program=prog).run(inst).counters.time + 1



def test_thm3_point_fails_on_a_measured_extra_pass_and_on_no_measurement() -> None:
    c = parity_tree(8)
    f = CircuitPredictor(circuit=c, order="highest")
    honest = run_point("p", simulate(predictor=f, vocab=BIT_VOCAB, x0=c.start([1] * 8)))
    mutant = run_point("p", simulate(predictor=f, vocab=BIT_VOCAB, x0=c.start([1] * 8), wrapper=_ExtraPass))
    assert honest.ok and honest.measured["lookups"] == LOOKUP_PASSES
    assert not mutant.ok and mutant.measured["lookups"] == LOOKUP_PASSES + 1
    nothing = run_point("p", simulate(predictor=f, vocab=BIT_VOCAB, x0=c.start([1] * 8)[:8]))  # no mask: no call
    assert not nothing.ok and "lookups" not in nothing.measured and "no call" in nothing.note



def test_thm3_json_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "thm3", "--quick", "--json", "--seed", "4"])
    a = capsys.readouterr().out
    main(["check", "thm3", "--quick", "--json", "--seed", "4"])
    assert a == capsys.readouterr().out



def test_thm3_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "thm3", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "Masked-ARM" in out and "Companion" in out and "all points ok" in out

