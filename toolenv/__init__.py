"""toolenv: Gymnasium environments and a benchmark for length generalization of tool-using
sequence models. See README.md for the tour."""

from toolenv import vocab
from toolenv.builder import TrajectoryBuilder
from toolenv.env import ToolEnv
from toolenv.errors import LengthError, ToolEnvError, UnknownAgentError, UnknownTaskError
from toolenv.problem import Problem
from toolenv.regimes import REGIMES, regime_tool, regime_trajectory
from toolenv.registry import (
    get_agent_class,
    get_task,
    gym_id,
    list_agents,
    list_tasks,
    load_plugins,
    load_task_plugins,
    register_agent,
    register_task,
)
from toolenv.task import Task
from toolenv.tools import Calculator, PointerMemory, SearchMemory, Tool, ToolCommandError
from toolenv.trajectory import Role, Trajectory

__version__ = "0.1.0"

__all__ = [
    "vocab", "TrajectoryBuilder", "ToolEnv", "LengthError", "ToolEnvError", "UnknownAgentError",
    "UnknownTaskError", "Problem", "REGIMES", "regime_tool", "regime_trajectory", "get_agent_class",
    "get_task", "gym_id", "list_agents", "list_tasks", "load_plugins", "load_task_plugins", "register_agent",
    "register_task", "Task", "Calculator", "PointerMemory", "SearchMemory", "Tool",
    "ToolCommandError", "Role", "Trajectory",
]

# Gymnasium ids exist as soon as toolenv is imported (built-in tasks are entry points too).
load_task_plugins()
