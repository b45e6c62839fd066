"""Shared by the task tests: the batched engine plays the same episodes as ToolEnv, for the teacher
in every regime and for a careless teacher (invalid commands, early [EOS], wrong tokens, truncation)."""

import functools

import torch

import toolenv
from toolenv import vocab
from toolenv.oracle_policy import OraclePolicy
from toolenv.rollout import rollout


class CarelessOracle(OraclePolicy):
    """The teacher, but at a few fixed context positions (probability ``p`` each) one of
    ``mistakes``: a function of (row, position), so both paths make the same decisions."""

    def __init__(self, task, problems, mistakes, seed, p=0.01):
        super().__init__(task, problems, "interactive")
        gen = torch.Generator().manual_seed(seed)
        width = self.plans.shape[1]
        self.flip = torch.rand(len(problems), width, generator=gen) < p
        self.noise = torch.tensor(mistakes)[torch.randint(0, len(mistakes), (len(problems), width), generator=gen)]

    def action(self, b, pos):
        pos = min(pos, self.plans.shape[1] - 1)
        return int(self.noise[b, pos] if self.flip[b, pos] else self.plans[b, pos])

    def feed(self, tokens, active):
        choice = super().feed(tokens, active)
        rows = torch.arange(len(choice))
        return torch.where(self.flip[rows, self.pos], self.noise[rows, self.pos], choice)


def toolenv_episode(task, problem, regime, choose, max_steps=None):
    """One ToolEnv episode whose action at context position t is ``choose(t)``."""
    env = toolenv.ToolEnv(task, regime=regime, max_steps=max_steps)
    obs, _ = env.reset(options={"problem": problem})
    context = list(obs)
    while True:
        obs, reward, terminated, truncated, info = env.step(choose(len(context)))
        context += obs.tolist()
        if terminated or truncated:
            return env.trajectory(), reward, info, truncated


def assert_engine_equals_toolenv(task, problems, mistakes, short_limit) -> set[str]:
    """Teacher in every regime, careless teacher with the default step limit and with
    ``short_limit``. Returns the endings seen ("True", "False", "invalid", "truncated")."""
    cases = [(r, OraclePolicy(task, problems, r), None) for r in toolenv.REGIMES]
    cases += [("interactive", CarelessOracle(task, problems, mistakes, seed), steps)
              for seed, steps in ((1, None), (2, short_limit))]
    endings = set()
    for regime, policy, max_steps in cases:
        fast = rollout(policy, task, problems, regime, record=True, max_steps=max_steps, sync_every=5)
        careless = isinstance(policy, CarelessOracle)
        for b, (res, problem) in enumerate(zip(fast, problems)):
            choose = functools.partial(policy.action, b) if careless else policy.plans[b].tolist().__getitem__
            traj, reward, info, truncated = toolenv_episode(task, problem, regime, choose, max_steps)
            assert res.trajectory() == traj, vocab.decode(res.tokens) + "\n!=\n" + vocab.decode(traj.tokens.tolist())
            assert (res.output, float(res.correct), res.steps, res.tool_calls, res.truncated, res.invalid) == (
                info["output"], reward, info["steps"], info["tool_calls"], truncated, "invalid" in info)
            assert res.token_accuracy == info["token_accuracy"]
            endings.add("invalid" if res.invalid else "truncated" if res.truncated else str(res.correct))
            if not careless:
                assert res.correct
    return endings
