"""The published weights (checkpoints/) load and do what their leaderboard entries say at the
training length (8 of 8 right: a coin-flip answer passes 1 time in 256)."""

import json
from pathlib import Path

import pytest

from agents.checkpoint import load_agent, read_info
from toolenv.registry import get_task
from toolenv.rollout import rollout

FOLDERS = sorted(p.parent for p in (Path(__file__).parent.parent / "checkpoints").glob("*/*/model.safetensors"))


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_published_checkpoint_solves_its_task_at_the_training_length(folder):
    info = read_info(folder)
    mix = info.train_config["tasks"][0]
    task = get_task(mix["name"])
    problems = [task.problem("test", mix["max_length"], i) for i in range(8)]
    results = rollout(load_agent(folder), task, problems, info.train_config["regime"])
    assert [r.correct for r in results] == [True] * 8
    assert json.loads((folder / "train_log.json").read_text())[-1]["step"] == info.train_config["steps"]


def test_checkpoints_are_listed_in_their_readme():
    readme = (Path(__file__).parent.parent / "checkpoints" / "README.md").read_text()
    for folder in FOLDERS:
        assert f"`{folder.parent.name}/{folder.name}`" in readme
