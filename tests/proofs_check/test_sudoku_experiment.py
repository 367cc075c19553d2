"""The Sudoku experiment's infrastructure: store, decoders against oracles, batched rollout,
illegal steps, shipped weights, CLI errors and a tiny training run (proofs_check/experiments/sudoku*.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from machines.neural.config import ModelConfig
from machines.predictor import Prediction
from proofs_check.cli import main
from proofs_check.cli_common import training_progress
from proofs_check.experiments import sudoku as sx
from proofs_check.experiments import sudoku_baselines as sb
from proofs_check.experiments import sudoku_run as sr
from proofs_check.experiments.decoders import (
    NeuralBatchPredictor,
    aomdm_margin_decode,
    arm_greedy_decode,
    oracle_batch,
)
from proofs_check.experiments.store import StoreError, build_store, open_store
from reductions.tasks.sudoku import solve
from reductions.tasks.sudoku_grid import MASK, SUDOKU_VOCAB, parse_puzzle
from reductions.tasks.sudoku_policy import sudoku_predictor

TEST = sx.read_puzzles(sx.TEST_FILE)
# short oracle runs (a few hundred steps) keep the tests cheap
EASY = sorted(TEST[:60], key=lambda p: solve(p).steps)[:6]
PUZZLE = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"  # AI Escargot


def test_store_of_two_puzzles_is_verified_and_hashed(tmp_path: Path) -> None:
    src = sx.SudokuSource(EASY[:2])
    a = build_store(src, seed=0, count=2, root=tmp_path / "a")
    b = build_store(src, seed=0, count=2, root=tmp_path / "b", shard_size=1)
    assert a.content_sha256 == b.content_sha256
    trajs = [solve(p) for p in EASY[:2]]
    assert len(a) == sum(t.steps for t in trajs) and a.n_trajectories == 2
    a.verify()  # g(x_k, y*, ctrl*) == x_(k+1) for every stored transition
    k = trajs[0].steps - 1  # the last transition of the first puzzle ends in its solved grid
    assert np.array_equal(a.transition(k).x_next, trajs[0].states[-1])
    other = build_store(sx.SudokuSource(EASY[2:4]), seed=0, count=2, root=tmp_path / "a")
    assert other.content_sha256 != a.content_sha256  # the store is named after the puzzle list
    xs = a.directory / "x.npy"
    raw = bytearray(xs.read_bytes())
    raw[-1] ^= 1
    xs.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="sha256"):
        open_store(a.directory)


def test_oracle_scores_100_percent_through_the_apmdm_rollout() -> None:
    res = sx.evaluate_apmdm(oracle_batch(sudoku_predictor), EASY, cap_multiple=1.0)
    assert res["exact"] == len(EASY) and res["matched_oracle"] == len(EASY) and res["stuck_at_cap"] == 0
    assert res["steps_vs_oracle_exact"] == {"mean": 1.0, "max": 1.0}
    tf = sx.step_accuracy(oracle_batch(sudoku_predictor), EASY[:2])
    assert tf["accuracy"] == 100.0 and tf["n"] == sum(solve(p).steps for p in EASY[:2])


def test_oracle_scores_100_percent_through_aomdm_and_arm_decoders() -> None:
    sols = {p: solve(p).solution for p in EASY}

    def aomdm_logits(xs: list[np.ndarray]) -> list[np.ndarray]:  # sure of every cell: the solution
        out = []
        for x in xs:
            p = next(q for q in EASY if all(int(x[k]) in (MASK, int(sols[q][k])) for k in range(81)))
            out.append(np.eye(SUDOKU_VOCAB.size)[sols[p]] * 5.0)
        return out

    x0s = [np.where(parse_puzzle(p) == 0, MASK, parse_puzzle(p)).astype(np.int64) for p in EASY]
    rolls = aomdm_margin_decode(aomdm_logits, x0s, vocab=SUDOKU_VOCAB, k=1)
    assert [sx.judge_grid(p, r.final, sols[p]) for p, r in zip(EASY, rolls, strict=True)] == ["exact"] * len(EASY)
    seqs = {p: sb.arm_sequence(p)[0] for p in EASY}

    def arm_logits(xs: list[np.ndarray]) -> list[np.ndarray]:  # the next token of the oracle's ordered sequence
        out = []
        for x in xs:
            p = next(q for q in EASY if np.array_equal(seqs[q][:len(x)], x))
            lg = np.zeros((len(x), sb.ARM_VOCAB.size))
            lg[-1, seqs[p][len(x)]] = 5.0
            out.append(lg)
        return out

    rolls = arm_greedy_decode(arm_logits, [parse_puzzle(p).astype(np.int64) for p in EASY], vocab=sb.ARM_VOCAB,
                              max_new=163, stop_ids=[sb.END])
    assert [sb.judge_written(p, r.final[81:], sols[p]) for p, r in zip(EASY, rolls, strict=True)] == \
        ["exact"] * len(EASY)
    assert sb.judge_written(EASY[0], [sb.END], sols[EASY[0]]) == "invalid"  # nothing written: blanks remain
    assert sb.judge_written(EASY[0], [sb.CELL0, 5], sols[EASY[0]]) == "malformed"  # no [END]


def random_model(seed: int) -> NeuralBatchPredictor:
    from machines.neural.model import Transformer

    cfg = ModelConfig(vocab_size=SUDOKU_VOCAB.size, mask_id=MASK, d_model=8, n_heads=2, pool=4, peer_grid=3)
    params = Transformer(cfg).init(np.random.default_rng(seed), np.float64)
    rng = np.random.default_rng(seed + 1)
    params["head.ctrl.w"] = rng.normal(0, 1.0, params["head.ctrl.w"].shape)  # remasks at random positions
    params["head.ctrl.b"][:] = np.tile([0.0, -50.0, -50.0], 4)  # remask on, insert/delete off
    params["head.tok.w"] = rng.normal(0, 1.0, params["head.tok.w"].shape)
    return NeuralBatchPredictor(config=cfg, params=params, dtype=np.float64)


def test_batched_rollout_equals_one_instance_rollouts() -> None:
    pred = random_model(3)
    puzzles = EASY[:4]
    batched = sx.evaluate_apmdm(pred, puzzles, cap_multiple=0.05)
    single = [sx.evaluate_apmdm(pred, [p], cap_multiple=0.05)["per_puzzle"][0] for p in puzzles]
    assert batched["per_puzzle"] == single
    assert any(s[1] > 0 for s in single)  # the random model does take steps


def test_chunked_rollout_gives_the_same_results_and_prefixes_see_the_same_batches() -> None:
    pred = random_model(3)
    puzzles = EASY[:5]
    whole = sx.evaluate_apmdm(pred, puzzles, cap_multiple=0.05)
    chunked = sx.evaluate_apmdm(pred, puzzles, cap_multiple=0.05, chunk=2)
    for key in ("per_puzzle", "outcomes", "first_deviation", "matched_oracle"):
        assert chunked[key] == whole[key], key
    # the first chunk is the same batch whether or not more puzzles follow
    sizes: list[int] = []
    sx.evaluate_apmdm(pred, puzzles, cap_multiple=0.05, chunk=2, on_step=lambda t, n: sizes.append(n))
    prefix: list[int] = []
    sx.evaluate_apmdm(pred, puzzles[:2], cap_multiple=0.05, chunk=2, on_step=lambda t, n: prefix.append(n))
    assert sizes[:len(prefix)] == prefix
    with pytest.raises(sx.SudokuDataError, match="chunk"):
        sx.evaluate_apmdm(pred, puzzles, chunk=0)


def test_an_illegal_step_is_caught() -> None:
    def bad(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        p = sudoku_predictor(x)
        if (x == MASK).any():  # at the unmask step write a token outside the vocabulary
            y = np.where(x == MASK, 99, p.y)
            return Prediction(y=y, remask=p.remask, insert=p.insert, delete=p.delete)
        return p

    res = sx.evaluate_apmdm(oracle_batch(bad), EASY[:2])
    assert res["outcomes"] == {"illegal": 2} and res["exact"] == 0
    assert set(res["first_deviation"]) <= {"assign", "branch", "contradiction"}


def test_stuck_at_cap_is_reported() -> None:
    def loop(x: np.ndarray, rng: np.random.Generator) -> Prediction:  # remask a cell, unmask it, forever
        z = np.zeros(x.shape[0], np.int64)
        if (x == MASK).any():
            return Prediction(y=np.where(x == MASK, 5, x), remask=z, insert=z, delete=z)
        r = z.copy()
        r[np.flatnonzero(parse_puzzle(EASY[0]) == 0)[0] * 4] = 1
        return Prediction(y=x, remask=r, insert=z, delete=z)

    res = sx.evaluate_apmdm(oracle_batch(loop), EASY[:1], cap_multiple=1.0)
    assert res["outcomes"] == {"stuck-at-cap": 1} and res["per_puzzle"][0][1] == solve(EASY[0]).steps


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sr, "SHIPPED_DIR", tmp_path / "nothing")
    for args, needle in ((["eval", "sudoku", "--checkpoint", "shipped"], "no shipped Sudoku weights"),
                         (["sudoku", "solve", PUZZLE, "--model", "shipped"], "no shipped Sudoku weights"),
                         (["sudoku", "solve", PUZZLE, "--model", str(tmp_path / "none")], "no such model"),
                         (["eval", "sudoku", "--checkpoint", "shipped", "--lengths", "5"], "--lengths"),
                         (["experiment", "sudoku", "--models", "bogus"], "--models"),
                         (["experiment", "maxflow", "--models", "ap-mdm-peer"], "for maxflow"),
                         (["experiment", "sudoku", "--cap-multiple", "0"], "--cap-multiple"),
                         (["experiment", "sudoku", "--train-file", str(tmp_path / "no.txt")], "cannot read")):
        code, out, err = run_cli(args, capsys)
        assert code == 2, args
        assert needle in err and err.count("\n") == 1 and "Traceback" not in err, (args, err)


def test_tiny_training_run_and_shipped_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = sx.model_config("ap-mdm-peer", d_model=16, n_heads=2, n_layers=1)
    res = sr.run_model("ap-mdm-peer", run_dir=tmp_path / "exp" / "ap-mdm-peer", train_puzzles=EASY[:2],
                       test_puzzles=EASY[2:4], model=cfg, train=sx.train_config(steps=4, batch_size=4, log_every=1),
                       tf_count=1, tf_stride=20, probe_count=1, eval_every=2,
                       on_log=training_progress(3600.0, 4))
    progress = capsys.readouterr().err.splitlines()  # one line per update, led by the model kind
    assert [ln.split("]")[0].split()[0] for ln in progress] == ["[ap-mdm-peer"] * 4 and "update 4/4 " in progress[-1]
    assert res["steps_done"] == 4 and len(res["history"]) == 4
    assert all("kind" not in h for h in res["history"])  # the kind is added to the line, not to the log
    assert all(np.isfinite(h["loss"]) for h in res["history"])
    assert res["eval"]["n"] == 2 and "teacher_forced" in res["eval"] and len(res["probes"]) >= 2
    assert json.loads((tmp_path / "exp" / "ap-mdm-peer" / "result.json").read_text())["steps_done"] == 4
    ship = tmp_path / "ship"
    sr.export_shipped(tmp_path / "exp" / "ap-mdm-peer", "ap-mdm-peer", command="test", directory=ship)
    (m,) = sr.load_model("shipped", directory=ship)
    assert m.kind == "ap-mdm-peer" and m.config == cfg and m.updates == 4
    monkeypatch.setattr(sr, "SHIPPED_DIR", ship)
    code, out, err = run_cli(["sudoku", "solve", EASY[2], "--model", "shipped", "--json"], capsys)
    doc = json.loads(out)
    assert code == (0 if doc["outcome"] == "exact" else 1) and doc["model"] == "ap-mdm-peer"
    assert doc["source"] == str(ship / "ap-mdm-peer.npz")  # outside the repository: the path as given
    assert doc["oracle_steps"] == solve(EASY[2]).steps and isinstance(doc["matched_oracle"], bool)
    code, out, _ = run_cli(["eval", "sudoku", "--checkpoint", "shipped", "--count", "2", "--json"], capsys)
    assert code == 0 and json.loads(out)["models"]["ap-mdm-peer"]["n"] == 2
    # inside the repository (here: a clone whose root is tmp_path) the source is relative to it, the same in every
    # clone, in both JSON documents
    from proofs_check.experiments import ship as shipping

    monkeypatch.setattr(shipping, "REPO_ROOT", tmp_path)
    code, out, _ = run_cli(["sudoku", "solve", EASY[2], "--model", "shipped", "--json"], capsys)
    assert json.loads(out)["source"] == "ship/ap-mdm-peer.npz"
    code, out, _ = run_cli(["eval", "sudoku", "--checkpoint", "shipped", "--count", "1", "--json"], capsys)
    assert json.loads(out)["models"]["ap-mdm-peer"]["source"] == "ship/ap-mdm-peer.npz"
    raw = bytearray((ship / "ap-mdm-peer.npz").read_bytes())
    raw[len(raw) // 2] ^= 1
    (ship / "ap-mdm-peer.npz").write_bytes(bytes(raw))
    with pytest.raises(sr.SudokuModelError, match="sha256"):
        sr.load_model("shipped", directory=ship)
