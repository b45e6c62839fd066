"""Registries of tasks and agents (backbones), fed by ``register_*`` calls and entry points.

Tasks: ``register_task(cls)`` adds the task and its Gymnasium id ``toolenv/<CamelName>-v0``.
Installed packages contribute tasks through the entry-point group ``toolenv.tasks`` and agents
through ``toolenv.agents`` (each entry point names a class); they load on first lookup, so a
task defined in another package works with ``gymnasium.make`` and every CLI command.
Agents can also be named by import path, ``"package.module:Class"``. A task entry point that fails
while toolenv itself is being imported (an import cycle: a task module imported before toolenv) is
tried again at the next ``list_tasks``/``get_task``, and warns, naming itself, only if it fails there.
"""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from importlib.metadata import entry_points
from typing import Any

import gymnasium as gym

from toolenv.errors import UnknownAgentError, UnknownTaskError
from toolenv.task import Task

TASK_GROUP = "toolenv.tasks"
AGENT_GROUP = "toolenv.agents"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_tasks: dict[str, type[Task]] = {}
_agents: dict[str, type] = {}
_loaded: set[str] = set()


def gym_id(task_name: str) -> str:
    """``"code_tracing"`` -> ``"toolenv/CodeTracing-v0"``."""
    return "toolenv/" + "".join(part.capitalize() for part in task_name.split("_")) + "-v0"


def register_task(cls: type[Task], *, replace: bool = False) -> type[Task]:
    """Register a Task subclass (usable as a class decorator). Raises on a bad or taken name."""
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise TypeError(f"register_task expects a Task subclass, got {cls!r}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{cls.__qualname__}.name must match [a-z][a-z0-9_]*, got {name!r}")
    if name in _tasks and _tasks[name] is not cls and not replace:
        raise ValueError(f"task {name!r} is already registered by {_tasks[name].__module__}")
    _tasks[name] = cls
    env_id = gym_id(name)
    if env_id in gym.registry:
        del gym.registry[env_id]
    gym.register(id=env_id, entry_point="toolenv.env:ToolEnv", kwargs={"task": name})
    return cls


_deferred: dict[str, list] = {}


def _importing(module: str) -> bool:
    """Whether ``module`` is being imported right now (its code has not finished running)."""
    spec = getattr(sys.modules.get(module), "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _load(group: str, into: dict[str, type], register) -> None:
    if group in _loaded and not _deferred.get(group):
        return
    todo = _deferred.pop(group) if group in _loaded else list(entry_points(group=group))
    _loaded.add(group)
    # `from tasks.logical_graph import ...` before `import toolenv` imports toolenv halfway through that
    # module, and toolenv's import loads the entry points, among them that half-run module: those are tried
    # again at the next lookup instead of being lost with a warning
    cycle = _importing("toolenv")
    for ep in todo:
        if ep.name in into:
            continue
        try:
            register(ep.name, ep.load())
        except Exception as e:  # a broken plugin must not hide the others
            if cycle:
                _deferred.setdefault(group, []).append(ep)
            else:
                warnings.warn(f"toolenv: could not load {group} entry point {ep.name!r} ({ep.value}): {e}", stacklevel=3)


def load_task_plugins() -> None:
    """Load every installed ``toolenv.tasks`` entry point (idempotent, cheap: no torch)."""
    _load(TASK_GROUP, _tasks, lambda name, cls: register_task(cls))


_agent_entry_points: dict[str, Any] = {}


def load_agent_plugins() -> None:
    """Collect the installed ``toolenv.agents`` entry points (idempotent). A backbone's module is
    imported only when that backbone is looked up, so listing them costs no torch import."""
    if AGENT_GROUP in _loaded:
        return
    _loaded.add(AGENT_GROUP)
    for ep in entry_points(group=AGENT_GROUP):
        _agent_entry_points.setdefault(ep.name, ep)


def load_plugins() -> None:
    """Load every installed task and agent entry point (idempotent)."""
    load_task_plugins()
    load_agent_plugins()


def list_tasks() -> list[str]:
    """Names of every registered task, sorted."""
    load_task_plugins()
    return sorted(_tasks)


def get_task(name: str | Task) -> Task:
    """A fresh instance of the registered task ``name`` (a Task instance passes through)."""
    if isinstance(name, Task):
        return name
    load_task_plugins()
    if name not in _tasks:
        raise UnknownTaskError(f"unknown task {name!r}; registered tasks: {', '.join(sorted(_tasks)) or 'none'}")
    return _tasks[name]()


def register_agent(name: str, cls: type) -> type:
    """Register a backbone / agent class under ``name`` (entry-point group ``toolenv.agents``)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"agent name must be a non-empty string, got {name!r}")
    _agents[name] = cls
    return cls


def list_agents() -> list[str]:
    load_agent_plugins()
    return sorted(set(_agents) | set(_agent_entry_points))


def get_agent_class(name: str) -> Any:
    """The class registered as ``name``, or imported from ``"package.module:Class"``."""
    load_agent_plugins()
    if name in _agents:
        return _agents[name]
    if name in _agent_entry_points:
        ep = _agent_entry_points[name]
        try:
            return register_agent(name, ep.load())
        except Exception as e:
            raise UnknownAgentError(f"backbone {name!r} is installed ({ep.value}) but fails to import: {e}") from None
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise UnknownAgentError(f"cannot import agent {name!r}: {e}") from None
    raise UnknownAgentError(
        f"unknown backbone {name!r}; registered: {', '.join(list_agents()) or 'none'} "
        "(or give an import path 'package.module:Class')"
    )
