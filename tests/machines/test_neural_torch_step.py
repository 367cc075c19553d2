"""Benchmark (off by default; ``-m benchmark``): one training step of the numpy Transformer beside the same
architecture in PyTorch, in one process, at 1 and 2 threads each (issue 15, "Speed").

PyTorch is never a dependency of powergen: this file runs only in the separate benchmark environment made by
``scripts/bench_env.sh`` and is skipped, with the reason, where ``torch`` does not import.  Run it with::

    .venv-bench/bin/python -m pytest tests/machines/test_neural_torch_step.py -m benchmark -p no:cacheprovider \
        -p no:xdist -q -s

The PyTorch twin is built from the same :class:`~machines.neural.config.ModelConfig` with PyTorch's own modules
(``nn.Embedding``, ``nn.LayerNorm``, ``nn.Linear``; fused QKV, RoPE, the AP-MDM token and control heads or, with
``causal=True``, the causal next-token objective), so its parameter count is counted independently of numpy's; the
weights are then copied from the numpy model and the loss and every gradient of the first step are checked against
numpy's.  A step is forward + loss + backward + global-norm clipping + AdamW, on both sides.

Timing: every measured step records CPU time (``time.process_time``, all threads of the process) and wall time;
each figure is the minimum over the repeats after one warm-up step.  The machine is shared with other jobs, so the
minimum is the figure least disturbed by them; a one-thread step's CPU time does not count the time it waits for a
core, a two-thread step's CPU time counts both threads.  Results are printed and written to ``$POWERGEN_BENCH_OUT``
if set.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from machines.neural.attention import Attention, rotary_tables
from machines.neural.config import ModelConfig, TrainConfig, standard_rotary
from machines.neural.layers import Params
from machines.neural.loss import Batch, LossResult, apmdm_loss
from machines.neural.model import Transformer
from machines.neural.objectives import next_token_loss
from machines.neural.optim import AdamW

pytestmark = pytest.mark.benchmark

REPEATS = int(os.environ.get("POWERGEN_BENCH_REPEATS", "5"))
THREADS = tuple(int(t) for t in os.environ.get("POWERGEN_BENCH_THREADS", "1,2").split(","))

#: ~1M parameters at Sudoku scale (4 blocks, width 144, 2 heads, RoPE, full attention), the size issue 15 names;
#: the max-flow experiment's model (6 blocks, width 64, 4 heads, RoPE; ~0.3M) and its causal ARM at the same scale.
CASES: list[tuple[str, ModelConfig, int, int]] = [
    ("AP-MDM ~1M (4 blocks, d 144, 2 heads, RoPE)",
     ModelConfig(vocab_size=31, mask_id=0, d_model=144, n_heads=2, n_layers=4, rotary=standard_rotary(72)), 32, 324),
    ("causal ARM ~1M (4 blocks, d 144, 2 heads, RoPE)",
     ModelConfig(vocab_size=31, mask_id=0, d_model=144, n_heads=2, n_layers=4, rotary=standard_rotary(72),
                 causal=True), 32, 324),
]


def _torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is only in the benchmark environment (scripts/bench_env.sh)")


# -- the PyTorch twin ------------------------------------------------------------------------------------------------
def build_twin(cfg: ModelConfig) -> Any:
    """An ``nn.Module`` with the architecture of ``Transformer(cfg)`` (dense attention, the same mask rules)."""
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional
    d, H, m, V = cfg.d_model, cfg.n_heads, cfg.mlp_dim, cfg.vocab_size
    dh = cfg.head_dim

    class Block(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
            self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.rel = nn.Parameter(torch.zeros(H, 2 * cfg.rel_clip + 1)) if cfg.rel_clip else None
            self.fc, self.proj = nn.Linear(d, m), nn.Linear(m, d)

        def forward(self, h: Any, mask: Any, cs: Any, rel_idx: Any) -> Any:
            B, L, _ = h.shape
            q, k, v = self.qkv(self.ln1(h)).view(B, L, 3, H, dh).permute(2, 0, 3, 1, 4)
            if cs is not None:
                q, k = rope(q, cs), rope(k, cs)
            bias = mask if self.rel is None else torch.where(mask, self.rel[:, rel_idx], float("-inf"))
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)  # (B, H, L, dh)
            h = h + self.o(o.transpose(1, 2).reshape(B, L, d))
            return h + self.proj(F.gelu(self.fc(self.ln2(h)), approximate="tanh"))

    def rope(t: Any, cs: Any) -> Any:
        cos, sin = cs
        a, b = t[..., : dh // 2], t[..., dh // 2:]
        return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)

    class Twin(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(V, d)
            self.blocks = nn.ModuleList([Block() for _ in range(cfg.n_layers)])
            self.lnf = nn.LayerNorm(d, eps=1e-5)
            self.head_tok, self.head_ctrl = nn.Linear(d, V), nn.Linear(d, 3)

        def forward(self, x: Any, mask: Any, cs: Any, rel_idx: Any) -> tuple[Any, Any]:
            h = self.tok(x)
            for blk in self.blocks:
                h = blk(h, mask, cs, rel_idx)
            f = self.lnf(h)
            return self.head_tok(f), self.head_ctrl(f)

    return Twin()


def numpy_name(torch_name: str) -> str:
    """The numpy parameter name of a twin parameter (``blocks.0.qkv.weight`` -> ``b0.attn.qkv.w``)."""
    parts = torch_name.split(".")
    leaf = {"weight": "w", "bias": "b"}.get(parts[-1], parts[-1])
    if parts[0] == "blocks":
        layer, mod = parts[1], parts[2]
        if mod in ("ln1", "ln2"):
            leaf = {"w": "g"}.get(leaf, leaf)
        group = {"qkv": "attn.qkv", "o": "attn.o", "rel": "attn", "fc": "mlp.fc", "proj": "mlp.proj"}.get(mod, mod)
        return f"b{layer}.{group}.{leaf}" if mod != "rel" else f"b{layer}.attn.rel"
    if parts[0] == "lnf":
        return "lnf." + {"w": "g"}.get(leaf, leaf)
    if parts[0] == "tok":
        return "tok.w"
    return {"head_tok": "head.tok.", "head_ctrl": "head.ctrl."}[parts[0]] + leaf


def load_weights(twin: Any, params: Params) -> None:
    """Copy numpy weights into the twin (``nn.Linear`` stores ``W.T``)."""
    torch = _torch()
    with torch.no_grad():
        for name, p in twin.named_parameters():
            a = params[numpy_name(name)]
            is_linear_w = name.endswith(".weight") and p.ndim == 2 and not name.startswith("tok.")
            p.copy_(torch.from_numpy(np.ascontiguousarray(a.T if is_linear_w else a)))


def torch_grad_as_numpy(name: str, p: Any) -> np.ndarray:
    if p.grad is None:  # a head the objective does not use (the control heads under next-token loss)
        return np.zeros(tuple(p.shape[::-1]) if p.ndim == 2 else tuple(p.shape), dtype=np.float32)
    g = p.grad.detach().numpy()
    return g.T if name.endswith(".weight") and p.ndim == 2 and not name.startswith("tok.") else g


# -- one case: data, losses, steps -----------------------------------------------------------------------------------
def make_batch(cfg: ModelConfig, B: int, L: int, seed: int = 0) -> tuple[Batch, np.ndarray]:
    """A random AP-MDM batch (30 % masks, the last eighth of half the rows padding) and a next-token loss mask."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, cfg.vocab_size, size=(B, L))
    x[rng.random((B, L)) < 0.3] = cfg.mask_id
    y = rng.integers(0, cfg.vocab_size, size=(B, L))
    y[y == cfg.mask_id] = (cfg.mask_id + 1) % cfg.vocab_size
    valid = np.ones((B, L), dtype=bool)
    valid[B // 2:, L - L // 8:] = False
    if cfg.causal:  # a prompt + answer sequence: the answer (second half, valid positions) is scored
        x = y.copy()
    lm = valid.copy()
    lm[:, : L // 2] = False
    return Batch(x=x, y=y, ctrl=rng.integers(0, 2, size=(B, L, 3)), valid=valid), lm


def numpy_loss(cfg: ModelConfig, out: Any, batch: Batch, lm: np.ndarray) -> LossResult:
    if cfg.causal:
        return next_token_loss(out, batch.x, lm, mask_id=cfg.mask_id)
    return apmdm_loss(out, batch, mask_id=cfg.mask_id)


def torch_loss(cfg: ModelConfig, tok: Any, ctrl: Any, t: dict[str, Any]) -> Any:
    """The same objective as :func:`numpy_loss` in PyTorch (MASK logit forbidden in every cross entropy)."""
    torch = _torch()
    F = torch.nn.functional
    forbid = torch.zeros(cfg.vocab_size)
    forbid[cfg.mask_id] = float("-inf")
    if cfg.causal:
        sel = t["lm"][:, 1:]
        return F.cross_entropy(tok[:, :-1][sel] + forbid, t["x"][:, 1:][sel])
    tgt = t["valid"] & (t["x"] == cfg.mask_id) & (t["y"] != cfg.mask_id)
    loss = F.cross_entropy(tok[tgt] + forbid, t["y"][tgt])
    bce = F.binary_cross_entropy_with_logits(ctrl, t["ctrl"], reduction="none")
    return loss + (bce * t["valid"][..., None]).sum() / t["valid"].sum().clamp(min=1)


def step_flops(cfg: ModelConfig, B: int, L: int) -> float:
    """FLOPs of one step: 3 x the forward's matrix products (projections, MLP, heads, q k^T and p v)."""
    d, m, V = cfg.d_model, cfg.mlp_dim, cfg.vocab_size
    per_layer = 2 * B * L * (4 * d * d + 2 * d * m) + 2 * 2 * B * L * L * d
    return 3.0 * (cfg.n_layers * per_layer + 2 * B * L * d * (V + 3))


def timed(step: Callable[[], object], repeats: int) -> dict[str, float]:
    """Min CPU and min wall seconds of ``step`` over ``repeats`` calls after one warm-up call."""
    step()
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        step()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"cpu_s": min(cpu), "wall_s": min(wall)}


def matmul_peak(threads: int, n: int = 2048, repeats: int = 5) -> dict[str, float]:
    """GFLOP/s of an ``n x n`` float32 matmul (numpy's BLAS), from the min CPU and the min wall time."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        t = timed(lambda: a @ b, repeats)
    return {"threads": threads, "gflops_cpu": 2 * n**3 / t["cpu_s"] / 1e9, "gflops_wall": 2 * n**3 / t["wall_s"] / 1e9}


def run_case(name: str, cfg: ModelConfig, B: int, L: int) -> dict[str, Any]:
    torch = _torch()
    from threadpoolctl import threadpool_limits

    net = Transformer(cfg)
    params = net.init(np.random.default_rng(1), np.float32)
    batch, lm = make_batch(cfg, B, L)
    twin = build_twin(cfg)
    n_np, n_torch = net.n_params(params), sum(p.numel() for p in twin.parameters())
    print(f"\n{name}: numpy {n_np:,} parameters, PyTorch {n_torch:,} parameters")
    assert abs(n_np - n_torch) <= 0.03 * n_np
    load_weights(twin, params)

    att = Attention("", cfg)
    t = {"x": torch.from_numpy(batch.x), "y": torch.from_numpy(batch.y), "valid": torch.from_numpy(batch.valid),
         "ctrl": torch.from_numpy(batch.ctrl.astype(np.float32)), "lm": torch.from_numpy(lm)}
    mask = torch.from_numpy(att.allowed(batch.valid)[:, None])  # (B, 1, L, L), the numpy model's mask
    cs_np = rotary_tables(cfg.rotary, L, np.float32)
    cs = None if cs_np is None else tuple(torch.from_numpy(a) for a in cs_np)
    rel_idx = torch.from_numpy(att.rel_index(L)) if cfg.rel_clip else None

    # the same loss and the same gradients at the first step
    out, cache = net.forward(params, batch.x, batch.valid)
    res = numpy_loss(cfg, out, batch, lm)
    grads = net.backward(params, res.d_token, res.d_ctrl, cache)
    tok, ctrl = twin(t["x"], mask, cs, rel_idx)
    loss_t = torch_loss(cfg, tok, ctrl, t)
    loss_t.backward()
    loss_value = float(loss_t.detach())
    assert abs(loss_value - res.loss) <= 1e-4 * max(1.0, abs(res.loss)), (loss_value, res.loss)
    for tname, p in twin.named_parameters():
        g_np, g_t = grads[numpy_name(tname)], torch_grad_as_numpy(tname, p)
        err = float(np.linalg.norm(g_np - g_t)) / max(float(np.linalg.norm(g_np)), 1e-12)
        assert err < 2e-3 or float(np.linalg.norm(g_np)) < 1e-7, (tname, err)

    tcfg = TrainConfig(lr=1e-3, warmup=0, weight_decay=0.01, clip=1.0)
    opt_np = AdamW(tcfg)
    work = {k: v.copy() for k, v in params.items()}

    def np_step() -> None:
        o, c = net.forward(work, batch.x, batch.valid)
        r = numpy_loss(cfg, o, batch, lm)
        opt_np.update(work, net.backward(work, r.d_token, r.d_ctrl, c))

    decay = [p for n, p in twin.named_parameters() if p.ndim >= 2 and not n.endswith(".rel")]
    rest = [p for n, p in twin.named_parameters() if not (p.ndim >= 2 and not n.endswith(".rel"))]
    opt_t = torch.optim.AdamW([{"params": decay, "weight_decay": tcfg.weight_decay},
                               {"params": rest, "weight_decay": 0.0}], lr=tcfg.lr, betas=(tcfg.beta1, tcfg.beta2),
                              eps=tcfg.eps, foreach=True)

    def torch_step() -> None:
        opt_t.zero_grad(set_to_none=True)
        tk, ct = twin(t["x"], mask, cs, rel_idx)
        torch_loss(cfg, tk, ct, t).backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), tcfg.clip)
        opt_t.step()

    flops = step_flops(cfg, B, L)
    row: dict[str, Any] = {"case": name, "params_numpy": n_np, "params_torch": n_torch, "batch": B, "length": L,
                           "gflop_per_step": round(flops / 1e9, 2)}
    for threads in THREADS:
        with threadpool_limits(limits=threads, user_api="blas"):
            row[f"numpy_{threads}t"] = timed(np_step, REPEATS)
        torch.set_num_threads(threads)
        row[f"torch_{threads}t"] = timed(torch_step, REPEATS)
    for key in [k for k in row if k.startswith(("numpy_", "torch_")) and k.endswith("t")]:
        row[key] = {k: round(v, 4) for k, v in row[key].items()} | {
            "gflops_cpu": round(flops / row[key]["cpu_s"] / 1e9, 1),
            "gflops_wall": round(flops / row[key]["wall_s"] / 1e9, 1)}
    for clock in ("cpu_s", "wall_s"):
        best_np = min(row[f"numpy_{n}t"][clock] for n in THREADS)
        best_t = min(row[f"torch_{n}t"][clock] for n in THREADS)
        row[f"ratio_best_{clock[:-2]}"] = round(best_np / best_t, 3)
    row["ratio_1t_cpu"] = round(row["numpy_1t"]["cpu_s"] / row["torch_1t"]["cpu_s"], 3)
    return row


def test_train_step_numpy_vs_torch() -> None:
    torch = _torch()
    rows: list[dict[str, Any]] = [{"numpy": np.__version__, "torch": torch.__version__,
                                   "python": sys.version.split()[0], "load_average": list(os.getloadavg()),
                                   "matmul_peak_float32_2048": [matmul_peak(n) for n in THREADS]}]
    only = os.environ.get("POWERGEN_BENCH_CASES")
    for i, (name, cfg, B, L) in enumerate(CASES):
        if only is None or str(i) in only.split(","):
            rows.append(run_case(name, cfg, B, L))
    text = json.dumps(rows, indent=1)
    print(text)
    out = os.environ.get("POWERGEN_BENCH_OUT")
    if out:
        Path(out).write_text(text + "\n")
