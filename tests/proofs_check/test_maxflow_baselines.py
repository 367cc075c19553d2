"""Graph editing, issue 15: the answer-only ARM, the length-generalisation split, probes on validation graphs
only (and without changing the training batches), the matched parameter budget, and the plots."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest

from machines.neural.model import Transformer
from proofs_check.cli import main
from proofs_check.experiments import maxflow as mf
from proofs_check.experiments.decoders import arm_greedy_decode
from proofs_check.experiments.maxflow_answer import answer_model_config, answer_sequence, judge_answer
from proofs_check.experiments.maxflow_arm import arm_model_config
from proofs_check.experiments.trainer import load_run
from reductions.tasks.maxflow import EOS, FLOW_VOCAB, encode_instance

TINY = ["experiment", "maxflow", "--models", "ap-mdm",
        "--train-graphs", "6", "--steps", "2", "--batch-size", "2", "--test-per-size", "1",
        "--eval-every", "1", "--probe-per-size", "1", "--model", "d_model=16", "n_heads=2", "n_layers=1",
        "rotary=standard"]


def _max_flow(inst) -> int:
    g = nx.DiGraph()
    g.add_nodes_from(inst.nodes)
    g.add_edges_from(inst.edges, capacity=1)
    return int(nx.maximum_flow_value(g, inst.s, inst.t))


# -- answer-only ARM -------------------------------------------------------------------------------------------------
def test_the_oracle_answer_is_a_minimum_cut_by_networkx_and_passes_the_judge():
    for n in (4, 7, 10):
        for inst in mf.held_out(n, 6, seed=3):
            seq, plen = answer_sequence(inst)
            written = seq[plen:]
            assert written[-1] == EOS and (len(written) - 1) // 2 == _max_flow(inst)
            assert judge_answer(inst, written) == ""


def test_the_answer_judge_rejects_wrong_answers_for_the_right_reason():
    inst = next(i for i in mf.held_out(6, 20, seed=1) if _max_flow(i) >= 2)
    seq, plen = answer_sequence(inst)
    ans = list(seq[plen:])
    assert judge_answer(inst, ans[2:]) == "certificate"  # one cut edge dropped: s still reaches t
    assert judge_answer(inst, ans[:-1]) == "no-end"
    assert judge_answer(inst, [*ans[:2], *ans]) == "repeated-edge"
    assert judge_answer(inst, [ans[0], *ans[2:]]) == "malformed"  # an odd number of node ids
    absent = next((u, v) for u in inst.nodes for v in inst.nodes if u != v and (u, v) not in set(inst.edges))
    assert judge_answer(inst, [FLOW_VOCAB.id_of(str(absent[0])), FLOW_VOCAB.id_of(str(absent[1])), *ans[2:]]) \
        == "not-an-edge"


def test_a_perfect_answer_model_scores_100_percent_through_the_greedy_decoder():
    insts = [i for n in (4, 8) for i in mf.held_out(n, 3, seed=5)]
    targets = [answer_sequence(i) for i in insts]
    prompts = [s[:p] for s, p in targets]

    def oracle_logits(xs):  # put all mass on the next token of the matching target
        out = []
        for x in xs:
            seq = next(s for s, p in targets if len(x) <= len(s) and np.array_equal(s[:len(x)], x))
            lg = np.zeros((len(x), FLOW_VOCAB.size))
            lg[-1, seq[len(x)] if len(x) < len(seq) else EOS] = 10.0
            out.append(lg)
        return out

    rolls = arm_greedy_decode(oracle_logits, prompts, vocab=FLOW_VOCAB, max_new=64, stop_ids=[EOS])
    assert [judge_answer(i, r.final[len(p):]) for i, p, r in zip(insts, prompts, rolls, strict=True)] == [""] * 6


def test_the_baselines_have_the_ap_mdm_blocks_and_width():
    ap = mf.model_config()
    for cfg in (answer_model_config(), arm_model_config()):
        assert cfg.causal and (cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.rotary) == (
            ap.d_model, ap.n_heads, ap.n_layers, ap.rotary)
    # the answer-only ARM shares the vocabulary, hence the exact parameter count; the edit-log ARM differs only by
    # its larger vocabulary (embedding and output rows)
    assert Transformer(answer_model_config()).param_count() == Transformer(ap).param_count()
    extra = Transformer(arm_model_config()).param_count() - Transformer(ap).param_count()
    assert extra == (arm_model_config().vocab_size - ap.vocab_size) * (2 * ap.d_model + 1)


def test_a_tiny_answer_only_arm_runs_through_the_cli(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main([*TINY, "--models", "arm-answer", "--run-dir", run, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["models"]["arm-answer"]
    assert res["model_kind"] == "arm-answer" and res["model"]["causal"] is True and res["steps_done"] == 2
    assert res["paper"]["4"] == "N/A" and sum(e["n"] for e in res["eval"]["per_size"].values()) == 7
    assert (tmp_path / "run-arm-answer" / "result.json").is_file()


# -- length generalisation and the probes --------------------------------------------------------------------------
def test_train_on_small_graphs_and_test_on_large_ones(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main([*TINY, "--train-sizes", "4-5", "--test-sizes", "8-10", "--run-dir", run, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["models"]["ap-mdm"]
    assert res["train_sizes"] == [4, 5] and res["test_sizes"] == [8, 9, 10]
    assert sorted(res["eval"]["per_size"], key=int) == ["8", "9", "10"]
    assert res["store"]["name"] == "maxflow-official-n4-5" and "--train-sizes 4,5" in res["command"]
    # the training graphs themselves have 4 or 5 nodes (counted on the graphs, not read off a name)
    src = mf.MaxflowSource((4, 5))
    assert {len(src.instance(j, 0).nodes) for j in range(6)} == {4, 5}
    # the probes covered the training and the test sizes
    assert sorted(res["probes"][0]["probe_per_size"], key=int) == ["4", "5", "8", "9", "10"]


def test_probes_roll_out_validation_graphs_only_and_the_final_table_test_graphs(tmp_path, monkeypatch):
    seen: list[tuple[str, int]] = []
    real = mf.held_out

    def spy(size, count, seed, *, stream="test"):
        seen.append((stream, count))
        return real(size, count, seed, stream=stream)

    monkeypatch.setattr(mf, "held_out", spy)
    mf.run_apmdm(run_dir=str(tmp_path / "run"), seed=0, budget_cpu_seconds=None, train_graphs=7, test_per_size=2,
                 probe_per_size=1, eval_every=1, store_root=str(tmp_path / "stores"),
                 model=mf.model_config(d_model=16, n_heads=2, n_layers=1), train=mf.train_config(steps=2, batch_size=2))
    assert {s for s, c in seen if c == 1} == {"validation"} and {s for s, c in seen if c == 2} == {"test"}
    val = {mf.graph_key(g) for n in (8, 9, 10) for g in mf.validation(n, 20, 0)}
    test = {mf.graph_key(g) for n in (8, 9, 10) for g in mf.held_out(n, 20, 0)}
    assert val and test and not val & test


def test_probing_does_not_change_the_training_batches(tmp_path):
    kw = {"seed": 0, "budget_cpu_seconds": None, "train_graphs": 7, "test_per_size": 1, "probe_per_size": 1,
          "store_root": str(tmp_path / "stores"), "model": mf.model_config(d_model=16, n_heads=2, n_layers=1),
          "train": mf.train_config(steps=4, batch_size=2)}
    mf.run_apmdm(run_dir=str(tmp_path / "probed"), eval_every=1, **kw)
    mf.run_apmdm(run_dir=str(tmp_path / "quiet"), eval_every=1000, **kw)
    a, b = load_run(tmp_path / "probed"), load_run(tmp_path / "quiet")
    assert len(a.evals or []) == 4 and len(b.evals or []) == 1
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


def test_bad_sizes_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["experiment", "maxflow", "--train-sizes", "2-5", "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "within 4..10" in err[0]


# -- plots -----------------------------------------------------------------------------------------------------------
def test_plots_are_drawn_from_a_run_directory(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    run = tmp_path / "run"
    run.mkdir()
    lines = ["session start: step 0", json.dumps({"step": 50, "loss": 2.0, "cpu": 1.0}),
             "eval " + json.dumps({"step": 50, "probe_accuracy": 0.0, "probe_per_size": {"4": 0.0, "5": 10.0},
                                   "step_accuracy": {"4": 5.0, "5": 7.0}}),
             json.dumps({"step": 100, "loss": 1.0, "cpu": 2.0})]
    (run / "train.log").write_text("\n".join(lines) + "\n")
    out = tmp_path / "img"
    assert main(["experiment", "maxflow", "--run-dir", str(run), "--plot", str(out)]) == 0
    for name in ("maxflow_learning.png", "maxflow_accuracy.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main(["experiment", "maxflow", "--run-dir", str(tmp_path / "none"), "--plot", str(out)]) == 2
    assert "nothing to plot" in capsys.readouterr().err


def test_the_edit_log_arm_output_is_cut_at_its_own_cap_before_it_is_judged():
    from proofs_check.experiments.maxflow_arm import ARM_VOCAB, END, arm_sequence, evaluate_causal

    cfg = arm_model_config(d_model=16, n_heads=2, n_layers=1)
    params = Transformer(cfg).init(np.random.default_rng(3))
    seen: list[tuple[int, int]] = []

    def judge(inst, written, final):
        seq, n = arm_sequence(inst)
        seen.append((len(written), len(seq) - n))
        return "no-end" if END not in list(written) else "other"

    res = evaluate_causal(cfg, params, sizes=(4, 5), count=3, seed=0, max_new=40, stream="test", vocab=ARM_VOCAB,
                          stop_id=END, judge=judge, caps=lambda inst: (len(arm_sequence(inst)[0])
                                                                       - arm_sequence(inst)[1]) // 20)
    assert res["n"] == 6 and len(seen) == 6
    # each output is at most its own cap (1/20 of its oracle log), never the batch's largest cap or max_new
    assert all(w <= max(1, min(40, o // 20)) for w, o in seen)
    assert len({max(1, min(40, o // 20)) for _, o in seen}) > 1  # the caps differ between graphs


def test_causal_evaluation_decodes_in_bounded_batches_with_the_same_outputs(monkeypatch):
    """A size's graphs are decoded in batches of at most CAUSAL_EVAL_BLOCK (the key/value cache of 1,000 long
    outputs at once would take ~10 GB); each graph's output is the one a batch of its own gives."""
    import proofs_check.experiments.decoders as dec
    import proofs_check.experiments.maxflow_arm as ma

    cfg = arm_model_config(d_model=16, n_heads=2, n_layers=1)
    params = Transformer(cfg).init(np.random.default_rng(5))
    batches: list[int] = []
    real = dec.arm_greedy_decode_cached

    def spy(config, params, prompts, **kw):
        batches.append(len(prompts))
        return real(config, params, prompts, **kw)

    monkeypatch.setattr(dec, "arm_greedy_decode_cached", spy)
    monkeypatch.setattr(ma, "CAUSAL_EVAL_BLOCK", 2)
    written: list[list[int]] = []

    def judge(inst, w, final):
        written.append(list(w))
        return "x"

    ma.evaluate_causal(cfg, params, sizes=(4, 5), count=5, seed=0, max_new=12, stream="test", vocab=ma.ARM_VOCAB,
                       stop_id=ma.END, judge=judge)
    assert batches == [2, 2, 1, 2, 2, 1]
    alone = [list(real(cfg, params, [encode_instance(i)], vocab=ma.ARM_VOCAB, max_new=12, stop_ids=[ma.END])[0]
                  .final[len(encode_instance(i)):])
             for n in (4, 5) for i in mf.held_out(n, 5, 0, stream="test")]
    assert written == alone


def test_accuracy_by_size_is_drawn_in_size_order_whatever_the_key_order(tmp_path):
    """result.json is written with sorted keys ('10' before '4'); the accuracy plot's x values must still be 4..10
    in order, each with its own accuracy (a line drawn in key order would jump from 10 back to 4)."""
    from proofs_check.experiments.maxflow_plots import _by_size

    per = {str(n): {"accuracy": float(100 - n), "correct": 0, "n": 1} for n in (10, 4, 5, 6, 7, 8, 9)}
    (tmp_path / "result.json").write_text(json.dumps({"eval": {"per_size": per}, "test_per_size": 1,
                                                      "steps_done": 3}, sort_keys=True), encoding="utf-8")
    sizes, acc, label = _by_size(tmp_path)
    assert sizes == [4, 5, 6, 7, 8, 9, 10] and acc == [96.0, 95.0, 94.0, 93.0, 92.0, 91.0, 90.0]
    assert "update 3" in label
