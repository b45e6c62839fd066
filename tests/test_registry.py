"""A task written outside tasks/ registers and works everywhere a built-in does."""

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import toolenv
from toolenv.checks import check_task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "toolenv-reverse"))
from toolenv_reverse.task import Reverse as ExampleReverse  # noqa: E402


class Reverse(ExampleReverse):
    """The example plugin's task (examples/toolenv-reverse), registered here by hand instead."""

    name = "test_reverse"


def test_outside_task_registers_and_runs_through_gymnasium_make():
    toolenv.register_task(Reverse)
    assert "test_reverse" in toolenv.list_tasks()
    assert toolenv.gym_id("test_reverse") == "toolenv/TestReverse-v0"
    env = gym.make("toolenv/TestReverse-v0", length=12)
    obs, info = env.reset(seed=1)
    for action in toolenv.get_task("test_reverse").oracle(info["problem"]).actions():
        obs, reward, terminated, truncated, info = env.step(action)
    assert terminated and reward == 1.0 and info["output"] == info["answer"]
    check_task("test_reverse", lengths=(1, 4))


def test_registration_rejects_bad_tasks():
    with pytest.raises(TypeError, match="Task subclass"):
        toolenv.register_task(dict)

    class NoName(Reverse):
        name = "Bad Name"

    with pytest.raises(ValueError, match="must match"):
        toolenv.register_task(NoName)

    class Clash(Reverse):
        name = "addition"

    with pytest.raises(ValueError, match="already registered"):
        toolenv.register_task(Clash)


def test_check_task_catches_a_lying_checker():
    class Lax(Reverse):
        name = "test_lax"

        def check(self, problem, output):
            return True

    toolenv.register_task(Lax)
    with pytest.raises(AssertionError, match="corrupted answer"):
        check_task("test_lax", lengths=(3,))


def test_unknown_names_list_what_exists():
    with pytest.raises(toolenv.UnknownTaskError, match="addition"):
        toolenv.get_task("additon")
    with pytest.raises(toolenv.UnknownAgentError, match="import path"):
        toolenv.get_agent_class("no-such-backbone")
    with pytest.raises(toolenv.UnknownAgentError, match="cannot import"):
        toolenv.get_agent_class("nowhere.module:Thing")
    assert toolenv.get_agent_class("numpy:ndarray") is np.ndarray
