"""Checkpoints round-trip; corrupt or mismatched ones fail with a message naming the problem."""

import json

import pytest
import torch

from agents.builder import build_backbone
from agents.checkpoint import CheckpointError, CheckpointInfo, load_agent, load_backbone, save_checkpoint


@pytest.fixture
def ckpt(tmp_path):
    torch.manual_seed(0)
    m = build_backbone("mamba2", "tiny")
    save_checkpoint(tmp_path, m, CheckpointInfo(backbone="mamba2", backbone_config=m.config.model_dump(), params=m.num_parameters()))
    return tmp_path, m


def test_round_trip(ckpt):
    path, m = ckpt
    loaded, info = load_backbone(path)
    assert info.backbone == "mamba2" and info.params == m.num_parameters()
    for k, v in m.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k])
    assert load_agent(path).backbone.config == m.config


def test_truncated_weights(ckpt):
    path, _ = ckpt
    data = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_backbone(path)


def test_missing_files_and_bad_json(ckpt, tmp_path_factory):
    path, _ = ckpt
    with pytest.raises(CheckpointError, match="config.json: missing"):
        load_backbone(tmp_path_factory.mktemp("empty"))
    (path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_backbone(path)


def _edit(path, **changes):
    info = json.loads((path / "config.json").read_text())
    for k, v in changes.items():
        if isinstance(v, dict):
            info[k].update(v)
        else:
            info[k] = v
    (path / "config.json").write_text(json.dumps(info))


@pytest.mark.parametrize("changes,message", [
    ({"vocab_size": 99}, "vocabulary of 99"),
    ({"backbone": "nonexistent"}, "backbone 'nonexistent' unavailable"),
    ({"backbone_config": {"d_model": 96}}, "has shape"),
    ({"backbone_config": {"bogus": 1}}, "does not validate"),
    ({"backbone": "lstm"}, "does not validate"),
])
def test_mismatched_config(ckpt, changes, message):
    path, _ = ckpt
    _edit(path, **changes)
    with pytest.raises(CheckpointError, match=message):
        load_backbone(path)
