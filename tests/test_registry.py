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


def test_a_task_module_imported_before_toolenv_still_leaves_every_built_in_task_registered():
    import subprocess

    # the task module imports toolenv halfway through itself, and toolenv's import loads the entry points
    code = ("from tasks.logical_graph import labels_with_a_run\nimport toolenv\n"
            "print(','.join(toolenv.list_tasks()))")
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=True)
    assert {"logical_graph", "logical_graph_value_lookup_runs", "addition"} <= set(done.stdout.strip().split(","))


def test_a_broken_task_plugin_warns_by_name_and_hides_no_other(monkeypatch):
    from importlib.metadata import EntryPoint

    from toolenv import registry

    bad = EntryPoint(name="broken_task", value="no_such_module_for_toolenv:Task", group=registry.TASK_GROUP)
    good = EntryPoint(name="test_reverse_plugin", value="toolenv_reverse.task:Reverse", group=registry.TASK_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [bad, good] if group == registry.TASK_GROUP else [])
    monkeypatch.setattr(registry, "_loaded", set())
    monkeypatch.setattr(registry, "_deferred", {})
    monkeypatch.delitem(registry._tasks, ExampleReverse.name, raising=False)
    with pytest.warns(UserWarning, match="broken_task.*no_such_module_for_toolenv"):
        names = toolenv.list_tasks()
    assert ExampleReverse.name in names and registry._tasks[ExampleReverse.name] is ExampleReverse
