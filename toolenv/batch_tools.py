"""Vectorized env and tool logic for the batched rollout engine (``toolenv.rollout``).

What an agent token does is decided for the whole batch by one table lookup. A row's
``state`` packs whether it has written ``[ANS]`` and the tool's mode (inside a ``[find]``
query, calculator used, which no-tool transcript slot...); the row ``(idle, state, token)`` of
the table built by :func:`build_table` holds the token's *kind* and everything that follows
from it: the next state, whether it is content (enters memory), counts as a tool call, ends
the episode, its role, and the tool's own columns. ``idle`` marks a row that consumes a
forced token (prompt or observation) or has finished: nothing happens and its state stays.
The table is built once per rollout, in Python, by restating ``ToolEnv.step``'s order of
checks: no-tool transcript slots first, then ``[PAD]``/``[BOS]``/a second ``[ANS]``
(invalid), then the tool (a command it owns, a command it rejects, or content).

Each batch tool mirrors one reference tool exactly:

- :class:`BatchPointerMemory` (``PointerMemory``): positions ``[B, k]`` over the shared memory
  buffer; read by ``gather``, left/right/home by table arithmetic and a clamp.
- :class:`BatchCalculator` (``Calculator``, single-turn): the answer observation is queued from
  a precomputed buffer.
- :class:`BatchNoTool` (``direct``: command tokens are inert) and :class:`BatchImagined`
  (``no-tool``: ``ImaginedTool``'s transcript slots become table modes).
- :class:`BatchSearchMemory` (``SearchMemory``): query characters are gathered on the device;
  when a ``[/find]`` closes a query, ``SearchMemory``'s line search runs for that
  episode on the CPU. Searches are rare, but spotting them costs one host sync per step.
- :class:`PythonTools`: any other tool (a plugin's own ``Tool``) runs its reference ``feed``
  per episode and token: correct for every tool, and slow.

The first four do no Python work per episode and token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from toolenv import vocab
from toolenv.tools import Calculator, PointerMemory, SearchMemory, Tool, ToolCommandError
from toolenv.tools.search import matching_lines
from toolenv.trajectory import Role

V = vocab.VOCAB_SIZE

# -- kinds: what one token does --------------------------------------------------------------
IDLE = 0  # a forced token (prompt or observation), or a finished row
THOUGHT, ANS, OUT, EOS_T, EOS_O = 1, 2, 3, 4, 5  # content (enters memory); EOS_* end the episode
BAD_T, BAD_O, BAD_C = 6, 7, 8  # invalid: [PAD]/[BOS]/second [ANS] (before/after [ANS]); a rejected command
INERT_C, IMAG = 9, 10  # a command nothing executes (direct, no-tool); an imagined observation (no-tool)
P_READ, P_LEFT, P_RIGHT, P_HOME = 11, 12, 13, 14
CALC = 15
FIND, QCHAR, FIND_END = 16, 17, 18
PY_CALL, PY_CMD, PY_ASK = 19, 20, 21  # PythonTools: a call (counted), another command token, not yet asked
N_KINDS = 22

END_NONE, END_EOS, END_INVALID, END_TRUNCATED = 0, 1, 2, 3

_ROLE = {THOUGHT: Role.THOUGHT, ANS: Role.OUTPUT, OUT: Role.OUTPUT, EOS_T: Role.THOUGHT, EOS_O: Role.OUTPUT,
         BAD_T: Role.THOUGHT, BAD_O: Role.OUTPUT, IMAG: Role.THOUGHT}  # every other kind: COMMAND
_READS = frozenset(vocab.pointer_command(k, "read") for k in range(1, vocab.MAX_POINTERS + 1))
_POINTER_OPS = {vocab.pointer_command(k, op): (k, i) for k in range(1, vocab.MAX_POINTERS + 1)
                for i, op in enumerate(vocab.POINTER_OPS)}


def kind_columns() -> dict[str, list[int]]:
    """The engine's columns as functions of the kind. ``end0``/``end1``: END_* below / at the
    step limit (the limit cuts an action that did not end the episode itself)."""
    content = {THOUGHT, ANS, OUT, EOS_T, EOS_O}
    calls = {P_READ, P_LEFT, P_RIGHT, P_HOME, CALC, FIND_END, PY_CALL}
    end0 = {EOS_T: END_EOS, EOS_O: END_EOS, BAD_T: END_INVALID, BAD_O: END_INVALID, BAD_C: END_INVALID}
    return {
        "act": [int(k != IDLE) for k in range(N_KINDS)],
        "content": [int(k in content) for k in range(N_KINDS)],
        "calls": [int(k in calls) for k in range(N_KINDS)],
        "end0": [end0.get(k, END_NONE) for k in range(N_KINDS)],
        "end1": [end0.get(k, END_NONE if k == IDLE else END_TRUNCATED) for k in range(N_KINDS)],
        "role": [int(_ROLE.get(k, Role.COMMAND)) for k in range(N_KINDS)],
    }


class Rows:
    """The engine state a tool works on (tensors ``[B, ...]`` on the policy's device).

    ``mem``: column 0 holds [BOS] (position -1); memory token i sits in column i + 1, and
    ``mlen`` = 1 + memory length. ``qbuf[b, qhead:qtail]`` are the forced tokens still to feed
    (prompt, then observations). A tool may overwrite ``qbuf[:, 0]`` for every row (a row that
    consumed a forced token has consumed column 0 by now) and longer prefixes for rows that
    acted this step (their queue is empty).
    """

    def __init__(self, mem: torch.Tensor, mlen: torch.Tensor, qbuf: torch.Tensor) -> None:
        self.mem, self.mlen, self.qbuf = mem, mlen, qbuf

    def reserve(self, n: int) -> None:
        """Make room for an observation of ``n`` tokens (the queue head must stay in range)."""
        if n >= self.qbuf.shape[1]:
            extra = max(n + 1, 2 * self.qbuf.shape[1]) - self.qbuf.shape[1]
            self.qbuf = torch.cat([self.qbuf, self.qbuf.new_zeros(self.qbuf.shape[0], extra)], dim=1)

    def enqueue(self, b: int, tokens: Sequence[int]) -> None:
        """Queue an observation for row ``b``, which acted this step."""
        self.reserve(len(tokens))
        self.qbuf[b, : len(tokens)] = torch.as_tensor(tokens, dtype=torch.long, device=self.qbuf.device)


class Props:
    """This step's table rows ``[B, C]``; ``props["name"]`` is one column (a view)."""

    def __init__(self, data: torch.Tensor, columns: dict[str, int]) -> None:
        self.data, self.columns = data, columns

    def __getitem__(self, name: str) -> torch.Tensor:
        return self.data[:, self.columns[name]]


class BatchTool:
    """One vectorized tool. Subclasses set ``n_modes`` and define the token classification
    (:meth:`imagined`, :meth:`command`), their own table columns and the effects (:meth:`apply`)."""

    n_modes = 1
    host_free = True  # no host work per step: the engine may capture its steps in a CUDA graph

    def imagined(self, mode: int, token: int) -> tuple[int, int] | None:
        """(kind, next mode) for tokens judged before the [PAD]/[BOS]/[ANS] check (no-tool)."""
        return None

    def command(self, mode: int, token: int) -> tuple[int, int] | None:
        """(kind, next mode) when the tool takes ``token`` as (part of) a command, BAD_C when it
        rejects it; None when the token is content."""
        return (BAD_C, mode) if token in vocab.COMMAND_IDS else None

    def kind_columns(self) -> dict[str, list[int]]:
        """Extra table columns, as functions of the kind."""
        return {}

    def token_columns(self) -> dict[str, list[int]]:
        """Extra table columns, as functions of the token."""
        return {}

    def setup(self, rows: Rows) -> None:
        """Allocate per-batch state (once, before the first step)."""

    def resolve(self, tok: torch.Tensor, props: Props, kind_table: torch.Tensor, rows: Rows) -> Props:
        """Decide the kinds the table left open (PythonTools only)."""
        return props

    def apply(self, tok: torch.Tensor, props: Props, rows: Rows) -> torch.Tensor | None:
        """Run this step's commands. Returns the number of observation tokens queued per row
        (in ``rows.qbuf[b, :n]``), or None when nothing ever observes anything."""
        return None


class BatchNoTool(BatchTool):
    """``direct`` regime: no tool; a command token is an inert token with role COMMAND."""

    def command(self, mode: int, token: int) -> tuple[int, int] | None:
        return (INERT_C, mode) if token in vocab.COMMAND_IDS else None


class BatchImagined(BatchNoTool):
    """``no-tool`` regime, ``ImaginedTool`` as modes: 0 normal, 1 one imagined token (after
    ``[pK.read]``), 2 inside ``[find]`` ... ``[/find]``, 3 imagined tokens up to ``[end]``."""

    n_modes = 4

    def imagined(self, mode: int, token: int) -> tuple[int, int] | None:
        if mode == 1:
            return IMAG, 0
        if mode == 3:
            return IMAG, 0 if token == vocab.END else 3
        if mode == 2:
            return INERT_C, 3 if token == vocab.FIND_END else 2
        if token in _READS:
            return INERT_C, 1
        if token == vocab.FIND:
            return INERT_C, 2
        if token == vocab.CALC:
            return INERT_C, 3
        return (INERT_C, 0) if token in vocab.COMMAND_IDS else None


class BatchPointerMemory(BatchTool):
    """``PointerMemory(k)`` for a batch: ``pos[b, j]`` is the memory column of pointer j + 1
    (column = position + 1: [BOS] sits in column 0, and the clamp range [-1, len] becomes
    [0, mlen]). Columns: ``ptr`` (which pointer a token moves), ``mul``/``add`` (new column =
    column * mul + add, then clamped), ``tail`` (observation tokens: 1 for a read)."""

    def __init__(self, k: int) -> None:
        self.k = k

    def command(self, mode: int, token: int) -> tuple[int, int] | None:
        op = _POINTER_OPS.get(token)
        if op is not None and op[0] <= self.k:
            return P_READ + op[1], mode
        return super().command(mode, token)

    def token_columns(self) -> dict[str, list[int]]:
        ptr = [0] * V
        for token, (k, _) in _POINTER_OPS.items():
            ptr[token] = min(k, self.k) - 1
        return {"ptr": ptr}

    def kind_columns(self) -> dict[str, list[int]]:
        mul, add, tail = [1] * N_KINDS, [0] * N_KINDS, [0] * N_KINDS
        add[P_LEFT], add[P_RIGHT] = -1, 1
        mul[P_HOME], add[P_HOME] = 0, 1
        tail[P_READ] = 1
        return {"mul": mul, "add": add, "tail": tail}

    def setup(self, rows: Rows) -> None:
        B, dev = rows.mem.shape[0], rows.mem.device
        self.pos = torch.ones(B, self.k, dtype=torch.long, device=dev)
        self.zero = torch.zeros(B, dtype=torch.long, device=dev)
        self.eos = torch.tensor(vocab.EOS, device=dev)

    def apply(self, tok: torch.Tensor, props: Props, rows: Rows) -> torch.Tensor:
        j = props["ptr"][:, None]
        p = self.pos.gather(1, j)
        under = rows.mem.gather(1, p)[:, 0]
        p = p[:, 0]
        rows.qbuf[:, 0] = torch.where(p >= rows.mlen, self.eos, under)  # [BOS] comes from column 0
        moved = torch.addcmul(props["add"], p, props["mul"])  # other kinds: mul 1, add 0
        self.pos.scatter_(1, j, torch.clamp(moved, self.zero, rows.mlen)[:, None])
        return props["tail"]


class BatchCalculator(BatchTool):
    """``Calculator``: modes 0 (unused) and 1 (used). The first ``[calc]`` queues the answer and
    ``[end]`` from a precomputed buffer; a second one, or any other command, is invalid."""

    n_modes = 2

    def __init__(self, answers: Sequence[str]) -> None:
        self.obs = [[*vocab.encode(a), vocab.END] for a in answers]

    def command(self, mode: int, token: int) -> tuple[int, int] | None:
        if token == vocab.CALC:
            return (CALC, 1) if mode == 0 else (BAD_C, 1)
        return super().command(mode, token)

    def kind_columns(self) -> dict[str, list[int]]:
        return {"calc": [int(k == CALC) for k in range(N_KINDS)]}

    def setup(self, rows: Rows) -> None:
        dev, width = rows.mem.device, max(map(len, self.obs))
        buf = torch.zeros(len(self.obs), width, dtype=torch.long)
        for b, o in enumerate(self.obs):
            buf[b, : len(o)] = torch.tensor(o)
        self.buf = buf.to(dev)
        self.len = torch.tensor([len(o) for o in self.obs], device=dev)
        rows.reserve(width)

    def apply(self, tok: torch.Tensor, props: Props, rows: Rows) -> torch.Tensor:
        call = props["calc"]
        head = rows.qbuf[:, : self.buf.shape[1]]
        head.copy_(torch.where(call[:, None].bool(), self.buf, head))
        return self.len * call


class BatchSearchMemory(BatchTool):
    """``SearchMemory``: modes 0 (outside a query), 1 (inside, empty), 2 (inside, non-empty).
    Query characters are gathered on the device; a closing ``[/find]`` runs the reference
    search for that episode on the CPU, over a host copy of its memory that is extended by the
    tokens added since its last search (memory only grows), not copied whole each time."""

    n_modes = 3
    host_free = False

    def command(self, mode: int, token: int) -> tuple[int, int] | None:
        if mode == 0:
            return (FIND, 1) if token == vocab.FIND else super().command(mode, token)
        if token == vocab.FIND_END:
            return (FIND_END, 0) if mode == 2 else (BAD_C, 0)  # an empty query is invalid
        return (QCHAR, 2) if vocab.is_char(token) else (BAD_C, mode)

    def setup(self, rows: Rows) -> None:
        B, dev = rows.mem.shape[0], rows.mem.device
        self.query = torch.zeros(B, 16, dtype=torch.long, device=dev)
        self.qlen = torch.zeros(B, dtype=torch.long, device=dev)
        self.host_memory = [bytearray() for _ in range(B)]  # rows.mem[b, 1:...] as far as copied

    def apply(self, tok: torch.Tensor, props: Props, rows: Rows) -> torch.Tensor:
        kind = props["kind"]
        if int(self.qlen.max()) >= self.query.shape[1]:
            self.query = torch.cat([self.query, torch.zeros_like(self.query)], 1)
        self.query.scatter_(1, self.qlen[:, None], tok[:, None])
        self.qlen = torch.where(kind == FIND, 0, self.qlen + (kind == QCHAR))
        n = torch.zeros_like(self.qlen)
        searching = (kind == FIND_END).nonzero()[:, 0]
        if not len(searching):
            return n
        ends, qlens = torch.stack([rows.mlen[searching], self.qlen[searching]]).tolist()
        for b, end, qlen in zip(searching.tolist(), ends, qlens):
            memory = self.host_memory[b]
            if 1 + len(memory) < end:
                memory += bytes(rows.mem[b, 1 + len(memory) : end].tolist())
            obs = matching_lines(memory, bytes(self.query[b, :qlen].tolist()))
            rows.enqueue(b, obs)
            n[b] = len(obs)
        return n


class PythonTools(BatchTool):
    """Any other tool: each episode's reference ``Tool.feed`` decides every agent token that
    passed the [PAD]/[BOS]/[ANS] check (content, a command with its observation, or invalid)."""

    host_free = False

    def __init__(self, tools: Sequence[Tool], prompts: Sequence[Sequence[int]]) -> None:
        self.tools = list(tools)
        for t, p in zip(self.tools, prompts):
            t.reset(p)
        self.pending: dict[int, list[int]] = {}

    def command(self, mode: int, token: int) -> tuple[int, int] | None:
        return PY_ASK, mode

    def resolve(self, tok: torch.Tensor, props: Props, kind_table: torch.Tensor, rows: Rows) -> Props:
        ask = (props["kind"] == PY_ASK).nonzero()[:, 0].tolist()
        if not ask:
            return props
        data, nxt = props.data.clone(), props.columns["next"]
        toks, states = tok.tolist(), data[:, nxt].tolist()
        for b in ask:
            t, answered, state = toks[b], states[b] % 2, states[b]
            try:
                obs = self.tools[b].feed(t)
            except ToolCommandError:
                kind = BAD_C
            else:
                if obs is not None:
                    kind = PY_CALL if t in vocab.CALL_END_IDS else PY_CMD
                    self.pending[b] = obs
                elif t in vocab.COMMAND_IDS:  # a command the tool lets through: ToolEnv's inert branch
                    kind = INERT_C
                elif t == vocab.ANS:
                    kind, state = ANS, state | 1
                elif t == vocab.EOS:
                    kind = EOS_O if answered else EOS_T
                else:
                    kind = OUT if answered else THOUGHT
            data[b] = kind_table[kind]
            data[b, nxt] = state
        return Props(data, props.columns)

    def apply(self, tok: torch.Tensor, props: Props, rows: Rows) -> torch.Tensor:
        n = torch.zeros_like(tok)
        for b, obs in self.pending.items():
            rows.enqueue(b, obs)
            n[b] = len(obs)
        self.pending = {}
        return n


def batch_tool(tool: Tool | None, regime: str, answers: Sequence[str],
               tools_per_row: Callable[[], Sequence[Tool]], prompts: Sequence[Sequence[int]]) -> BatchTool:
    """The vectorized form of ``tool`` (the batch's first episode's tool) in ``regime``.
    ``tools_per_row()`` makes every episode's own tool, for :class:`PythonTools`. Only the
    exact reference classes are vectorized: a subclass may change their behaviour."""
    if regime == "no-tool":
        return BatchImagined()
    if tool is None:
        return BatchNoTool()
    if type(tool) is PointerMemory:
        return BatchPointerMemory(tool.k)
    if type(tool) is Calculator:
        return BatchCalculator(answers)
    if type(tool) is SearchMemory:
        return BatchSearchMemory()
    return PythonTools(tools_per_row(), prompts)


def build_table(tool: BatchTool, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, dict[str, int]]:
    """``(table, kind_table, columns)``. ``table[(token * 2 + idle) * S + state]`` is the row of
    a token in a state (``S = 2 * n_modes``, ``state = 2 * mode + answered``); token-major, so
    a token id outside the vocabulary indexes outside the table instead of into another
    state's rows. ``kind_table[kind]`` is the row of a kind with ``next`` = 0; ``columns``
    names the columns."""
    per_kind = {**kind_columns(), **tool.kind_columns()}
    per_token = tool.token_columns()
    names = ["kind", "next", *per_kind, *per_token]
    columns = {n: i for i, n in enumerate(names)}
    kind_table = torch.zeros(N_KINDS, len(names), dtype=torch.long)
    for kind in range(N_KINDS):
        kind_table[kind, 0] = kind
        for n, values in per_kind.items():
            kind_table[kind, columns[n]] = values[kind]
    S = 2 * tool.n_modes
    table = torch.zeros(V, 2, S, len(names), dtype=torch.long)
    for state in range(S):
        mode, answered = divmod(state, 2)
        for token in range(V):
            kind, m = _classify(tool, mode, answered, token)
            table[token, 0, state] = kind_table[kind]
            table[token, 0, state, 1] = 2 * m + (answered or kind == ANS)
            table[token, 1, state] = kind_table[IDLE]
            table[token, 1, state, 1] = state
    for n, values in per_token.items():
        table[..., columns[n]] = torch.tensor(values)[:, None, None]
    return table.reshape(V * 2 * S, len(names)).to(device), kind_table.to(device), columns


def _classify(tool: BatchTool, mode: int, answered: int, token: int) -> tuple[int, int]:
    r = tool.imagined(mode, token)
    if r is not None:
        return r
    if token in (vocab.PAD, vocab.BOS) or (token == vocab.ANS and answered):
        return (BAD_O if answered else BAD_T), mode
    r = tool.command(mode, token)
    if r is not None:
        return r
    if token == vocab.ANS:
        return ANS, mode
    if token == vocab.EOS:
        return (EOS_O if answered else EOS_T), mode
    return (OUT if answered else THOUGHT), mode
