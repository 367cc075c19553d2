"""Benchmark (off by default; ``-m benchmark``): one training step of the numpy Transformer beside the same model in
PyTorch on the CPU, at the parity size and at a Sudoku-like size, plus achieved GFLOP/s beside numpy's matmul peak.

PyTorch is never a dependency: the comparison runs the script below with the interpreter named by
``POWERGEN_TORCH_PYTHON`` (default ``/tmp/torchvenv/bin/python``) and is skipped when it cannot import torch.  The
script rebuilds the model from the same weights and batch, checks that its loss equals numpy's, then times
forward + backward + clipping + AdamW.  Results are printed and written to ``$POWERGEN_BENCH_OUT`` if set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from machines.neural.checkpoint import npz_bytes
from machines.neural.config import ModelConfig, TrainConfig, standard_rotary
from machines.neural.loss import Batch
from machines.neural.model import Transformer
from machines.neural.optim import AdamW
from proofs_check.experiments.train import train_step
from reductions.tasks.parity import ParityTask
from reductions.tasks.parity_parallel import ParityParallelTask

TORCH_PY = os.environ.get("POWERGEN_TORCH_PYTHON", "/tmp/torchvenv/bin/python")
REPEATS = 5

TORCH_SCRIPT = r'''
import json, sys, time
import numpy as np
import torch
torch.set_num_threads(int(sys.argv[3]))
z = np.load(sys.argv[1]); cfg = json.loads(open(sys.argv[2]).read())
P = {k[2:]: torch.tensor(z[k], requires_grad=True) for k in z.files if k.startswith("p.")}
x = torch.tensor(z["x"]); y = torch.tensor(z["y"]); ctrl = torch.tensor(z["ctrl"]).float()
valid = torch.tensor(z["valid"]); allowed = torch.tensor(z["allowed"])[:, None]
rel_idx = torch.tensor(z["rel_idx"]) if "rel_idx" in z.files else None
cs = (torch.tensor(z["cos"]), torch.tensor(z["sin"])) if "cos" in z.files else None
H, d, M, V = cfg["n_heads"], cfg["d_model"], cfg["mask_id"], cfg["vocab_size"]
dh = d // H
def ln(h, p): return torch.nn.functional.layer_norm(h, (d,), P[p + "g"], P[p + "b"], 1e-5)
def rot(t):
    c, s = cs; k = t.shape[-1] // 2; a, b = t[..., :k], t[..., k:]
    return torch.cat([a * c - b * s, a * s + b * c], -1)
def forward():
    B, L = x.shape
    h = P["tok.w"][x]
    for i in range(cfg["n_layers"]):
        a = ln(h, f"b{i}.ln1.")
        qkv = (a @ P[f"b{i}.attn.qkv.w"] + P[f"b{i}.attn.qkv.b"]).view(B, L, 3, H, dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if cs is not None: q, k = rot(q), rot(k)
        s = q @ k.transpose(-1, -2) / dh ** 0.5
        if rel_idx is not None: s = s + P[f"b{i}.attn.rel"][:, rel_idx][None]
        s = s.masked_fill(~allowed, float("-inf"))
        p = torch.softmax(s, -1).nan_to_num(0.0)
        o = (p @ v).transpose(1, 2).reshape(B, L, d)
        h = h + o @ P[f"b{i}.attn.o.w"] + P[f"b{i}.attn.o.b"]
        m = ln(h, f"b{i}.ln2.")
        m = torch.nn.functional.gelu(m @ P[f"b{i}.mlp.fc.w"] + P[f"b{i}.mlp.fc.b"], approximate="tanh")
        h = h + m @ P[f"b{i}.mlp.proj.w"] + P[f"b{i}.mlp.proj.b"]
    f = ln(h, "lnf.")
    return f @ P["head.tok.w"] + P["head.tok.b"], f @ P["head.ctrl.w"] + P["head.ctrl.b"]
def loss_fn():
    tok, c = forward()
    tgt = valid & (x == M) & (y != M)
    loss = torch.zeros(())
    if tgt.any():
        t = tok[tgt].clone(); t[:, M] = float("-inf")
        loss = loss + torch.nn.functional.cross_entropy(t, y[tgt])
    w = valid.float()[..., None]
    bce = torch.nn.functional.binary_cross_entropy_with_logits(c, ctrl, reduction="none")
    return loss + (bce * w).sum() / valid.sum().clamp(min=1)
t = json.loads(sys.argv[4])
opt = torch.optim.AdamW(list(P.values()), lr=t["lr"], betas=(t["beta1"], t["beta2"]), eps=t["eps"],
                        weight_decay=t["weight_decay"])
first = None; times = []
for r in range(int(sys.argv[5]) + 1):
    t0 = time.perf_counter()
    opt.zero_grad(); l = loss_fn(); l.backward()
    torch.nn.utils.clip_grad_norm_(list(P.values()), t["clip"]); opt.step()
    dt = time.perf_counter() - t0
    if first is None: first = float(l)
    else: times.append(dt)
print(json.dumps({"loss0": first, "seconds": sorted(times)[len(times) // 2], "torch": torch.__version__}))
'''


def step_flops(cfg: ModelConfig, B: int, L: int) -> float:
    """Multiply-add FLOPs of one training step: 3 x forward (matmuls and attention products only)."""
    d, m, V, H = cfg.d_model, cfg.mlp_dim, cfg.vocab_size, cfg.n_heads
    per_layer = 2 * B * L * (3 * d * d + d * d + 2 * d * m) + 2 * 2 * B * H * L * L * cfg.head_dim
    heads = 2 * B * L * d * (V + 3)
    return 3.0 * (cfg.n_layers * per_layer + heads)


def matmul_peak(n: int = 1024) -> float:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(n, n)).astype(np.float32)
    b = rng.normal(size=(n, n)).astype(np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(5))
    return 2 * n**3 / best / 1e9


def _timed(f) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def make_case(cfg: ModelConfig, B: int, L: int, seed: int = 0) -> tuple[dict[str, np.ndarray], Batch]:
    rng = np.random.default_rng(seed)
    params = Transformer(cfg).init(rng, np.float32)
    x = rng.integers(0, cfg.vocab_size, size=(B, L))
    x[rng.random((B, L)) < 0.3] = cfg.mask_id
    y = rng.integers(0, cfg.vocab_size, size=(B, L))
    y[y == cfg.mask_id] = (cfg.mask_id + 1) % cfg.vocab_size
    valid = np.ones((B, L), dtype=bool)
    valid[B // 2:, L - L // 8:] = False
    return params, Batch(x=x, y=y, ctrl=rng.integers(0, 2, size=(B, L, 3)), valid=valid)


def bench_case(name: str, cfg: ModelConfig, B: int, L: int, tmp: Path) -> dict[str, object]:
    tcfg = TrainConfig(lr=1e-3, warmup=0, weight_decay=0.01)
    params, batch = make_case(cfg, B, L)
    net = Transformer(cfg)
    from machines.neural.loss import apmdm_loss

    loss0 = apmdm_loss(net.forward(params, batch.x, batch.valid)[0], batch, mask_id=cfg.mask_id).loss
    work = {k: v.copy() for k, v in params.items()}
    opt = AdamW(tcfg)
    train_step(net, work, opt, batch)  # warm-up
    np_s = sorted(_timed(lambda: train_step(net, work, opt, batch)) for _ in range(REPEATS))[REPEATS // 2]  # median
    flops = step_flops(cfg, B, L)
    row: dict[str, object] = {"case": name, "params": net.n_params(params), "batch": B, "length": L,
                              "numpy_s": round(np_s, 5), "numpy_gflops": round(flops / np_s / 1e9, 2)}
    att = net.blocks[0][1]
    arrays = {f"p.{k}": v for k, v in params.items()} | {"x": batch.x, "y": batch.y, "ctrl": batch.ctrl,
                                                           "valid": batch.valid, "allowed": att.allowed(batch.valid)}
    if cfg.rel_clip:
        arrays["rel_idx"] = att.rel_index(L)
    if cfg.rotary is not None:
        from machines.neural.attention import rotary_tables

        cs = rotary_tables(cfg.rotary, L, np.float32)
        assert cs is not None
        arrays["cos"], arrays["sin"] = cs
    (tmp / "case.npz").write_bytes(npz_bytes(arrays))
    (tmp / "cfg.json").write_text(json.dumps(cfg.to_json()))
    (tmp / "torch_step.py").write_text(TORCH_SCRIPT)
    runs = []
    for threads in (1, 2):  # PyTorch gets the better of 1 and 2 threads (numpy's BLAS uses both cores)
        try:
            proc = subprocess.run([TORCH_PY, str(tmp / "torch_step.py"), str(tmp / "case.npz"), str(tmp / "cfg.json"),
                                   str(threads), json.dumps(tcfg.to_json()), str(REPEATS)], capture_output=True,
                                  text=True, timeout=900, check=True)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]) | {"threads": threads})
        except (OSError, subprocess.CalledProcessError, ValueError) as exc:
            row["torch"] = f"skipped: {type(exc).__name__}"
            return row
    t = min(runs, key=lambda r: r["seconds"])
    assert abs(t["loss0"] - loss0) <= 1e-4 * max(1.0, abs(loss0)), (t["loss0"], loss0)
    row |= {"torch_version": t["torch"], "torch_threads": t["threads"], "torch_s": round(t["seconds"], 5),
            "torch_gflops": round(flops / t["seconds"] / 1e9, 2),
            "ratio_numpy_over_torch": round(np_s / t["seconds"], 3)}
    return row


@pytest.mark.benchmark
def test_train_step_numpy_vs_torch(tmp_path: Path) -> None:
    sudoku_like = ModelConfig(vocab_size=31, mask_id=0, d_model=144, n_heads=2, n_layers=4,
                              rotary=standard_rotary(72))
    cases = [("parity (length 2, block 2)", ParityTask().model_config(), 64, 4),
             ("parity-parallel", ParityParallelTask().model_config(), 64, 10),
             ("sudoku-like", sudoku_like, 32, 324)]
    rows = [{"numpy_matmul_peak_gflops": round(matmul_peak(), 2), "numpy": np.__version__,
             "python": sys.version.split()[0]}]
    for name, cfg, B, L in cases:
        rows.append(bench_case(name, cfg, B, L, tmp_path))
    text = json.dumps(rows, indent=1)
    print(text)
    out = os.environ.get("POWERGEN_BENCH_OUT")
    if out:
        Path(out).write_text(text + "\n")


@pytest.mark.benchmark
def test_blocked_forward_vs_dense() -> None:
    """Inference on one long sequence: the O(L * block) blocked forward beside the dense O(L^2) one (same outputs),
    for the parity model, and the blocked forward alone at 10,000 and 100,000 tokens."""
    from machines.neural.predictor import NeuralPredictor

    cfg = ParityTask().model_config()
    params = Transformer(cfg).init(np.random.default_rng(0), np.float64)
    pred = NeuralPredictor(config=cfg, params=params)
    net = pred.net
    rows = []
    rng = np.random.default_rng(1)
    for L in (1024, 4096, 10_000, 100_000):
        x = rng.integers(0, cfg.vocab_size, size=(1, L))
        valid = np.ones((1, L), dtype=bool)
        fast = float(np.median([_timed(lambda x=x, valid=valid: net.forward(pred.params, x, valid, local=True))
                                for _ in range(REPEATS)]))
        row: dict[str, object] = {"length": L, "blocked_s": round(fast, 6)}
        if L <= 4096:
            dense = float(np.median([_timed(lambda x=x, valid=valid: net.forward(pred.params, x, valid))
                                     for _ in range(REPEATS)]))
            a, _ = net.forward(pred.params, x, valid)
            b, _ = net.forward(pred.params, x, valid, local=True)
            assert np.allclose(a.ctrl, b.ctrl, atol=1e-10) and np.allclose(a.token, b.token, atol=1e-10)
            row |= {"dense_s": round(dense, 6), "dense_over_blocked": round(dense / fast, 1)}
        rows.append(row)
    print(json.dumps(rows, indent=1))
