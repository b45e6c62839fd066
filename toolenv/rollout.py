"""Batched rollouts: B episodes advance together, one policy step per token for the whole batch.

Each step every live episode consumes exactly one token: a forced one (a prompt token not yet
fed, or a pending tool observation) or the token the policy chose at the previous step (the
agent's action). The env logic of ``ToolEnv`` (roles, [ANS]/[EOS], invalid actions, step
limits, the no-tool transcript slots) and the pointer tool are vectorized in torch on the
policy's device, so pointer tasks do no per-episode Python work per token. Tools without a
vectorized form (SearchMemory) run their reference implementation per episode on the CPU.
Results equal those of running every episode through ``ToolEnv`` with the same decisions
(tested). Rewards use ``task.check`` once per finished episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from toolenv import vocab
from toolenv.env import token_accuracy
from toolenv.policy import TokenPolicy
from toolenv.problem import Problem
from toolenv.regimes import check_regime, regime_tool, regime_trajectory
from toolenv.task import Task
from toolenv.tools import Calculator, PointerMemory, ToolCommandError

_P0 = vocab.pointer_command(1, "read")
_N_PTR_TOKENS = vocab.MAX_POINTERS * len(vocab.POINTER_OPS)
_COMMANDS = sorted(vocab.COMMAND_IDS)
_READS = [vocab.pointer_command(k, "read") for k in range(1, vocab.MAX_POINTERS + 1)]
_CHAR_LO, _CHAR_HI = vocab.token_id(" "), vocab.token_id("\n")


@dataclass
class EpisodeResult:
    problem: Problem
    output: str
    correct: bool
    token_accuracy: float
    steps: int  # agent tokens (env steps)
    context_tokens: int  # prompt + agent tokens + observations
    tool_calls: int
    truncated: bool
    invalid: bool
    tokens: list[int] | None = None  # the whole context, when recorded


def step_limits(task: Task, problems: Sequence[Problem], regime: str) -> list[int]:
    return [task.step_limit(sum(1 for _ in regime_trajectory(task, p, regime).actions())) for p in problems]


def _grow(buf: torch.Tensor, need: int) -> torch.Tensor:
    if need <= buf.shape[1]:
        return buf
    extra = max(need, 2 * buf.shape[1]) - buf.shape[1]
    return torch.cat([buf, buf.new_zeros(buf.shape[0], extra)], dim=1)


@torch.inference_mode()
def rollout(
    policy: TokenPolicy,
    task: Task,
    problems: Sequence[Problem],
    regime: str = "interactive",
    max_steps: int | None = None,
    record: bool = False,
    sync_every: int = 16,
) -> list[EpisodeResult]:
    """Play ``problems`` (one batch) with ``policy``; returns one result per problem, in order."""
    check_regime(regime)
    dev = policy.device
    B = len(problems)
    if B == 0:
        return []
    limits_list = [max_steps] * B if max_steps is not None else step_limits(task, problems, regime)
    limits = torch.tensor(limits_list, device=dev)
    prompts = [vocab.encode(p.prompt) for p in problems]
    pmax, lmax = max(map(len, prompts)), max(limits_list)
    tool = regime_tool(task, problems[0], regime)
    kind = "none" if tool is None else "pointer" if isinstance(tool, PointerMemory) else (
        "calc" if isinstance(tool, Calculator) else "python")
    py_tools = None
    if kind == "python":
        py_tools = [regime_tool(task, p, regime) for p in problems]
        for t, pr in zip(py_tools, prompts):
            t.reset(pr)
    n_ptr = tool.k if kind == "pointer" else 0

    def zeros(*shape, dtype=torch.long):
        return torch.zeros(*shape, dtype=dtype, device=dev)

    arange = torch.arange(B, device=dev)
    qbuf = zeros(B, max(pmax, 1))
    for b, pr in enumerate(prompts):
        qbuf[b, : len(pr)] = torch.tensor(pr, device=dev)
    qhead, qtail = zeros(B), torch.tensor([len(p) for p in prompts], device=dev)
    mem = zeros(B, pmax + lmax + 1) if kind == "pointer" else None
    if mem is not None:
        mem[:, :pmax] = qbuf[:, :pmax]
    mem_len = qtail.clone()
    positions = zeros(B, max(n_ptr, 1))
    out, out_len = zeros(B, lmax + 1), zeros(B)
    ctx, ctx_len = (zeros(B, pmax + 2 * lmax + 2), zeros(B)) if record else (None, None)
    steps, tool_calls, context = zeros(B), zeros(B), zeros(B)
    answered, calc_used = zeros(B, dtype=torch.bool), zeros(B, dtype=torch.bool)
    slot, in_query = zeros(B), zeros(B, dtype=torch.bool)  # no-tool transcript state
    live = torch.ones(B, dtype=torch.bool, device=dev)
    truncated, invalid = zeros(B, dtype=torch.bool), zeros(B, dtype=torch.bool)
    commands = torch.tensor(_COMMANDS, device=dev)
    reads = torch.tensor(_READS, device=dev)

    policy.start(B)
    choice = zeros(B)
    t = 0
    while True:
        if t % sync_every == 0 and not bool(live.any()):
            break
        t += 1
        forced = qhead < qtail
        queued = qbuf.gather(1, qhead.clamp(max=qbuf.shape[1] - 1)[:, None])[:, 0]
        tok = torch.where(forced, queued, choice)
        tok = torch.where(live, tok, torch.full_like(tok, vocab.PAD))
        act = live & ~forced
        qhead = qhead + (live & forced)
        context = context + live
        if record:
            if int(ctx_len.max()) + 1 >= ctx.shape[1]:
                ctx = _grow(ctx, ctx.shape[1] + 1)
            ctx[arange, ctx_len] = torch.where(live, tok, ctx[arange, ctx_len])
            ctx_len = ctx_len + live
        steps = steps + act
        is_cmd = torch.isin(tok, commands)

        # no-tool: which agent tokens stand in a command's or an observation's place
        imagined = torch.zeros_like(act)
        if regime == "no-tool":
            in_slot = act & (slot != 0)
            slot = torch.where(in_slot & (slot > 0), slot - 1, slot)
            slot = torch.where(in_slot & (slot < 0) & (tok == vocab.END), torch.zeros_like(slot), slot)
            in_q = act & ~in_slot & in_query
            closes = in_q & (tok == vocab.FIND_END)
            in_query = in_query & ~closes
            slot = torch.where(closes, torch.full_like(slot, -1), slot)
            rest = act & ~in_slot & ~in_q
            slot = torch.where(rest & torch.isin(tok, reads), torch.ones_like(slot), slot)
            slot = torch.where(rest & (tok == vocab.CALC), torch.full_like(slot, -1), slot)
            in_query = in_query | (rest & (tok == vocab.FIND))
            imagined = in_slot | in_q | (rest & is_cmd)

        bad = act & ~imagined & ((tok == vocab.PAD) | (tok == vocab.BOS) | ((tok == vocab.ANS) & answered))
        proc = act & ~imagined & ~bad
        content = proc & ~is_cmd
        if kind == "pointer":
            idx = tok - _P0
            is_ptr = (idx >= 0) & (idx < _N_PTR_TOKENS)
            k, op = (idx // 4).clamp(0, n_ptr - 1), idx % 4
            ok = proc & is_ptr & (idx // 4 < n_ptr)
            bad = bad | (proc & is_cmd & ~ok)
            pos = positions.gather(1, k[:, None])[:, 0]
            under = mem.gather(1, pos.clamp(0, mem.shape[1] - 1)[:, None])[:, 0]
            obs = torch.where(pos < 0, vocab.BOS, torch.where(pos >= mem_len, vocab.EOS, under))
            is_read = ok & (op == 0)
            qbuf[:, 0] = torch.where(is_read, obs, qbuf[:, 0])
            qhead = torch.where(is_read, torch.zeros_like(qhead), qhead)
            qtail = torch.where(is_read, torch.ones_like(qtail), qtail)
            moved = torch.where(op == 1, (pos - 1).clamp(min=-1), torch.where(op == 2, torch.minimum(pos + 1, mem_len), 0))
            positions.scatter_(1, k[:, None], torch.where(ok & (op != 0), moved, pos)[:, None])
            tool_calls = tool_calls + ok
            write = content & (mem_len < mem.shape[1])
            mem[arange, mem_len.clamp(max=mem.shape[1] - 1)] = torch.where(write, tok, mem[arange, mem_len.clamp(max=mem.shape[1] - 1)])
            mem_len = mem_len + write
        elif kind == "calc":
            calls = proc & (tok == vocab.CALC)
            bad = bad | (proc & is_cmd & ~(calls & ~calc_used))
            first = calls & ~calc_used
            calc_used = calc_used | calls
            tool_calls = tool_calls + first
            for b in first.nonzero()[:, 0].tolist():  # once per episode
                obs = [*vocab.encode(problems[b].answer), vocab.END]
                qbuf = _grow(qbuf, len(obs))
                qbuf[b, : len(obs)] = torch.tensor(obs, device=dev)
                qhead[b], qtail[b] = 0, len(obs)
        elif kind == "python":
            content = torch.zeros_like(content)
            toks = tok.tolist()
            for b in proc.nonzero()[:, 0].tolist():
                try:
                    obs = py_tools[b].feed(toks[b])
                except ToolCommandError:
                    bad[b] = True
                    continue
                if obs is None:
                    content[b] = True
                    continue
                tool_calls[b] += toks[b] in vocab.CALL_END_IDS
                if obs:
                    qbuf = _grow(qbuf, len(obs))
                    qbuf[b, : len(obs)] = torch.tensor(obs, device=dev)
                    qhead[b], qtail[b] = 0, len(obs)
        # kind == "none": commands are plain tokens, nothing executes

        answered = answered | (content & (tok == vocab.ANS))
        is_char = (tok >= _CHAR_LO) & (tok <= _CHAR_HI)
        emit = content & answered & is_char
        out[arange, out_len] = torch.where(emit, tok, out[arange, out_len])
        out_len = out_len + emit
        ended = (content & (tok == vocab.EOS)) | bad
        invalid = invalid | bad
        cut = act & ~ended & (steps >= limits)
        truncated = truncated | cut
        stopped = live & (ended | cut)
        live = live & ~ended & ~cut
        choice = policy.feed(tok, live)
        if bool((stopped & (qhead < qtail)).any()):  # an observation answers the last action
            for b in (stopped & (qhead < qtail)).nonzero()[:, 0].tolist():
                pending = qbuf[b, int(qhead[b]) : int(qtail[b])]
                context[b] += len(pending)
                if record:
                    ctx = _grow(ctx, int(ctx_len[b]) + len(pending) + 1)
                    ctx[b, int(ctx_len[b]) : int(ctx_len[b]) + len(pending)] = pending
                    ctx_len[b] += len(pending)
                qhead[b] = qtail[b]

    results = []
    out_cpu, out_len_cpu = out.cpu().tolist(), out_len.cpu().tolist()
    trunc, inval = truncated.cpu().tolist(), invalid.cpu().tolist()
    steps_l, calls_l, ctx_l = steps.cpu().tolist(), tool_calls.cpu().tolist(), context.cpu().tolist()
    ctx_rows = ctx.cpu().tolist() if record else None
    for b, p in enumerate(problems):
        output = vocab.text_of(out_cpu[b][: out_len_cpu[b]])
        finished = not trunc[b] and not inval[b]
        correct = finished and bool(task.check(p, output))
        results.append(EpisodeResult(
            problem=p, output=output, correct=correct, token_accuracy=token_accuracy(output, p.answer),
            steps=steps_l[b], context_tokens=ctx_l[b], tool_calls=calls_l[b], truncated=trunc[b], invalid=inval[b],
            tokens=ctx_rows[b][: ctx_l[b]] if record else None,
        ))
    return results
