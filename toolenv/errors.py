"""Exceptions with messages that name what is wrong."""


class ToolEnvError(ValueError):
    """Base class for toolenv's input errors."""


class UnknownTaskError(ToolEnvError, KeyError):
    """A task name that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class LengthError(ToolEnvError):
    """A problem length outside what a task supports."""


class UnknownAgentError(ToolEnvError, KeyError):
    """A backbone / agent name that is not registered and not an importable path."""

    def __str__(self) -> str:
        return str(self.args[0])
