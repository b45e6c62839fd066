"""The paper's experiments (Table 1, the addition ablation) and ours beyond them, as a queue of runs.

Each run trains one model with ``toolenv train`` and scores it with ``toolenv eval
--stop-at-zero``, writing one leaderboard entry per run to ``--board/<run id>.json`` (the
command is recorded in the entry). Runs are played ``--jobs`` at a time (tiny models leave a
GPU mostly idle, so one GPU takes many at once), most important first; re-running the script
resumes: finished runs are skipped, interrupted training and evaluation resume where they
stopped. ``toolenv leaderboard --dir BOARD`` then merges the entries into a table and plots.

Usage:
  python scripts/paper_runs.py --list [--plan table,ablation]
  python scripts/paper_runs.py --plan table,ablation,beyond,extra,swa,rope --jobs 12 --device cuda \\
      [--tasks addition --backbones mamba,lstm --seeds 0] [--runs runs/paper] [--board leaderboards/paper]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# Per backbone: preset, learning rate, and backbone overrides. SSMs use their PyTorch paths
# (tested equal to mamba-ssm's kernels) so that no CUDA build is needed; the Transformers and
# RNNs are one size up, since their tiny presets did not learn the training range. The RNNs keep the precision
# every one of their entries without a variant was trained in: torch's autocast, which runs cuDNN's recurrence in
# float16 on CUDA (a no-op on the CPU), toolenv's default before 2026-12-06; variant fp32 names the runs since.
RNN_TABLE_PRECISION = {"recurrence_precision": "autocast"}
RECIPES = {
    "mamba": ("tiny", 3e-3, {"use_kernels": False}),
    "mamba2": ("tiny", 3e-3, {"use_kernels": False}),
    "lstm": ("small", 2e-3, RNN_TABLE_PRECISION),
    "gru": ("small", 2e-3, RNN_TABLE_PRECISION),
    "transformer": ("small", 1e-3, {}),
    "swa-transformer": ("small", 1e-3, {}),
}
ARCHS = ["mamba", "mamba2", "lstm", "gru", "transformer"]

# Per task: training lengths 1..train, evaluation lengths, steps, batch, episodes per length; `recipes`
# overrides steps, batch, lr, warmup or backbone config fields (`overrides`) for one backbone on that task.
TASKS = {
    "addition": dict(train=5, lengths=[5, 10, 20, 50, 100, 200, 500, 1000], steps=1000, batch=64),
    "multiplication_nx1": dict(train=10, lengths=[10, 20, 50, 100, 200, 500, 1000], steps=1000, batch=64),
    "multiplication_nx2": dict(train=10, lengths=[10, 20, 50, 100, 200, 500, 1000], steps=1000, batch=64),
    # Hanoi: 42k oracle tokens at 8 disks, 869k at 12 (docs/tasks/hanoi.md), so smaller batches and test sets
    # The Transformer at the RNNs' recipe (lr 1e-3) reached losses of 0.04-0.06, oscillating 0.01-0.38, and
    # 0% at 6 disks in both seeds (session 9: it miscopies disk sizes' digits): twice the steps at lr 3e-4
    # (session 10: 0% / 12% at 6 disks, still digit copies). Session 11: RoPE on the whole head. At Pythia's
    # rotary_pct 0.25 a 32-dim head (`small`) rotates 8 dims, 4 frequencies (periods 6, 63, 628, 6,283
    # tokens) to tell a digit read 3 tokens ago from its copy ~60 tokens back in a trajectory of 40k;
    # Pythia-160M's 64-dim heads have 8 frequencies, the paper's 96-dim ones 12; the whole head has 16.
    # The sliding-window Transformer (Mistral: RoPE on the whole head) at the same recipe
    "hanoi": dict(train=8, lengths=[6, 7, 8, 9, 10, 11, 12], steps=800, batch=8, episodes=16,
                  recipes={"transformer": dict(steps=1600, lr=3e-4, warmup=100, overrides={"rotary_pct": 1.0}),
                           "swa-transformer": dict(steps=1600, lr=3e-4, warmup=100)}),
    # Logical graph: 1,000 steps x 64 (lease 2) left every model near chance at 10 gates (final
    # losses 0.01-0.15; the labels are 3 random digits to copy into every query): 6x the data,
    # and the SSMs one size up. 16 problems per length (session 6 on): ~410 tokens per gate, so an
    # episode at 1,000 gates is ~410k tokens, fed one by one through a search tool on the host.
    # On a GPU, 4 lengths share each batch (`toolenv eval --together`): a batch costs the steps of
    # its longest episode, about the same at 16 or 64 rows
    # Session 16 tried the RNNs at the paper's 2,000 steps and batch 512 (2.7x the trajectories; the LSTM at lr
    # 1e-3): no better (GRU s0 81 / 56 / 50 / 25% at 10-100 gates, final loss 0.0026; LSTM s0 loss 0.62 at step
    # 1,500), so the recipe stays 1,500 x 256 (leaderboards/paper/superseded/session16-rnn-2000x512/)
    "logical_graph": dict(train=10, lengths=[10, 20, 50, 100, 200, 500, 1000], steps=1500, batch=256,
                          sizes={"mamba": "small", "mamba2": "small"}, episodes=16, gpu_together=4),
    "sorting": dict(train=10, lengths=[10, 20, 50, 100, 200, 500, 1000], steps=1000, batch=32),
    # Code tracing (session 11: operand lines `3*4=2` before each result, docs/tasks/code_tracing.md): the first
    # format stayed at chance arithmetic in 10 runs of 1,000 x 64; the CPU diagnosis saw copies still improving
    # at 2,000 steps, so twice the steps
    "code_tracing": dict(train=10, lengths=[10, 20, 50, 100, 200, 500, 1000], steps=2000, batch=64),
}
# The Transformers stop within a few lengths of training, where the paper read its stop lengths off a finer grid
# (Table 1: Pythia 10→20 (79%) and 10→14 (12%), Mistral 10→13 (25%) and 10→20 (33%) on n×1 and n×2; both ≈0
# "soon after" 5 digits on addition); on 10 and 20 alone ours read 10 (78%) against the paper's 20 (79%) with
# nothing between. Since session 27 they are scored at every length from the training length to twice it on these
# tasks (with --stop-at-zero, so the grid past the first 0% costs nothing); the fixed-memory models keep the grid
FINE_GRID_TASKS = ("addition", "multiplication_nx1", "multiplication_nx2")
FINE_GRID_BACKBONES = ("transformer", "swa-transformer")


def eval_lengths(task: str, backbone: str) -> list[int]:
    """The lengths a run of ``backbone`` on ``task`` is scored at: the task's grid, and for the Transformers on
    FINE_GRID_TASKS also every length from the training length to twice it."""
    grid = TASKS[task]["lengths"]
    if task not in FINE_GRID_TASKS or backbone not in FINE_GRID_BACKBONES:
        return list(grid)
    n = TASKS[task]["train"]
    return sorted(set(grid) | set(range(n, 2 * n + 1)))


# The logical graph's problems with the oracle whose values are lines of their own (session 17: no label carried
# across a long search result, docs/tasks/logical_graph.md): the same recipe, so that only the oracle differs
TASKS["logical_graph_value_lookup"] = dict(TASKS["logical_graph"])
# The same, half of the training problems relabelled to labels that repeat a digit (session 18: the GRUs' miscopies)
TASKS["logical_graph_value_lookup_repeats"] = dict(TASKS["logical_graph"])
# The same, a quarter of the training problems relabelled to labels with 3 equal digits in a row (session 23: the
# float32 LSTM's miscounted runs), a quarter to labels that repeat a digit
TASKS["logical_graph_value_lookup_runs"] = dict(TASKS["logical_graph"])


# Variants: a named change of one run's recipe (the fields of a task's `recipes`: steps, batch, lr, warmup, and
# backbone config `overrides`), trained and scored beside the table's run (its own run id and leaderboard name).
# rope1: RoPE on the whole head, which took Hanoi's Transformer from 0-12% to 88-100% at 6 disks (session 11), on
# the tasks that keep Pythia's 0.25. 3k: twice the logical graph's steps, for the LSTM, whose loss was still
# falling at step 1,500 on the value-lookup oracle (session 18, seed 0: 0.48 / 0.32 / 0.21 at 1,000 / 1,250 / 1,500).
# fb1: the LSTM's forget-gate bias initialised to 1 (Keras's unit_forget_bias): at torch's init (gate ~0.5) the
# value-lookup LSTM's loss sat at 0.85 from step ~300 to ~1,350 of 3,000 before it fell (session 19, seed 0)
# fp32: the RNN's recurrence in float32 under training's autocast. It is toolenv's default since 2026-12-06; every
# RNN entry trained on CUDA before then ran cuDNN in float16 (torch's autocast), its gradients underflowing
# (docs/decisions.md). The variant names the runs trained since, beside the table's entries trained before.
# autocast: the recurrence as torch's autocast casts it, the table's RNN runs' precision (RNN_TABLE_PRECISION), in a
# run id of its own, as a control beside fp32
# 2k: the paper's training budget for its Pythia (App. C: 2,000 steps; batch and lr swept over {128 ... 1,024} and
# {5e-5 ... 5e-3}): its smallest batch, 128, and lr 5e-4, the swept value nearest Pythia-160M's own pre-training lr
# (6e-4), with 100 warm-up steps; for the `paper` preset (the paper's Pythia shape, 113M), plan pythia-paper
# 2k-lrX: the same budget at the swept lr X, next to 5e-4 (n×1: the 113M stays at 8% / 23% at 20 digits, the paper's
# best of its sweep 79%); lrX: the table's recipe (3.2M, 1,000 × 64, lr 1e-3) at lr X (plan small-lr)
# 2k-bN: the paper's 2,000 steps at its swept batch N (128-1,024), lr and warm-up otherwise the run's (plans
# small-budget, at the table's lr 1e-3; pythia-batch, at the 113M's best swept lr so far, 1e-3, where batch 128 gave
# 10→20 (16%) and 10→19 (47%))
VARIANTS = {"2k": dict(steps=2000, batch=128, lr=5e-4, warmup=100),
            **{f"2k-lr{x}": dict(steps=2000, batch=128, lr=float(x), warmup=100) for x in ("3e-4", "1e-3")},
            **{f"2k-b{n}": dict(steps=2000, batch=n, warmup=100) for n in (256, 1024)},
            **{f"2k-b{n}-lr1e-3": dict(steps=2000, batch=n, lr=1e-3, warmup=100) for n in (256, 512)},
            "2k-b256-rope1": dict(steps=2000, batch=256, warmup=100, overrides={"rotary_pct": 1.0}),
            **{f"lr{x}": dict(lr=float(x)) for x in ("3e-4", "3e-3")},
            "rope1": dict(overrides={"rotary_pct": 1.0}), "3k": dict(steps=3000), "4k": dict(steps=4000),
            "8k-lr1e-3": dict(steps=8000, lr=1e-3),
            "fb1": dict(overrides={"forget_bias": 1.0}), "fp32": dict(overrides={"recurrence_precision": "fp32"}),
            "autocast": dict(overrides={"recurrence_precision": "autocast"})}


@dataclass
class Run:
    task: str
    backbone: str
    seed: int
    regime: str = "interactive"
    lengths: list[int] = field(default_factory=list)
    episodes: int = 64
    plan: str = "table"
    variant: str = ""  # a key of VARIANTS
    preset: str = ""  # a backbone preset other than the task's (its own run id and name)

    @property
    def id(self) -> str:
        regime = "" if self.regime == "interactive" else f"-{self.regime}"
        variant = f"-{self.variant}" if self.variant else ""
        preset = f"-{self.preset}" if self.preset else ""
        return f"{self.task}-{self.backbone}{preset}{variant}{regime}-s{self.seed}"

    @property
    def size(self) -> str:
        return self.preset or TASKS[self.task].get("sizes", {}).get(self.backbone, RECIPES[self.backbone][0])

    def train_config(self, device: str, out: Path, steps: int | None = None, kernels: bool = False) -> dict:
        _, lr, overrides = RECIPES[self.backbone]
        size = self.size
        recipe = TASKS[self.task].get("recipes", {}).get(self.backbone, {})
        variant = VARIANTS.get(self.variant, {})
        overrides = {**overrides, **recipe.get("overrides", {}), **variant.get("overrides", {})}
        if kernels and "use_kernels" in overrides:
            overrides = {**overrides, "use_kernels": True}
        t = {"lr": lr, "warmup": 50, **TASKS[self.task], **recipe, **variant, **({"steps": steps} if steps else {})}
        return {"tasks": [{"name": self.task, "max_length": t["train"]}], "regime": self.regime,
                "backbone": self.backbone, "size": size, "overrides": overrides, "steps": t["steps"],
                "batch_size": t["batch"], "lr": t["lr"], "warmup_steps": min(t["warmup"], t["steps"] // 2),
                "seed": self.seed, "device": device,
                "val_every": 0, "val_episodes": 0, "checkpoint_every": 250, "out_dir": str(out)}


def plan(names: list[str]) -> list[Run]:
    runs: list[Run] = []
    table = ["hanoi", "logical_graph", "multiplication_nx2", "multiplication_nx1", "addition"]  # longest first
    for name in names:
        if name == "table":  # Table 1: every seed-0 run first, then seed 1
            runs += [Run(t, a, s, lengths=eval_lengths(t, a), episodes=TASKS[t].get("episodes", 64))
                     for s in (0, 1) for t in table for a in ARCHS]
        elif name == "ablation":  # App. D.7 on addition
            runs += [Run("addition", "mamba2", s, regime=r, lengths=[1, 2, 3, 4, 5, 10, 20, 50, 100], plan=name)
                     for s in (0, 1) for r in ("no-tool", "single-turn", "direct")]
        elif name == "ablation-small":  # App. D.7's answer-only variants, which the paper's Mamba learns (100% at 5
            # digits): `direct` and its reversed answer, Mamba-2 one size up (1.76M; `tiny`'s 64k learns no `direct`
            # 5-digit sum) at 8x the steps, lr 1e-3 (session 41's CPU pilot of `direct`, 4,000 steps: 62% at 5 digits,
            # rising). The CPU box trains it at ~0.31 s a step on one core. Every length from 1 to 10 digits: where it stops
            runs += [Run("addition", "mamba2", s, regime=r, lengths=[*range(1, 11), 20], plan=name, variant="8k-lr1e-3",
                         preset="small") for s in (0, 1) for r in ("direct", "direct-reversed")]
        elif name == "beyond":  # the <=5-digit models at 10,000 digits (same checkpoints as the table): every
            # fixed-memory architecture that reaches the table's 1,000 (the Transformer stops at 6-7 digits)
            runs += [Run("addition", a, s, lengths=[5, 100, 1000, 2000, 5000, 10000], episodes=16, plan=name)
                     for s in (0, 1) for a in ("mamba", "mamba2", "lstm", "gru")]
        elif name == "swa":  # the Mistral-style sliding-window Transformer, where time allows
            runs += [Run(t, "swa-transformer", s, lengths=eval_lengths(t, "swa-transformer"),
                         episodes=TASKS[t].get("episodes", 64), plan=name) for s in (0, 1) for t in table]
        elif name == "rope":  # the Transformer with RoPE on the whole head where the table's keeps Pythia's 0.25
            runs += [Run(t, "transformer", s, lengths=eval_lengths(t, "transformer"), plan=name, variant="rope1")
                     for s in (0, 1) for t in ("multiplication_nx1", "multiplication_nx2")]
        elif name == "pythia-paper":  # the Pythia-style Transformer at the paper's shape and training budget, where
            # the table's 3.2M at 1,000 x 64 stops short of the paper's Pythia on n×1 (15 vs 20 digits) and n×2
            runs += [Run(t, "transformer", s, lengths=eval_lengths(t, "transformer"), plan=name, variant="2k",
                         preset="paper") for t in ("multiplication_nx1", "multiplication_nx2") for s in (0, 1)]
        elif name == "pythia-lr":  # plan pythia-paper's n×1 at the swept lrs nearest its 5e-4 (VARIANTS)
            runs += [Run("multiplication_nx1", "transformer", s, lengths=eval_lengths("multiplication_nx1", "transformer"),
                         plan=name, variant=v, preset="paper") for s in (0, 1) for v in ("2k-lr1e-3", "2k-lr3e-4")]
        elif name == "small-lr":  # the table's 3.2M n×1 Transformer (10→15 (12%) in both seeds) at other lrs
            runs += [Run("multiplication_nx1", "transformer", s, lengths=eval_lengths("multiplication_nx1", "transformer"),
                         plan=name, variant=v) for s in (0, 1) for v in ("lr3e-4", "lr3e-3")]
        elif name == "small-budget":  # the table's 3.2M Transformer at the paper's 2,000 steps and its largest
            # batch, 1,024 (32x the table's trajectories), on n×1 and n×2; and at batch 256 on n×1 (8x)
            runs += [Run(t, "transformer", s, lengths=eval_lengths(t, "transformer"), plan=name, variant=v)
                     for t, v in (("multiplication_nx1", "2k-b1024"), ("multiplication_nx2", "2k-b1024"),
                                  ("multiplication_nx1", "2k-b256")) for s in (0, 1)]
        elif name == "rope-budget":  # rope1 (the 3.2M that computes furthest on n×1: 18-19 digits) at 2k-b256
            runs += [Run("multiplication_nx1", "transformer", s, lengths=eval_lengths("multiplication_nx1", "transformer"),
                         plan=name, variant="2k-b256-rope1") for s in (0, 1)]
        elif name == "ct-steps":  # code tracing at twice its 2,000 steps: not exact at its training length (69-95% at
            # 10 statements), and session 10's diagnosis saw its copies still improving at 2,000. Mamba-2 `tiny` (64k
            # parameters) first; it and Mamba-1 `tiny` (73k) trained on the CPU box (~1.3-1.7 s a step on one core),
            # the RNNs and the Transformer on an H100 (the RNNs take ~6 s a step on one core)
            runs += [Run("code_tracing", a, s, lengths=TASKS["code_tracing"]["lengths"], plan=name, variant="4k")
                     for a in ["mamba2"] + [a for a in ARCHS if a != "mamba2"] for s in (0, 1)]
        elif name == "sort-steps":  # sorting at 4x its 1,000 steps, as ct-steps lifted code tracing: only Mamba-1 seed 0
            # of the fixed-memory runs is exact past 100 elements; Mamba-2 first (Triton kernels, no build;
            # ~4.4 s a step on one CPU core, so a GPU's), then the RNNs and Mamba-1 (its kernel needs the build)
            runs += [Run("sorting", a, s, lengths=TASKS["sorting"]["lengths"], plan=name, variant="4k")
                     for a in ["mamba2"] + [a for a in ARCHS if a not in ("mamba2", "transformer")] for s in (0, 1)]
        elif name == "hanoi-steps":  # Hanoi's Transformer at 3,000 steps, ~twice its recipe's 1,600: seed 0 stops at 7
            # disks (75%) in all four trainings of the recipe, seed 1 reaches 8 (100%); not tried before: more steps
            runs += [Run("hanoi", "transformer", s, lengths=eval_lengths("hanoi", "transformer"), plan=name, variant="3k",
                         episodes=TASKS["hanoi"]["episodes"]) for s in (0, 1)]
        elif name == "pythia-batch":  # the 113M n×1 at batch 256 and 512 (the paper swept 128-1,024), lr 1e-3: batch
            # 256 lifted seed 0 from 16% (batch 128) to 55% at 20 digits, the paper's 79%; 512 is the next of its sweep
            runs += [Run("multiplication_nx1", "transformer", s, lengths=eval_lengths("multiplication_nx1", "transformer"),
                         plan=name, variant=f"2k-b{n}-lr1e-3", preset="paper") for n in (256, 512) for s in (0, 1)]
        elif name == "value-lookup":  # the logical graph on the value-lookup oracle, RNNs first
            t = TASKS["logical_graph_value_lookup"]
            runs += [Run("logical_graph_value_lookup", a, s, lengths=t["lengths"], plan=name, episodes=t["episodes"])
                     for s in (0, 1) for a in ("gru", "lstm", "mamba2", "mamba", "transformer")]
        elif name == "lstm-3k":  # the LSTM on the value-lookup oracle at twice the steps (still learning at 1,500)
            t = TASKS["logical_graph_value_lookup"]
            runs += [Run("logical_graph_value_lookup", "lstm", s, lengths=t["lengths"], plan=name, variant="3k",
                         episodes=t["episodes"]) for s in (0, 1)]
        elif name in ("repeats", "repeats-seeds"):  # the GRU trained on more labels that repeat a digit (its
            # miscopies, session 18); repeats-seeds: seeds 2-5, since seed 0 reached 94% at 1,000 gates and seed 1 31%.
            # Seeds 0 and 1 ran their recurrence in float16 (before 2026-12-06), and seeds 2-5 are more seeds of that
            # recipe (RNN_TABLE_PRECISION), under the same agent name: in float32 the same seed 0 reached 0% at 1,000
            # gates (session 23, plan repeats-fp32)
            t = TASKS["logical_graph_value_lookup_repeats"]
            runs += [Run("logical_graph_value_lookup_repeats", "gru", s, lengths=t["lengths"], plan=name,
                         episodes=t["episodes"]) for s in ((0, 1) if name == "repeats" else (2, 3, 4, 5))]
        elif name == "lstm-fb":  # the LSTM with its forget gate open at the start, on the logical graph's two oracles
            runs += [Run(t, "lstm", s, lengths=TASKS[t]["lengths"], plan=name, variant="fb1", episodes=TASKS[t]["episodes"])
                     for s in (0, 1) for t in ("logical_graph", "logical_graph_value_lookup_repeats")]
        elif name == "rnn-medium":  # the logical graph's RNNs at twice `small`'s width (they fall short at `small`)
            runs += [Run("logical_graph", a, s, lengths=TASKS["logical_graph"]["lengths"], plan=name, preset="medium",
                         episodes=TASKS["logical_graph"]["episodes"]) for s in (0, 1) for a in ("gru", "lstm")]
        elif name == "rnn-fp32":  # the logical graph's GRU and LSTM again, the recurrence in float32 (above)
            runs += [Run("logical_graph", a, s, lengths=TASKS["logical_graph"]["lengths"], plan=name, variant="fp32",
                         episodes=TASKS["logical_graph"]["episodes"]) for s in (0, 1) for a in ("gru", "lstm")]
        elif name == "repeats-fp32":  # the repeats oracle (the GRU's 94% at 1,000 gates in float16) for both RNNs in
            # float32, where the LSTM converges on the table's oracle (session 22)
            t = TASKS["logical_graph_value_lookup_repeats"]
            runs += [Run("logical_graph_value_lookup_repeats", a, s, lengths=t["lengths"], plan=name, variant="fp32",
                         episodes=t["episodes"]) for s in (0, 1) for a in ("gru", "lstm")]
        elif name == "runs-fp32":  # the float32 LSTM on the runs stream, where on the repeats stream it miscounted
            # runs of equal digits (session 23: 7.7e-4 per copy, 81% at 1,000 gates)
            t = TASKS["logical_graph_value_lookup_runs"]
            runs += [Run("logical_graph_value_lookup_runs", "lstm", s, lengths=t["lengths"], plan=name, variant="fp32",
                         episodes=t["episodes"]) for s in (0, 1)]
        elif name == "runs-gru":  # the float16 GRU (the repeats oracle's 94 / 31 / 81% at 1,000 gates, seeds 0-2) on
            # the runs stream, where the float32 LSTM reached 100% at 1,000 in both seeds (sessions 24-25): do its
            # label copies also improve with labels with runs of equal digits? The repeats GRU's recipe otherwise
            t = TASKS["logical_graph_value_lookup_runs"]
            runs += [Run("logical_graph_value_lookup_runs", "gru", s, lengths=t["lengths"], plan=name,
                         episodes=t["episodes"]) for s in (0, 1, 2)]  # seed 2: seeds 0-1 scored 6 / 88% at 1,000
        elif name == "lstm-precision":  # the LSTM's seed 1 with the recurrence in float32 and as autocast casts it
            runs += [Run("logical_graph", "lstm", 1, lengths=TASKS["logical_graph"]["lengths"], plan=name, variant=v,
                         episodes=TASKS["logical_graph"]["episodes"]) for v in ("fp32", "autocast")]
        elif name == "extra":  # tasks past the paper
            runs += [Run(t, a, s, lengths=TASKS[t]["lengths"], plan=name)
                     for s in (0, 1) for t in ("sorting", "code_tracing") for a in ARCHS]
        else:
            raise SystemExit(f"unknown plan {name!r}: table, ablation, ablation-small, beyond, extra, swa, rope, pythia-paper, pythia-lr, small-lr, "
                             "small-budget, rope-budget, pythia-batch, ct-steps, sort-steps, hanoi-steps, rnn-medium, "
                             "value-lookup, lstm-3k, repeats, repeats-seeds, lstm-fb, rnn-fp32, lstm-precision, repeats-fp32, runs-fp32, runs-gru")
    return runs


def commands(run: Run, args) -> list[list[str]]:
    """The shell commands of a run (train, then evaluate)."""
    ckpt = Path(args.runs) / run.id  # a `beyond` run scores the table run's checkpoint
    cfg_path = Path(args.runs) / f"{run.id}.config.json"
    cli = [sys.executable, "-m", "toolenv.cli"]
    train = [*cli, "train", "--config", str(cfg_path), "--out", str(ckpt),
             *(["--micro-batch", str(args.micro_batch)] if getattr(args, "micro_batch", None) else [])]
    board = Path(args.board) / (f"{run.id}-{run.plan}.json" if run.plan == "beyond" else f"{run.id}.json")
    name = (f"{run.backbone}-{run.size}" + (f"-{run.variant}" if run.variant else "")
            + ("" if run.regime == "interactive" else f"-{run.regime}"))
    # not for the full-attention Transformer: its KV cache grows with the episode (64 rows of 400k tokens at
    # 1,000 gates); the sliding-window one keeps a ring of `window` slots, like the SSMs' and RNNs' fixed states
    fixed_memory = run.backbone != "transformer"
    together = TASKS[run.task].get("gpu_together") if args.device.startswith("cuda") and fixed_memory else None
    batching = (["--batch-size", str(run.episodes * together), "--together"] if together
                else ["--batch-size", str(run.episodes), "--stop-at-zero"])
    evaluate = [*cli, "eval", str(ckpt), "--lengths", ",".join(map(str, run.lengths)), "--episodes",
                str(run.episodes), *batching, "--device", args.device,
                *(["--cuda-graphs", "off"] if args.no_graphs else []),
                "--name", f"{name}-s{run.seed}" + ("-10k" if run.plan == "beyond" else ""), "--out", str(board)]
    return [train, evaluate]


def launch(run: Run, args) -> subprocess.Popen:
    Path(args.runs).mkdir(parents=True, exist_ok=True)
    base = Run(run.task, run.backbone, run.seed, run.regime, variant=run.variant, preset=run.preset)
    cfg_path = Path(args.runs) / f"{run.id}.config.json"
    cfg_path.write_text(json.dumps(base.train_config(args.device, Path(args.runs) / run.id, args.steps, args.kernels), indent=1))
    script = " && ".join(shlex.join(c) for c in commands(run, args))
    log = open(Path(args.runs) / f"{run.id}-{run.plan}.log", "a")  # noqa: SIM115 (closed by the child's exit)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONUNBUFFERED": "1",
           "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}
    return subprocess.Popen(["bash", "-c", script], stdout=log, stderr=subprocess.STDOUT, env=env)


def done(run: Run, args) -> bool:
    board = Path(args.board) / (f"{run.id}-{run.plan}.json" if run.plan == "beyond" else f"{run.id}.json")
    return board.exists()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", default="table,ablation,beyond,extra,swa,rope")
    parser.add_argument("--tasks", default=None, help="comma-separated: keep only these tasks")
    parser.add_argument("--backbones", default=None, help="comma-separated: keep only these backbones")
    parser.add_argument("--seeds", default=None, help="comma-separated: keep only these seeds")
    parser.add_argument("--steps", type=int, default=None, help="training steps instead of the task's (smoke tests)")
    parser.add_argument("--kernels", action="store_true", help="Mamba/Mamba-2 on mamba-ssm's kernels (built "
                        "with scripts/gpu_build.sh) instead of their PyTorch paths")
    parser.add_argument("--no-graphs", action="store_true", help="score on the eager loop (toolenv eval "
                        "--cuda-graphs off) instead of CUDA-graph replays where they apply")
    parser.add_argument("--micro-batch", type=int, default=None, help="rows per forward/backward in training "
                        "(toolenv train --micro-batch: the same steps in less GPU memory)")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per run (OMP_NUM_THREADS)")
    parser.add_argument("--tag", default="", help="names this queue's summary, runs/<tag>queue.json, when "
                        "several queues share one --runs folder (e.g. a CPU and a GPU queue)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--runs", default="runs/paper")
    parser.add_argument("--board", default="leaderboards/paper")
    parser.add_argument("--deadline", type=float, default=None, help="seconds: start no run after this")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    runs = plan(args.plan.split(","))
    import toolenv

    missing = sorted({r.task for r in runs} - set(toolenv.list_tasks()))
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}", flush=True)
        runs = [r for r in runs if r.task not in missing]
    for attr, keep in (("task", args.tasks), ("backbone", args.backbones), ("seed", args.seeds)):
        if keep:
            runs = [r for r in runs if str(getattr(r, attr)) in keep.split(",")]
    if args.list:
        for r in runs:
            print(r.plan, r.id, " && ".join(shlex.join(c) for c in commands(r, args)))
        return
    Path(args.board).mkdir(parents=True, exist_ok=True)
    todo = [r for r in runs if not done(r, args)]
    # a `beyond` run reuses the table run's checkpoint: it waits until that one is done
    t0, running, finished, retried = time.time(), {}, [], set()
    print(f"{len(todo)} runs to play ({len(runs) - len(todo)} done before), {args.jobs} at a time", flush=True)
    while todo or running:
        for rid, (run, proc, start) in list(running.items()):
            if proc.poll() is not None:
                del running[rid]
                finished.append({"run": rid, "plan": run.plan, "rc": proc.returncode, "seconds": time.time() - start})
                print(f"[{time.time() - t0:6.0f}s] {rid} ({run.plan}) rc={proc.returncode} "
                      f"in {time.time() - start:.0f}s", flush=True)
                if proc.returncode != 0 and rid not in retried:  # e.g. out of GPU memory while others ran:
                    retried.add(rid)  # once more at the end of the queue (training and eval resume)
                    todo.append(run)
        late = args.deadline is not None and time.time() - t0 > args.deadline
        busy = {r.id for r, _, _ in running.values()}  # one run at a time per checkpoint folder
        while todo and len(running) < args.jobs and not late:
            pick = next((r for r in todo if r.id not in busy), None)
            if pick is None:
                break
            todo.remove(pick)
            busy.add(pick.id)
            running[pick.id + pick.plan] = (pick, launch(pick, args), time.time())
        if late and not running:
            print(f"deadline: {len(todo)} runs not started", flush=True)
            break
        time.sleep(2)
    summary = Path(args.runs) / f"{args.tag}queue.json"
    previous = json.loads(summary.read_text()) if summary.exists() else []
    summary.write_text(json.dumps(previous + finished, indent=1))


if __name__ == "__main__":
    main()
