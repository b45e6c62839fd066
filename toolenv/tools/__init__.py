"""Tools: each owns some command tokens and answers commands with observation tokens."""

from toolenv.tools.base import Tool, ToolCommandError
from toolenv.tools.calculator import Calculator
from toolenv.tools.pointer import PointerMemory
from toolenv.tools.search import SearchMemory

__all__ = ["Tool", "ToolCommandError", "PointerMemory", "SearchMemory", "Calculator"]
