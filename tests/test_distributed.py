"""Data-parallel training: `torchrun --nproc_per_node 2 -m toolenv.cli train` (gloo on CPU) follows
the single-process loss curve at the same global batch and ends with the same weights, up to float
rounding; only rank 0 writes the checkpoint. (On GPUs the same code runs over NCCL.)"""

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from agents.data import Batch
from agents.distributed import Distributed

CONFIG = {"tasks": [{"name": "addition", "max_length": 3}], "backbone": "mamba2", "size": "tiny", "steps": 6,
          "batch_size": 8, "lr": 3e-3, "warmup_steps": 2, "val_every": 0, "val_episodes": 0, "device": "cpu",
          "checkpoint_every": 100}


def train_cli(tmp_path, name, launcher, *flags):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(CONFIG))
    out = tmp_path / name
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([*launcher, "-m", "toolenv.cli", "train", "--config", str(cfg), "--out", str(out), *flags],
                   check=True, env=env, capture_output=True, text=True, timeout=300)
    return json.loads((out / "train_log.json").read_text()), load_file(out / "model.safetensors")


@pytest.mark.slow
def test_two_processes_follow_the_single_process_loss_curve(tmp_path):
    one, w1 = train_cli(tmp_path, "one", [sys.executable])
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    two, w2 = train_cli(tmp_path, "two", torchrun)
    # each process's 4 rows in slices of 3 and 1: gradients all-reduced once per step, after the last slice
    micro, w3 = train_cli(tmp_path, "two-micro", torchrun, "--micro-batch", "3")
    assert one[-1]["loss"] < one[0]["loss"]  # it trained
    for curve, weights in ((two, w2), (micro, w3)):
        assert [h["step"] for h in curve] == [h["step"] for h in one] == list(range(1, 7))
        for a, b in zip(one, curve):
            assert b["loss"] == pytest.approx(a["loss"], rel=1e-4)
        assert w1.keys() == weights.keys()
        for k in w1:
            torch.testing.assert_close(weights[k], w1[k], rtol=1e-3, atol=1e-5)


def test_each_rank_takes_its_contiguous_share_and_uneven_batches_are_refused():
    x = torch.arange(12).view(6, 2)
    batch = Batch(x, x + 1, x > 3)
    shares = [Distributed(rank=r, world=3).shard(batch) for r in range(3)]
    assert torch.equal(torch.cat([s.inputs for s in shares]), x)
    assert torch.equal(torch.cat([s.mask for s in shares]), x > 3)
    assert Distributed().shard(batch) is batch
    with pytest.raises(ValueError, match="not divisible by the 4 processes"):
        Distributed(rank=0, world=4).shard(batch)
