"""ToolEnv: a task as a Gymnasium environment whose actions are tokens or tool commands."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from toolenv import vocab
from toolenv.errors import ToolEnvError
from toolenv.imagined_tool import ImaginedTool
from toolenv.problem import Problem
from toolenv.regimes import check_regime, regime_answer, regime_tool, regime_trajectory
from toolenv.registry import get_task
from toolenv.task import SPLIT_IDS, Task
from toolenv.tools.base import ToolCommandError
from toolenv.trajectory import Role, Trajectory


def token_accuracy(output: str, answer: str) -> float:
    """Fraction of positions where output and answer agree, over the longer of the two."""
    n = max(len(output), len(answer))
    if n == 0:
        return 1.0
    return sum(a == b for a, b in zip(output, answer)) / n


class ToolEnv(gym.Env):
    """One episode = one problem. Action space ``Discrete(VOCAB_SIZE)``.

    ``reset(seed=..., options={"length": n})`` draws a problem of the env's split (``"test"`` by
    default; ``options={"problem": p}`` plays a given Problem) and returns the prompt tokens.
    ``step(token)`` appends the token; a command runs the tool. Each observation is the tokens
    appended to the context in that step: the action, then any tool output.

    Terminates on [EOS] (reward 1 if ``task.check`` accepts the output, else 0; ``info["output"]``
    is the answer given, read back reversed in ``direct-reversed``) or on an invalid
    action: a command the tool cannot run, [PAD]/[BOS], or a second [ANS]; then reward 0 and
    ``info["invalid"]`` says why. In the ``no-tool`` regime nothing executes: the agent writes
    the observations itself, in the slots ``ImaginedTool`` defines, where any token is legal. Truncates (reward 0) at the step limit the task derives from
    the oracle's length. Stepping after the end raises ``RuntimeError``; an action outside the
    vocabulary raises ``gymnasium.error.InvalidAction``.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        task: str | Task,
        regime: str = "interactive",
        length: int | None = None,
        split: str = "test",
        max_steps: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.task = get_task(task)
        self.regime = check_regime(regime)
        if split not in SPLIT_IDS:
            raise ToolEnvError(f"split must be 'train' or 'test', got {split!r}")
        self.split = split
        self.length = self.task.default_length if length is None else length
        self.task.check_length(self.length)
        if max_steps is not None and max_steps <= 0:
            raise ToolEnvError(f"max_steps must be positive, got {max_steps}")
        self.max_steps = max_steps
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ToolEnvError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(vocab.VOCAB_SIZE)
        self.observation_space = spaces.Sequence(spaces.Discrete(vocab.VOCAB_SIZE), stack=True)
        self._done = True
        self._tokens: list[int] = []
        self._roles: list[int] = []

    # -- Gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"length", "problem"}
        if unknown:
            raise ToolEnvError(f"unknown reset option(s) {sorted(unknown)}; use 'length' or 'problem'")
        if "problem" in options:
            problem = options["problem"]
            if not isinstance(problem, Problem) or problem.task != self.task.name:
                raise ToolEnvError(f"options['problem'] must be a Problem of task {self.task.name!r}")
        else:
            length = options.get("length", self.length)
            self.task.check_length(length)
            problem = self.task.draw(self.np_random, length, self.split)
        self.problem = problem
        self.tool = regime_tool(self.task, problem, self.regime)
        prompt = vocab.encode(problem.prompt)
        if self.tool is not None:
            self.tool.reset(prompt)
        self.imagined = ImaginedTool() if self.regime == "no-tool" else None
        if self.max_steps is not None:
            self.step_limit = self.max_steps
        else:
            n_actions = sum(1 for _ in regime_trajectory(self.task, problem, self.regime).actions())
            self.step_limit = self.task.step_limit(n_actions)
        self._tokens = list(prompt)
        self._roles = [Role.PROMPT] * len(prompt)
        self._output: list[str] = []
        self._answered = False
        self._steps = 0
        self._tool_calls = 0
        self._done = False
        info = {"problem": problem, "length": problem.length, "step_limit": self.step_limit}
        return np.asarray(prompt, dtype=np.int64), info

    def step(self, action):
        if self._done:
            raise RuntimeError("step() called after the episode ended; call reset() first")
        if not self.action_space.contains(action) and not (
            isinstance(action, (int, np.integer)) and 0 <= int(action) < vocab.VOCAB_SIZE
        ):
            raise gym.error.InvalidAction(f"action {action!r} is not a token id in [0, {vocab.VOCAB_SIZE})")
        token = int(action)
        self._steps += 1
        appended = [token]
        invalid = None
        role = self.imagined.classify(token) if self.imagined is not None else None
        imagined = role is not None  # no-tool regime: a command or an imagined observation
        if imagined:
            pass  # nothing executes in no-tool; the role is all there is
        elif token in (vocab.PAD, vocab.BOS) or (token == vocab.ANS and self._answered):
            invalid = f"{vocab.token_name(token)} is not a valid action here"
            role = Role.OUTPUT if self._answered else Role.THOUGHT
        else:
            try:
                obs = self.tool.feed(token) if self.tool is not None else None
            except ToolCommandError as e:
                obs, invalid = None, str(e)
            if invalid is not None:
                role = Role.COMMAND
            elif obs is not None:
                role = Role.COMMAND
                appended += obs
                self._tool_calls += token in vocab.CALL_END_IDS
            elif token in vocab.COMMAND_IDS:  # direct regime: no tool, a command is just a token
                role = Role.COMMAND
            else:
                if token == vocab.ANS:
                    self._answered = True
                role = Role.OUTPUT if self._answered else Role.THOUGHT
                if self._answered and vocab.is_char(token):
                    self._output.append(vocab.token_name(token))
        self._tokens += appended
        self._roles += [role] + [Role.OBSERVATION] * (len(appended) - 1)

        terminated = (token == vocab.EOS and not imagined) or invalid is not None
        truncated = not terminated and self._steps >= self.step_limit
        reward = 0.0
        info: dict[str, Any] = {}
        if terminated or truncated:
            self._done = True
            output = regime_answer(self.regime, "".join(self._output))
            correct = token == vocab.EOS and invalid is None and bool(self.task.check(self.problem, output))
            reward = float(correct)
            info = {
                "output": output,
                "answer": self.problem.answer,
                "correct": correct,
                "token_accuracy": token_accuracy(output, self.problem.answer),
                "steps": self._steps,
                "tool_calls": self._tool_calls,
            }
            if invalid is not None:
                info["invalid"] = invalid
        return np.asarray(appended, dtype=np.int64), reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return vocab.decode(self._tokens)
        return None

    # -- extras ------------------------------------------------------------------------------
    def trajectory(self) -> Trajectory:
        """The context so far, with roles (equals the oracle trajectory when it was replayed)."""
        return Trajectory(self._tokens, self._roles)
