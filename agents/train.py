"""Imitation training from oracle trajectories (teacher forcing with the loss mask).

AdamW, linear warmup then cosine decay, gradient clipping, bf16 autocast on CUDA, length-bucketed
batches generated on the fly (agents/data.py), periodic validation by real greedy rollouts at the
top training length on test-split problems, checkpoints (safetensors + JSON) and exact resume: the
data of step s is a pure function of (seed, s), and model, optimizer, scheduler and RNG states
are saved, so a run interrupted and resumed ends with the same weights as an uninterrupted one.

Several processes: start the same command under ``torchrun --nproc_per_node N`` (agents/
distributed.py): each process trains on its share of every global batch through
DistributedDataParallel, and only rank 0 validates and writes checkpoints and logs.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, field_validator
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from agents.builder import build_backbone
from agents.checkpoint import STATE_FILE, CheckpointError, CheckpointInfo, atomic_write, read_info, save_checkpoint
from agents.data import TrajectoryBatches
from agents.distributed import init_distributed
from agents.lm_agent import LMAgent
from toolenv import clock
from toolenv.regimes import check_regime
from toolenv.registry import get_task
from toolenv.rollout import rollout


class TaskMix(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    max_length: int = Field(gt=0, description="training lengths are 1..max_length")
    weight: float = Field(default=1.0, ge=0)


class TrainConfig(BaseModel):
    """Everything a training run depends on (saved in every checkpoint's config.json)."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[TaskMix] = Field(min_length=1)
    regime: str = "interactive"
    backbone: str = "mamba2"
    size: str = "tiny"
    overrides: dict[str, Any] = Field(default_factory=dict, description="backbone config fields over the preset")
    steps: int = Field(default=500, gt=0)
    batch_size: int = Field(default=32, gt=0)
    lr: float = Field(default=3e-3, gt=0)
    min_lr_ratio: float = Field(default=0.1, ge=0, le=1)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_steps: int = Field(default=30, ge=0)
    grad_clip: float = Field(default=1.0, gt=0)
    seed: int = 0
    device: str = "auto"
    val_every: int = Field(default=250, ge=0, description="0: only at the end")
    val_episodes: int = Field(default=64, ge=0)
    checkpoint_every: int = Field(default=100, gt=0)
    out_dir: str = "runs/run"

    @field_validator("regime")
    @classmethod
    def _regime(cls, v: str) -> str:
        return check_regime(v)

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if v not in ("auto", "cpu") and not v.startswith("cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {v!r}")
        return v

    def resolved_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


class TrainResult(BaseModel):
    out_dir: str
    step: int
    params: int
    wall_time_s: float
    tokens: int
    final_loss: float
    validation: list[dict[str, float]]
    device: str


def lr_factor(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def validate(backbone, cfg: TrainConfig, device: torch.device) -> float:
    """Exact accuracy of greedy rollouts at the first task's top training length (test split);
    ``cfg.val_episodes`` must be positive (0 means: no validation, and no record of one)."""
    mix = cfg.tasks[0]
    task = get_task(mix.name)
    problems = [task.problem("test", mix.max_length, i, cfg.seed) for i in range(cfg.val_episodes)]
    was_training = backbone.training
    results = rollout(LMAgent(backbone, device=device), task, problems, cfg.regime)
    backbone.train(was_training)
    return sum(r.correct for r in results) / len(results)


def train(cfg: TrainConfig, progress: bool = True, stop_after: int | None = None,
          data_workers: int | None = None, micro_batch: int | None = None) -> TrainResult:
    """Train (or resume) the run in ``cfg.out_dir``. ``stop_after``: leave after that many steps
    of this call, checkpointed, as an interruption would (tests). ``data_workers``: processes
    that generate the oracle batches ahead of the training step (the same batches, so the same
    run); None = ``default_data_workers(device)``. ``micro_batch``: rows per forward/backward
    (gradients accumulated, each slice cut after its last loss token), so activation memory
    follows the slice, not the batch; the step's gradient is the same sum (up to rounding), so
    it is not part of the run's configuration; None = the whole batch (of this process)."""
    if micro_batch is not None and micro_batch < 1:
        raise ValueError(f"micro_batch must be a positive number of rows, got {micro_batch}")
    out = Path(cfg.out_dir)
    ddp, device = init_distributed(cfg.resolved_device())
    progress = progress and ddp.main
    torch.manual_seed(cfg.seed)
    backbone = build_backbone(cfg.backbone, cfg.size, cfg.overrides).to(device)
    model = backbone  # what runs forward/backward: wrapped by DDP across processes
    if ddp.active:
        model = torch.nn.parallel.DistributedDataParallel(
            backbone, device_ids=[device.index] if device.type == "cuda" else None)
    decay = [p for n, p in backbone.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in backbone.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, 0.95),
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    data = TrajectoryBatches([(t.name, t.weight, t.max_length) for t in cfg.tasks], cfg.regime, cfg.batch_size, cfg.seed)
    state_path = out / STATE_FILE
    step, history, tokens_seen, wall = 0, [], 0, 0.0
    trained_on = str(device)  # the checkpoints' `device`: where the run trained, each device from the step it began
    if state_path.exists():
        saved = read_info(out)
        changed = recipe_changes(saved.train_config or {}, cfg.model_dump())
        if changed:
            raise CheckpointError(f"{out}: holds a run with another configuration ({'; '.join(changed)}); "
                                  "use a new out_dir to start afresh")
        state = torch.load(state_path, map_location="cpu", weights_only=False)
        backbone.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        step, history, tokens_seen, wall = state["step"], state["history"], state["tokens"], state["wall_time_s"]
        trained_on = resumed_on(saved.device, str(device), step)
        if step >= cfg.steps:
            return _result(cfg, backbone, step, wall, tokens_seen, history, device)

    def checkpoint() -> None:
        if not ddp.main:
            return
        info = CheckpointInfo(backbone=cfg.backbone, backbone_config=backbone.config.model_dump(), size=cfg.size,
                              train_config=cfg.model_dump(), step=step, params=backbone.num_parameters(),
                              wall_time_s=wall, device=trained_on)
        save_checkpoint(out, backbone, info)
        state = {"model": backbone.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "rng": torch.get_rng_state(), "step": step, "history": history, "tokens": tokens_seen,
                 "wall_time_s": wall}
        atomic_write(state_path, lambda tmp: torch.save(state, tmp))
        atomic_write(out / "train_log.json", lambda tmp: Path(tmp).write_text(json.dumps(history, indent=1)))

    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn()]
    backbone.train()
    # a log file or pipe gets a plain line every ~5% of the run instead of a progress bar
    console = Console()
    plain = progress and not console.is_terminal
    every = max(1, cfg.steps // 20)
    workers = default_data_workers(device) if data_workers is None else data_workers
    stop = cfg.steps if stop_after is None else min(cfg.steps, step + stop_after)
    batches = data.stream(step, stop, workers)
    with Progress(*columns, disable=not progress or plain, transient=False, console=console) as bar:
        job = bar.add_task(f"{cfg.backbone}/{cfg.size} {cfg.tasks[0].name}", total=cfg.steps, completed=step, info="")
        while step < stop:
            t0 = clock.now()
            batch = next(batches)
            share = ddp.shard(batch)
            opt.zero_grad(set_to_none=True)
            slices = micro_slices(share.mask, micro_batch)
            loss_sum = torch.zeros((), device=device)
            for k, (rows, width) in enumerate(slices):
                inputs, targets, mask = (x[rows, :width].to(device, non_blocking=True)
                                         for x in (share.inputs, share.targets, share.mask))
                # gradients are all-reduced once, after the last slice
                sync = ddp.active and k < len(slices) - 1
                with model.no_sync() if sync else contextlib.nullcontext():
                    with autocast:
                        logits = model(inputs)
                    # the mean over the global batch's loss tokens, whichever rows this process holds
                    part = F.cross_entropy(logits.float()[mask], targets[mask], reduction="sum")
                    (part * (ddp.world / batch.tokens)).backward()  # DDP averages gradients over processes
                loss_sum += part.detach()
            loss = ddp.sum(loss_sum) / batch.tokens
            # the norm before clipping: how often clipping acts, and how large the gradient is (session 22's
            # float16 RNN recurrence lost most of its gradient without a trace in the log)
            grad_norm = torch.nn.utils.clip_grad_norm_(backbone.parameters(), cfg.grad_clip)
            opt.step()
            sched.step()
            step += 1
            tokens_seen += batch.tokens
            loss_value = loss.item()  # waits for the device, so that the step's time holds its GPU work
            dt = clock.now() - t0
            wall += dt
            record: dict[str, float] = {"step": step, "loss": loss_value, "lr": sched.get_last_lr()[0],
                                        "grad_norm": grad_norm.item()}
            if cfg.val_every and cfg.val_episodes and step % cfg.val_every == 0 and step < cfg.steps and ddp.main:
                t1 = clock.now()
                record["val_exact"] = validate(backbone, cfg, device)
                wall += clock.now() - t1
            history.append(record)
            info = f"loss {record['loss']:.4f}  |g| {record['grad_norm']:.3g}  {batch.tokens / dt:,.0f} tok/s"
            if "val_exact" in record:
                info += f"  val {record['val_exact']:.0%}"
            if device.type == "cuda":  # the allocator's peak so far (activations, weights, optimizer state)
                info += f"  peak {torch.cuda.max_memory_allocated(device) / 2**30:.1f} GiB"
            bar.update(job, completed=step, info=info)
            if plain and (step % every == 0 or step == cfg.steps):
                print(f"step {step}/{cfg.steps}  {info}  {wall:.0f} s", flush=True)
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                if step == cfg.steps and ddp.main and cfg.val_episodes:
                    t1 = clock.now()
                    history[-1]["val_exact"] = validate(backbone, cfg, device)
                    wall += clock.now() - t1
                checkpoint()
    if step < cfg.steps:
        checkpoint()  # interrupted on purpose: leave a resumable state
    ddp.barrier()  # rank 0's last checkpoint is complete when any process returns
    return _result(cfg, backbone, step, wall, tokens_seen, history, device)


# where a run trains and where it is written, not what it learns: a run may resume on another device or from a
# moved folder (a lease's trainer state finished on a CPU box). Across devices the arithmetic differs (bf16
# autocast on CUDA, float32 on the CPU), so the checkpoint's `device` names each one and the step it began
PLACEMENT = ("device", "out_dir")


def recipe_changes(saved: dict, current: dict) -> list[str]:
    """The fields, other than PLACEMENT, in which two training configurations differ, as
    ``field: saved -> current``; empty when the current one may resume the saved run."""
    return [f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in sorted(set(saved) | set(current))
            if k not in PLACEMENT and saved.get(k) != current.get(k)]


def resumed_on(saved: str | None, device: str, step: int) -> str:
    """The checkpoint's `device` after resuming at ``step`` on ``device``: unchanged on the same device,
    else ``'<saved>, then <device> from step <step>'``."""
    if not saved or saved.rsplit(", then ", 1)[-1].split(" from step ")[0] == device:
        return saved or device
    return f"{saved}, then {device} from step {step}"


def micro_slices(mask: torch.Tensor, micro_batch: int | None) -> list[tuple[slice, int]]:
    """(rows, width) of each forward/backward for a [B, T] loss mask: ``micro_batch`` rows at a
    time (all when None), each cut after its last loss position; the models are causal, so the
    positions cut affect no loss term. A slice without a loss token keeps one column: every
    process runs as many backward passes as the others (DDP's all-reduce pairs them)."""
    rows = mask.shape[0]
    step = rows if micro_batch is None else micro_batch
    out = []
    for r0 in range(0, rows, step):
        cols = mask[r0 : r0 + step].any(0).nonzero()
        out.append((slice(r0, r0 + step), int(cols[-1]) + 1 if len(cols) else 1))
    return out


def _result(cfg, backbone, step, wall, tokens, history, device) -> TrainResult:
    return TrainResult(out_dir=cfg.out_dir, step=step, params=backbone.num_parameters(), wall_time_s=wall,
                       tokens=tokens, final_loss=history[-1]["loss"] if history else float("nan"),
                       validation=[h for h in history if "val_exact" in h], device=str(device))


def default_data_workers(device: torch.device) -> int:
    """Background data processes: on an accelerator, up to 4 (the oracle's Python would
    otherwise leave it idle between steps); on the CPU none (the cores train)."""
    if device.type == "cpu":
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def thread_hint() -> None:
    """Use every core for intra-op work unless the user said otherwise."""
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(os.cpu_count() or 1)
