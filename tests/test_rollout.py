"""The batched engine and ToolEnv give identical trajectories and rewards."""

import numpy as np
import pytest
import torch

import toolenv
from agents.builder import build_backbone
from agents.lm_agent import LMAgent
from toolenv.env_loop import env_rollout
from toolenv.oracle_policy import OraclePolicy
from toolenv.rollout import rollout


class NoisyOracle(OraclePolicy):
    """Follows the oracle but, with probability p per step, emits a random token instead, so
    divergence, invalid actions and truncation are exercised. Also an Agent (reset/act)."""

    def __init__(self, task, problems, regime, p, seed):
        super().__init__(task, problems, regime)
        self.p, self.seed = p, seed

    def start(self, batch_size):
        super().start(batch_size)
        # the decision at context position t of row b is a fixed function of (b, t), so both
        # paths, which call feed() in different patterns, make the same decisions
        gen = torch.Generator().manual_seed(self.seed)
        shape = (batch_size, 4096)
        self.noise = torch.randint(0, toolenv.vocab.VOCAB_SIZE, shape, generator=gen)
        self.flip = torch.rand(shape, generator=gen) < self.p

    def feed(self, tokens, active):
        choice = super().feed(tokens, active)
        pos = self.pos.clamp(max=self.noise.shape[1] - 1)[:, None]
        return torch.where(self.flip.gather(1, pos)[:, 0], self.noise.gather(1, pos)[:, 0], choice)

    # Agent protocol over the same decisions
    def reset(self, batch_size):
        self.start(batch_size)
        self.last = None

    def act(self, observations):
        B = len(observations)
        for t in range(max(len(o) for o in observations)):
            tok = torch.tensor([int(o[t]) if t < len(o) else 0 for o in observations])
            active = torch.tensor([t < len(o) for o in observations])
            c = self.feed(tok, active)
            self.last = c if self.last is None else torch.where(active, c, self.last)
        return self.last.numpy().astype(np.int64)


def _same(a, b):
    for x, y in zip(a, b):
        assert x.tokens == y.tokens
        assert (x.output, x.correct, x.steps, x.truncated, x.invalid, x.tool_calls) == (
            y.output, y.correct, y.steps, y.truncated, y.invalid, y.tool_calls)
        assert x.context_tokens == y.context_tokens


@pytest.mark.parametrize("name", toolenv.list_tasks())
@pytest.mark.parametrize("regime", toolenv.REGIMES)
def test_oracle_rollouts_equal_toolenv_and_win(name, regime):
    task = toolenv.get_task(name)
    problems = [task.problem("test", n, i) for n in (task.min_length, task.min_length + 2) for i in range(3)]
    fast = rollout(OraclePolicy(task, problems, regime), task, problems, regime, record=True)
    ref = env_rollout(NoisyOracle(task, problems, regime, 0.0, 0), task, problems, regime)
    _same(fast, ref)
    assert all(r.correct for r in fast)


@pytest.mark.parametrize("regime", toolenv.REGIMES)
def test_noisy_policy_rollouts_equal_toolenv(regime):
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (1, 3, 6) for i in range(6)]
    fast = rollout(NoisyOracle(task, problems, regime, 0.05, 1), task, problems, regime, record=True, max_steps=150)
    ref = env_rollout(NoisyOracle(task, problems, regime, 0.05, 1), task, problems, regime, max_steps=150)
    _same(fast, ref)
    assert any(r.invalid for r in fast) and not all(r.correct for r in fast)


def test_untrained_lm_agent_rollouts_equal_toolenv():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", n, i) for n in (2, 4) for i in range(4)]
    torch.manual_seed(0)
    for name in ("mamba2", "transformer"):
        agent = LMAgent(build_backbone(name, "tiny"))
        fast = rollout(agent, task, problems, record=True, max_steps=60)
        ref = env_rollout(agent, task, problems, max_steps=60)
        _same(fast, ref)


def test_step_limit_counts_as_wrong_without_stopping_the_batch():
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 3, i) for i in range(4)]
    res = rollout(OraclePolicy(task, problems), task, problems, max_steps=10)
    assert all(r.truncated and not r.correct and r.steps == 10 for r in res)
