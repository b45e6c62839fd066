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

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from toolenv import batch_tools as bt
from toolenv import vocab
from toolenv.env import token_accuracy
from toolenv.errors import ToolEnvError
from toolenv.fused_env import FusedEnvStep, fused_env_apply
from toolenv.policy import TokenPolicy
from toolenv.problem import Problem
from toolenv.regimes import check_regime, regime_answer, regime_tool, regime_trajectory
from toolenv.task import Task
from toolenv.trajectory import Role, Trajectory


@dataclass
class EpisodeResult:
    """One finished episode. ``correct`` is the env's reward (1.0 exactly when True)."""

    problem: Problem
    output: str  # the answer given: the characters written after [ANS] (read back reversed in direct-reversed)
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


_PREALLOCATE_BYTES = 1 << 29  # buffers of at most this size are allocated once for a graph rollout


def _widen(buf: torch.Tensor, need: int) -> torch.Tensor:
    if need <= buf.shape[1]:
        return buf
    extra = max(need, 2 * buf.shape[1]) - buf.shape[1]
    return torch.cat([buf, buf.new_zeros(buf.shape[0], extra)], dim=1)


def graphs_apply(policy: TokenPolicy, tool: bt.BatchTool, device: torch.device) -> str | None:
    """Why CUDA graphs cannot run this rollout, or None when they can."""
    if device.type != "cuda":
        return f"the policy runs on {device}, not CUDA"
    if not tool.host_free:
        return f"{type(tool).__name__} does host work per step"
    if getattr(policy, "decide", None) is not None:
        return f"{type(policy).__name__} decides on the host"
    if getattr(policy, "graph_state", None) is None:
        return f"{type(policy).__name__} exposes no graph_state (see toolenv.policy.TokenPolicy)"
    return None


def policy_graph_apply(policy: TokenPolicy, device: torch.device) -> str | None:
    """Why the policy's step alone cannot be replayed as a CUDA graph, or None when it can (the
    env half then stays eager: the search tool's host work runs between replays)."""
    if device.type != "cuda":
        return f"the policy runs on {device}, not CUDA"
    if getattr(policy, "decide", None) is not None:
        return f"{type(policy).__name__} decides on the host"
    if not getattr(policy, "feeds_ended_rows", False):
        return f"{type(policy).__name__} masks ended rows (feeds_ended_rows is not set)"
    if getattr(policy, "graph_state", None) is None:
        return f"{type(policy).__name__} exposes no graph_state (see toolenv.policy.TokenPolicy)"
    return None


def _use_graphs(wanted: bool | None, policy: TokenPolicy, tool: bt.BatchTool, device: torch.device) -> bool:
    if wanted is False:
        return False
    why_not = graphs_apply(policy, tool, device)
    if wanted and why_not:
        raise ToolEnvError(f"cuda_graphs=True, but {why_not}")
    return why_not is None


def _use_fused(wanted: bool | None, compile_env: bool, tool: bt.BatchTool, device: torch.device) -> bool:
    if wanted is False or (wanted is None and compile_env):
        return False
    if wanted and compile_env:
        raise ToolEnvError("fused_env=True and compile_env=True: choose one env step")
    why_not = fused_env_apply(tool, device)
    if wanted and why_not:
        raise ToolEnvError(f"fused_env=True, but {why_not}")
    return why_not is None


class _GraphChunk:
    """``steps`` calls of ``advance`` captured as one CUDA graph and replayed.

    The carry (the engine's per-row tensors ``c``, ``rows.mlen`` and the policy's
    ``graph_state``) lives in static tensors: the graph reads them at its start and copies
    the new values back into them at its end. Buffers changed in place (memory, queue,
    recording, the policy's state) are baked into the graph by address, so it is captured again
    if the engine widens one of them (``rollout`` sizes them for the whole rollout up front when
    it can) or the policy's ``reserve`` replaces a state tensor (a KV cache that grows)."""

    def __init__(self, advance, c: dict, rows: bt.Rows, rec: dict, policy, steps: int) -> None:
        self.advance, self.c, self.rows, self.rec, self.policy, self.steps = advance, c, rows, rec, policy, steps
        self.graph: torch.cuda.CUDAGraph | None = None
        self.captured: list[weakref.ref] = []  # what the graph addresses (see _same)

    def _buffers(self) -> list[torch.Tensor]:
        rows, rec = self.rows, self.rec
        return [rows.mem, rows.qbuf, rec["ctx"], rec["roles"], *_state_leaves(self.policy)]

    def _carry(self) -> list[torch.Tensor]:
        leaves, _ = torch.utils._pytree.tree_flatten(self.policy.graph_state)
        return [*self.c.values(), self.rows.mlen, *leaves]

    def _restore(self, values: list[torch.Tensor]) -> None:
        n = len(self.c)
        self.c.update(zip(self.c.keys(), values[:n]))
        self.rows.mlen = values[n]
        _, spec = torch.utils._pytree.tree_flatten(self.policy.graph_state)
        self.policy.graph_state = torch.utils._pytree.tree_unflatten(values[n + 1:], spec)

    def _capture(self) -> None:
        self.graph, self.captured = None, []
        static = _own_copies(self._carry(), self._restore)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for _ in range(self.steps):
                self.advance()
            for s, new in zip(static, self._carry()):
                if new is not s:  # state changed in place is its own static tensor
                    s.copy_(new)
        self._restore(static)
        self.graph, self.captured = graph, _weak(self._buffers())

    def run(self) -> None:
        if self.graph is None or not _same(self._buffers(), self.captured):
            self._capture()  # recording, not running: the replay below does the work
        self.graph.replay()


def _own_copies(values: list[torch.Tensor], restore) -> list[torch.Tensor]:
    """The list ``values``, each item replaced in place by a copy with its own storage (nothing
    outside aliases what a graph writes), one at a time, ``restore(values)`` putting the copies in
    use as they are made: each original is freed before the next is copied (where nothing else
    holds it), so a state of GiBs (a KV cache of 64 rows of a 113M model) needs one tensor more at
    a capture, not twice its size."""
    for i in range(len(values)):
        values[i] = values[i].clone()
        restore(values)
    return values


def _state_leaves(policy) -> list[torch.Tensor]:
    return torch.utils._pytree.tree_flatten(policy.graph_state)[0]


def _weak(tensors: list[torch.Tensor]) -> list[weakref.ref]:
    return [weakref.ref(t) for t in tensors]


def _same(tensors: list[torch.Tensor], captured: list[weakref.ref]) -> bool:
    """The very tensors a graph captured. Held weakly: a state that ``reserve`` replaces (a KV
    cache that grows) is freed layer by layer as its larger copy is made, not kept whole beside it
    by a graph that will be captured again anyway; a freed tensor's weak reference is dead even
    where a new tensor has taken its id."""
    return len(tensors) == len(captured) and all(x is r() for x, r in zip(tensors, captured))


class _PolicyGraph:
    """The policy's one-token step (``feed`` of every row, greedy choice) captured as one CUDA
    graph and replayed, for rollouts whose tool needs the host every step (search): the model's
    dozens of kernel launches per token become one. Its state (``graph_state``) lives in static
    tensors that the graph reads and writes back; the token fed is copied into a static input.
    It is captured again when the policy's ``reserve`` replaces a state tensor."""

    def __init__(self, policy, batch: int, device: torch.device) -> None:
        self.policy = policy
        self.tok = torch.zeros(batch, dtype=torch.long, device=device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.choice: torch.Tensor | None = None
        self.captured: list[weakref.ref] = []

    def _capture(self) -> None:
        self.graph, self.captured = None, []
        leaves, spec = torch.utils._pytree.tree_flatten(self.policy.graph_state)
        static = _own_copies(leaves, lambda values: setattr(self.policy, "graph_state",
                                                            torch.utils._pytree.tree_unflatten(values, spec)))
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            choice = self.policy.feed(self.tok, None)
            for s, new in zip(static, _state_leaves(self.policy)):
                if new is not s:
                    s.copy_(new)
        self.policy.graph_state = torch.utils._pytree.tree_unflatten(static, spec)
        self.graph, self.choice, self.captured = graph, choice, _weak(_state_leaves(self.policy))

    def feed(self, tok: torch.Tensor) -> torch.Tensor:
        """Every row consumes ``tok``; the next greedy choice per row."""
        if self.graph is None or not _same(_state_leaves(self.policy), self.captured):
            self._capture()  # recording, not running: the replay below does the work
        self.tok.copy_(tok)
        self.graph.replay()
        return self.choice.clone()  # the next replay overwrites the graph's output


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
    cuda_graphs: bool | None = None,
    compile_env: bool = False,
    fused_env: bool | None = None,
) -> list[EpisodeResult]:
    """Play ``problems`` as one batch with ``policy``; one result per problem, in order.

    ``max_steps`` overrides the per-problem step limit (as ``ToolEnv(max_steps=...)``);
    ``record`` keeps every episode's tokens and roles. A policy with a ``decide`` method (see
    ``toolenv.policy.AgentPolicy``) is asked for actions only where the engine needs one.

    ``cuda_graphs``: replay each run of ``sync_every`` steps (policy step, env and tool logic) as
    one captured CUDA graph. None (default) uses graphs where they apply: a CUDA policy that
    exposes ``graph_state`` (see ``toolenv.policy``) and a tool with no host work per step
    (pointer, calculator, no tool); with a host tool (search), the policy's step alone is
    replayed as a graph and the env half runs eagerly (``policy_graph_apply``). True demands
    whole-step graphs (error if they do not apply); False never uses graphs. Results are the
    same either way (tested on GPU). ``compile_env``: fuse the env and tool half of each step
    with ``torch.compile`` (fewer, larger kernels; compiles once per process and batch shape). ``fused_env``: run the env and tool half of each step as one
    Triton kernel (``toolenv.fused_env``: pointer, calculator, no tool; needs CUDA and triton).
    None (default) uses it where it applies, unless ``compile_env``; True demands it; False
    never uses it. Results are the same either way.
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

    c = {"qhead": zeros(), "qtail": plen.clone(), "state": zeros(), "steps": zeros(), "calls": zeros(),
         "status": zeros(), "context": zeros(), "live": torch.ones(B, dtype=torch.bool, device=dev), "choice": zeros()}
    rec = {"ctx": torch.zeros(B, 1, dtype=torch.long, device=dev), "roles": torch.zeros(B, 1, dtype=torch.long, device=dev)}
    decide = getattr(policy, "decide", None)

    def env_step() -> torch.Tensor:
        """The env and tool half of an engine step, for every row; returns the token consumed."""
        forced = c["qhead"] < c["qtail"]
        tok = torch.where(forced, rows.qbuf.gather(1, c["qhead"][:, None])[:, 0], c["choice"])
        idle = forced >= c["live"]  # forced, or finished
        i = torch.add(c["state"], tok, alpha=2 * S).add_(idle, alpha=S)  # a token id >= V fails here
        props = tool.resolve(tok, bt.Props(table.index_select(0, i), columns), kind_table, rows)
        c["state"] = props["next"].contiguous()  # not a view of the table: same strides every step
        c["steps"] = c["steps"] + props["act"]
        rows.mem.scatter_(1, rows.mlen[:, None], tok[:, None])  # kept only where it is content
        rows.mlen = rows.mlen + props["content"]
        n_obs = tool.apply(tok, props, rows)
        c["qtail"] = c["qtail"] * forced if n_obs is None else torch.where(forced, c["qtail"], n_obs)
        c["qhead"] = (c["qhead"] + 1) * forced
        c["calls"] = c["calls"] + props["calls"]
        context = c["context"]
        if record:
            rec["ctx"].scatter_(1, context[:, None], tok[:, None])
            role = torch.where(context < plen, int(Role.PROMPT), int(Role.OBSERVATION))
            rec["roles"].scatter_(1, context[:, None], torch.where(forced, role, props["role"])[:, None])
        c["context"] = context + (c["live"] | forced)  # a finished row still takes in its last action's observation
        c["status"] = c["status"] + torch.where(c["steps"] >= limits, props["end1"], props["end0"])
        c["live"] = c["status"] == 0
        return tok

    if _use_fused(fused_env, compile_env, tool, dev):
        env = FusedEnvStep(c, rows, tool, table, columns, limits, plen, rec, record)
    else:
        env = torch.compile(env_step) if compile_env else env_step

    mask_ended = not getattr(policy, "feeds_ended_rows", False)

    def advance() -> None:
        """One engine step for every row: the loop body, on the device only (no host sync)."""
        tok = env()
        c["choice"] = policy.feed(tok, c["live"] if mask_ended else None)
        if decide is not None:
            c["choice"] = decide(c["live"] & (c["qhead"] >= c["qtail"]))

    if hasattr(policy, "prepare"):  # the oracle's hook: it replays the problems' teacher trajectories
        policy.prepare(task, problems, regime)
    policy.start(B)
    graphs = _use_graphs(cuda_graphs, policy, tool, dev)
    chunk = _GraphChunk(advance, c, rows, rec, policy, sync_every) if graphs else None
    step_graph = None
    if cuda_graphs is None and not graphs and not tool.host_free and policy_graph_apply(policy, dev) is None:
        step_graph = _PolicyGraph(policy, B, dev)
    if chunk is not None:  # size the buffers for the whole rollout up front: one capture, not one per widening
        most = int(limits.max())  # memory grows by at most one token per agent step
        if B * (pmax + most) * 8 <= _PREALLOCATE_BYTES:
            rows.mem = _widen(rows.mem, pmax + 2 + most + sync_every + 1)
            if record:  # the context: the prompt, the actions and (mostly one-token) observations
                width = pmax + 2 * most + rows.qbuf.shape[1] + sync_every + 1
                rec["ctx"], rec["roles"] = _widen(rec["ctx"], width), _widen(rec["roles"], width)
    reserve = getattr(policy, "reserve", None)
    t = 0
    while True:  # the host looks at the batch every `sync_every` steps, and only then
        running, longest = torch.stack([(c["live"] | (c["qhead"] < c["qtail"])).any().long(), rows.mlen.max()]).tolist()
        if not running:
            break
        if reserve is not None:  # room for the next feeds outside any graph (a KV cache grows here)
            reserve(sync_every)
        rows.mem = _widen(rows.mem, longest + sync_every + 1)
        if record:
            rec["ctx"], rec["roles"] = _widen(rec["ctx"], t + sync_every + 1), _widen(rec["roles"], t + sync_every + 1)
        if chunk is not None and t > 0:
            chunk.run()
        elif step_graph is not None and t > 0:
            for _ in range(sync_every):
                tok = env()
                c["choice"] = step_graph.feed(tok)
        elif chunk is not None or step_graph is not None:  # the first chunk runs eagerly on a side stream: it warms up kernels,
            side = torch.cuda.Stream(dev)  # library handles and allocators before any capture
            side.wait_stream(torch.cuda.current_stream(dev))
            with torch.cuda.stream(side):
                for _ in range(sync_every):
                    advance()
            torch.cuda.current_stream(dev).wait_stream(side)
        else:
            for _ in range(sync_every):
                advance()
        t += sync_every

    status, steps, calls, context = c["status"], c["steps"], c["calls"], c["context"]
    ctx, roles = rec["ctx"], rec["roles"]
    mem_rows, mlen_l, plen_l = rows.mem.cpu().tolist(), rows.mlen.cpu().tolist(), plen.cpu().tolist()
    status_l, steps_l = status.cpu().tolist(), steps.cpu().tolist()
    calls_l, ctx_l = calls.cpu().tolist(), context.cpu().tolist()
    ctx_rows = ctx.cpu().tolist() if record else None
    role_rows = roles.cpu().tolist() if record else None
    results = []
    for b, p in enumerate(problems):
        output = regime_answer(regime, _output(mem_rows[b][1 + plen_l[b] : mlen_l[b]]))
        correct = status_l[b] == bt.END_EOS and bool(task.check(p, output))
        results.append(EpisodeResult(
            problem=p, output=output, correct=correct, token_accuracy=token_accuracy(output, p.answer),
            steps=steps_l[b], context_tokens=ctx_l[b], tool_calls=calls_l[b],
            truncated=status_l[b] == bt.END_TRUNCATED, invalid=status_l[b] == bt.END_INVALID,
            tokens=ctx_rows[b][: ctx_l[b]] if record else None, roles=role_rows[b][: ctx_l[b]] if record else None,
        ))
    return results
