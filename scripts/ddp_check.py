"""Does data-parallel training on N GPUs follow the one-GPU loss curve at the same global batch?

Trains the same config twice with ``toolenv train``: one process, then ``torchrun
--nproc_per_node N`` (NCCL, one GPU per process), and compares the two ``train_log.json`` loss
curves step by step and the final weights. Prints a table and writes a JSON summary.

Usage (on a machine with N GPUs):
  python scripts/ddp_check.py --gpus 2 --out runs/ddp [--backbone mamba2 --size tiny --steps 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def train(config: Path, out: Path, launcher: list[str]) -> float:
    t0 = time.time()
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    subprocess.run([*launcher, "-m", "toolenv.cli", "train", "--config", str(config), "--out", str(out)],
                   check=True, env=env)
    return time.time() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gpus", type=int, default=2)
    p.add_argument("--backbone", default="mamba2")
    p.add_argument("--size", default="tiny")
    p.add_argument("--task", default="addition")
    p.add_argument("--max-length", type=int, default=5)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=64, help="the global batch (divisible by --gpus)")
    p.add_argument("--out", default="runs/ddp")
    args = p.parse_args()
    import torch
    from safetensors.torch import load_file

    if torch.cuda.device_count() < args.gpus:
        raise SystemExit(f"{args.gpus} GPUs asked for, {torch.cuda.device_count()} visible")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = out / "config.json"
    config.write_text(json.dumps({
        "tasks": [{"name": args.task, "max_length": args.max_length}], "backbone": args.backbone, "size": args.size,
        "steps": args.steps, "batch_size": args.batch_size, "lr": 3e-3, "warmup_steps": 50, "seed": 0,
        "device": "cuda", "val_every": 0, "val_episodes": 0, "checkpoint_every": args.steps}, indent=1))
    seconds = {"one": train(config, out / "one", [sys.executable]),
               "many": train(config, out / "many", [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                                    "--nproc_per_node", str(args.gpus)])}
    one = json.loads((out / "one" / "train_log.json").read_text())
    many = json.loads((out / "many" / "train_log.json").read_text())
    assert [h["step"] for h in one] == [h["step"] for h in many], "the two logs cover different steps"
    rel = [abs(b["loss"] - a["loss"]) / abs(a["loss"]) for a, b in zip(one, many)]
    w1, w2 = load_file(out / "one" / "model.safetensors"), load_file(out / "many" / "model.safetensors")
    weight_rel = max(float((w2[k].float() - w1[k].float()).norm() / (w1[k].float().norm() + 1e-12)) for k in w1)
    summary = {
        "config": json.loads(config.read_text()), "gpus": args.gpus, "gpu": torch.cuda.get_device_name(0),
        "steps": len(one), "loss_first": [one[0]["loss"], many[0]["loss"]], "loss_last": [one[-1]["loss"], many[-1]["loss"]],
        "loss_rel_diff_max": max(rel), "loss_rel_diff_mean": sum(rel) / len(rel),
        "loss_rel_diff_first_10_max": max(rel[:10]), "weights_rel_diff_max": weight_rel,
        "seconds": seconds, "curves": {"one": [h["loss"] for h in one], "many": [h["loss"] for h in many]},
    }
    (out / "ddp_check.json").write_text(json.dumps(summary, indent=1))
    print(f"{args.backbone}-{args.size} on {args.task}, {len(one)} steps at global batch {args.batch_size}: "
          f"1 GPU vs {args.gpus} GPUs")
    for k in sorted({0, 1, 2, 4, 9, 49, 99, len(one) // 2, len(one) - 1}):
        if k < len(one):
            print(f"  step {one[k]['step']:5d}  loss {one[k]['loss']:.6f}  {many[k]['loss']:.6f}  rel diff {rel[k]:.2e}")
    print(f"  max rel diff {max(rel):.2e} (first 10 steps {max(rel[:10]):.2e}), mean {sum(rel) / len(rel):.2e}; "
          f"final weights max rel diff {weight_rel:.2e}; wall {seconds['one']:.0f} s vs {seconds['many']:.0f} s")


if __name__ == "__main__":
    main()
