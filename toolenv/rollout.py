"""Batched rollouts: B episodes advance together, one policy step per token for the whole batch.

Each step every live episode consumes exactly one token: a forced one (a prompt token not yet
fed, or a pending tool observation) or the token the policy chose at the previous step (the
agent's action). ``ToolEnv``'s logic (roles, [ANS]/[EOS], invalid actions, step limits, the
no-tool transcript slots) runs as table lookups on the policy's device and the tools are
vectorized (``toolenv.batch_tools``), so pointer, calculator, no-tool and direct episodes do
no Python work per episode and token. The host is asked whether anything is still running
only every ``sync_every`` steps (search and plugin tools sync every step; see batch_tools).

Results equal those of playing every episode through ``ToolEnv`` with the same decisions:
trajectory tokens and roles, outputs, rewards, step counts, tool calls, invalid and truncated
flags (tested for every task and regime, with the oracle, a noisy policy and untrained LMs).
Rewards use ``task.check`` once per finished episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from toolenv import batch_tools as bt
from toolenv import vocab
from toolenv.env import token_accuracy
from toolenv.errors import ToolEnvError
from toolenv.policy import TokenPolicy
from toolenv.problem import Problem
from toolenv.regimes import check_regime, regime_tool, regime_trajectory
from toolenv.task import Task
from toolenv.trajectory import Role, Trajectory


@dataclass
class EpisodeResult:
    """One finished episode. ``correct`` is the env's reward (1.0 exactly when True)."""

    problem: Problem
    output: str
    correct: bool
    token_accuracy: float
    steps: int  # agent tokens (env steps)
    context_tokens: int  # trajectory length: prompt + agent tokens + observations
    tool_calls: int
    truncated: bool  # cut by the step limit
    invalid: bool  # ended by an invalid action
    tokens: list[int] | None = None  # the whole context, when recorded
    roles: list[int] | None = None  # its roles, when recorded by rollout(record=True)

    def trajectory(self) -> Trajectory:
        """The recorded context as a Trajectory (equal to ``ToolEnv.trajectory()``)."""
        if self.tokens is None or self.roles is None:
            raise ValueError("this episode was not recorded; call rollout(..., record=True)")
        return Trajectory(self.tokens, self.roles)


def step_limits(task: Task, problems: Sequence[Problem], regime: str) -> list[int]:
    """ToolEnv's truncation limit per problem: ``task.step_limit`` of the teacher's action count."""
    return [task.step_limit(sum(1 for _ in regime_trajectory(task, p, regime).actions())) for p in problems]


def _widen(buf: torch.Tensor, need: int) -> torch.Tensor:
    if need <= buf.shape[1]:
        return buf
    extra = max(need, 2 * buf.shape[1]) - buf.shape[1]
    return torch.cat([buf, buf.new_zeros(buf.shape[0], extra)], dim=1)


def _output(content: list[int]) -> str:
    """The characters the agent wrote after [ANS] (content holds no second [ANS])."""
    return vocab.text_of(content[content.index(vocab.ANS) + 1:]) if vocab.ANS in content else ""


@torch.inference_mode()
def rollout(
    policy: TokenPolicy,
    task: Task,
    problems: Sequence[Problem],
    regime: str = "interactive",
    max_steps: int | None = None,
    record: bool = False,
    sync_every: int = 32,
) -> list[EpisodeResult]:
    """Play ``problems`` as one batch with ``policy``; one result per problem, in order.

    ``max_steps`` overrides the per-problem step limit (as ``ToolEnv(max_steps=...)``);
    ``record`` keeps every episode's tokens and roles. A policy with a ``decide`` method (see
    ``toolenv.policy.AgentPolicy``) is asked for actions only where the engine needs one.
    """
    check_regime(regime)
    if max_steps is not None and max_steps <= 0:
        raise ToolEnvError(f"max_steps must be positive, got {max_steps}")
    if sync_every < 1:
        raise ToolEnvError(f"sync_every must be >= 1, got {sync_every}")
    problems = list(problems)
    B = len(problems)
    if B == 0:
        return []
    for p in problems:
        if not isinstance(p, Problem) or p.task != task.name:
            raise ToolEnvError(f"rollout of task {task.name!r} got {p!r}, not one of its problems")
    dev = torch.device(policy.device)
    prompts = [vocab.encode(p.prompt) for p in problems]
    if not all(prompts):
        raise ToolEnvError("the batched engine needs a non-empty prompt for every problem")
    limits = torch.tensor([max_steps] * B if max_steps is not None else step_limits(task, problems, regime), device=dev)
    plen = torch.tensor([len(p) for p in prompts], device=dev)
    pmax = max(map(len, prompts))

    qbuf = torch.zeros(B, pmax + 1, dtype=torch.long)
    mem = torch.zeros(B, pmax + 2, dtype=torch.long)
    mem[:, 0] = vocab.BOS
    for b, pr in enumerate(prompts):
        qbuf[b, : len(pr)] = mem[b, 1 : len(pr) + 1] = torch.tensor(pr)
    rows = bt.Rows(mem.to(dev), plen + 1, qbuf.to(dev))
    tool = bt.batch_tool(regime_tool(task, problems[0], regime), regime, [p.answer for p in problems],
                         lambda: [regime_tool(task, p, regime) for p in problems], prompts)
    tool.setup(rows)
    table, kind_table, columns = bt.build_table(tool, dev)
    S = table.shape[0] // (2 * vocab.VOCAB_SIZE)

    def zeros(dtype=torch.long):
        return torch.zeros(B, dtype=dtype, device=dev)

    qhead, qtail = zeros(), plen.clone()
    state, steps, calls, status, context = zeros(), zeros(), zeros(), zeros(), zeros()
    live = torch.ones(B, dtype=torch.bool, device=dev)
    ctx = torch.zeros(B, 1, dtype=torch.long, device=dev) if record else None
    roles = torch.zeros_like(ctx) if record else None
    decide = getattr(policy, "decide", None)

    if hasattr(policy, "prepare"):  # the oracle's hook: it replays the problems' teacher trajectories
        policy.prepare(task, problems, regime)
    policy.start(B)
    choice = zeros()
    t = 0
    while True:
        if t % sync_every == 0:  # the engine's only host sync
            running, longest = torch.stack([(live | (qhead < qtail)).any().long(), rows.mlen.max()]).tolist()
            if not running:
                break
            rows.mem = _widen(rows.mem, longest + sync_every + 1)
            if record:
                ctx, roles = _widen(ctx, t + sync_every + 1), _widen(roles, t + sync_every + 1)
        t += 1
        forced = qhead < qtail
        tok = torch.where(forced, rows.qbuf.gather(1, qhead[:, None])[:, 0], choice)
        idle = forced >= live  # forced, or finished
        i = torch.add(state, tok, alpha=2 * S).add_(idle, alpha=S)  # a token id >= V fails here
        props = tool.resolve(tok, bt.Props(table.index_select(0, i), columns), kind_table, rows)
        state = props["next"]
        steps += props["act"]
        rows.mem.scatter_(1, rows.mlen[:, None], tok[:, None])  # kept only where it is content
        rows.mlen = rows.mlen + props["content"]
        n_obs = tool.apply(tok, props, rows)
        qtail = qtail * forced if n_obs is None else torch.where(forced, qtail, n_obs)
        qhead = (qhead + 1) * forced
        calls += props["calls"]
        if record:
            ctx.scatter_(1, context[:, None], tok[:, None])
            role = torch.where(context < plen, int(Role.PROMPT), int(Role.OBSERVATION))
            roles.scatter_(1, context[:, None], torch.where(forced, role, props["role"])[:, None])
        context += live | forced  # a finished row still takes in the observation of its last action
        status += torch.where(steps >= limits, props["end1"], props["end0"])
        live = status == 0
        choice = policy.feed(tok, live)
        if decide is not None:
            choice = decide(live & (qhead >= qtail))

    mem_rows, mlen_l, plen_l = rows.mem.cpu().tolist(), rows.mlen.cpu().tolist(), plen.cpu().tolist()
    status_l, steps_l = status.cpu().tolist(), steps.cpu().tolist()
    calls_l, ctx_l = calls.cpu().tolist(), context.cpu().tolist()
    ctx_rows = ctx.cpu().tolist() if record else None
    role_rows = roles.cpu().tolist() if record else None
    results = []
    for b, p in enumerate(problems):
        output = _output(mem_rows[b][1 + plen_l[b] : mlen_l[b]])
        correct = status_l[b] == bt.END_EOS and bool(task.check(p, output))
        results.append(EpisodeResult(
            problem=p, output=output, correct=correct, token_accuracy=token_accuracy(output, p.answer),
            steps=steps_l[b], context_tokens=ctx_l[b], tool_calls=calls_l[b],
            truncated=status_l[b] == bt.END_TRUNCATED, invalid=status_l[b] == bt.END_INVALID,
            tokens=ctx_rows[b][: ctx_l[b]] if record else None, roles=role_rows[b][: ctx_l[b]] if record else None,
        ))
    return results
