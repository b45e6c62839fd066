"""Checkpoints: ``model.safetensors`` + ``config.json`` (+ ``trainer_state.pt`` for resuming).

``config.json`` holds everything needed to rebuild the model (backbone name and its full config)
and to re-run the training (the TrainConfig). Loading validates both files and names what is
wrong: a missing or truncated file, an unknown backbone, a config that no longer validates,
tensors with the wrong names or shapes, a vocabulary of another size.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from agents.backbone import Backbone
from agents.builder import backbone_class
from toolenv import __version__, vocab
from toolenv.errors import ToolEnvError

MODEL_FILE, CONFIG_FILE, STATE_FILE = "model.safetensors", "config.json", "trainer_state.pt"


class CheckpointError(ToolEnvError):
    """A checkpoint that cannot be loaded; the message names the file and the problem."""


class CheckpointInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    format: int = 1
    backbone: str
    backbone_config: dict[str, Any]
    size: str | None = None
    train_config: dict[str, Any] | None = None
    step: int = 0
    params: int = 0
    wall_time_s: float | None = None  # training wall time up to this step
    device: str | None = None  # where it trained
    toolenv_version: str = __version__
    vocab_size: int = vocab.VOCAB_SIZE


def atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_checkpoint(directory: str | Path, backbone: Backbone, info: CheckpointInfo) -> None:
    directory = Path(directory)
    tensors = {k: v.detach().cpu().contiguous() for k, v in backbone.state_dict().items()}
    # tied weights appear twice in state_dict; safetensors refuses shared storage
    seen: dict[int, str] = {}
    for k in list(tensors):
        ptr = tensors[k].data_ptr()
        if ptr in seen:
            tensors[k] = tensors[k].clone()
        seen[ptr] = k
    atomic_write(directory / MODEL_FILE, lambda tmp: save_file(tensors, tmp))
    atomic_write(directory / CONFIG_FILE, lambda tmp: Path(tmp).write_text(info.model_dump_json(indent=2)))


def read_info(directory: str | Path) -> CheckpointInfo:
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: missing (is {directory} a toolenv checkpoint folder?)")
    try:
        return CheckpointInfo.model_validate(json.loads(path.read_text()))
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None
    except ValidationError as e:
        raise CheckpointError(f"{path}: invalid checkpoint config: {e}") from None


def load_backbone(directory: str | Path, device: str | torch.device = "cpu") -> tuple[Backbone, CheckpointInfo]:
    """Rebuild the backbone and load its weights; raises CheckpointError on any mismatch."""
    directory = Path(directory)
    info = read_info(directory)
    if info.vocab_size != vocab.VOCAB_SIZE:
        raise CheckpointError(
            f"{directory}: trained with a vocabulary of {info.vocab_size} tokens, this toolenv has {vocab.VOCAB_SIZE}"
        )
    try:
        cls = backbone_class(info.backbone)
    except Exception as e:
        raise CheckpointError(f"{directory / CONFIG_FILE}: backbone {info.backbone!r} unavailable: {e}") from None
    try:
        backbone = cls(cls.config_class(**info.backbone_config))
    except ValidationError as e:
        raise CheckpointError(f"{directory / CONFIG_FILE}: backbone_config does not validate: {e}") from None
    path = directory / MODEL_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: missing")
    try:
        tensors = load_file(path)
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: unreadable or truncated safetensors file ({e})") from None
    expected = backbone.state_dict()
    missing, unexpected = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{path}: tensor names do not match {info.backbone}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for k, v in expected.items():
        if tuple(v.shape) != tuple(tensors[k].shape):
            raise CheckpointError(f"{path}: tensor {k} has shape {tuple(tensors[k].shape)}, the config gives {tuple(v.shape)}")
    backbone.load_state_dict(tensors)
    return backbone.to(device), info


def load_agent(directory: str | Path, device: str | torch.device = "cpu", **agent_kwargs: Any):
    """An LMAgent on the checkpoint's backbone."""
    from agents.lm_agent import LMAgent

    backbone, _ = load_backbone(directory, device)
    return LMAgent(backbone, device=device, **agent_kwargs)
