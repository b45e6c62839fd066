"""The env and tool half of a rollout step (``rollout``'s ``env_step``) as one Triton kernel.

On CUDA, ``env_step`` is about 30 small torch kernels (table lookup, queue gather, memory
scatter, pointer gather/scatter, counters, status, recording); :class:`FusedEnvStep` does the
same work for every row in one launch (one program per block of rows), so a captured CUDA graph
of 32 engine steps holds 32 launches for the env instead of ~1,000. Results are bit-identical to
``env_step``: the same ``c`` tensors, ``rows.mem``/``mlen``/``qbuf``, tool state and recording,
and the same returned token (tested under Triton's interpreter on the CPU and on GPU).

Covered: :class:`~toolenv.batch_tools.BatchPointerMemory` (pointer tool), ``BatchNoTool``
(direct), ``BatchImagined`` (no-tool) and ``BatchCalculator`` (single-turn). Search and plugin
tools do host work per step and keep the torch step. Triton is optional: without it, or off
CUDA (unless Triton's interpreter is on, ``TRITON_INTERPRET=1`` before this module is
imported), :func:`fused_env_apply` says why and ``rollout`` uses the torch step.

One difference, outside the engine's contract: a token id outside ``[0, VOCAB_SIZE)`` makes the
torch step fail (index out of range); the fused step ends that row as invalid instead.
"""

from __future__ import annotations

import torch

from toolenv import batch_tools as bt
from toolenv import vocab
from toolenv.trajectory import Role

try:
    import triton
    import triton.language as tl
except ImportError:  # triton is optional: rollout falls back to the torch env step
    triton = None

_NONE, _POINTER, _CALC = 0, 1, 2
_TOOLS = {bt.BatchPointerMemory: _POINTER, bt.BatchCalculator: _CALC, bt.BatchNoTool: _NONE, bt.BatchImagined: _NONE}
BLOCK = 128  # rows per program: one row per thread with 4 warps

if triton is not None:

    @triton.jit(do_not_specialize=["sq", "wq", "sm", "wm", "sp", "sr", "wr", "srl"])
    def _env_step_kernel(
        qhead, qtail, state, steps, calls, status, context, live, choice, mlen,  # [B] carry, updated in place
        tok_out, limits, plen, table,  # [B] out, [B], [B], [rows, C]
        qbuf, sq, wq, mem, sm, wm, pos, sp, ctx, sr, wr, roles, srl, cbuf, scb, clen,  # buffers, row strides, widths
        B, C: tl.constexpr, S: tl.constexpr, NROWS: tl.constexpr,
        NEXT: tl.constexpr, ACT: tl.constexpr, CONTENT: tl.constexpr, CALLS: tl.constexpr, END0: tl.constexpr,
        END1: tl.constexpr, ROLE: tl.constexpr, MUL: tl.constexpr, ADD: tl.constexpr, TAIL: tl.constexpr,
        PTR: tl.constexpr, CALC: tl.constexpr, CW: tl.constexpr, CWP: tl.constexpr,
        TOOL: tl.constexpr, RECORD: tl.constexpr, EOS: tl.constexpr, PROMPT: tl.constexpr, OBS: tl.constexpr,
        INVALID: tl.constexpr, BLOCK: tl.constexpr,
    ):
        r = (tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)).to(tl.int64)
        m = r < B
        h = tl.load(qhead + r, mask=m, other=0)
        t = tl.load(qtail + r, mask=m, other=0)
        alive = tl.load(live + r, mask=m, other=0) != 0
        forced = h < t
        queued = tl.load(qbuf + r * sq + h, mask=m & forced & (h < wq), other=0)
        tok = tl.where(forced, queued, tl.load(choice + r, mask=m, other=0))
        idle = forced | (alive == 0)  # forced, or finished
        i = tl.load(state + r, mask=m, other=0) + tok * (2 * S) + tl.where(idle, S, 0)
        ok = (tok >= 0) & (tok < NROWS // (2 * S))  # else the torch step fails; here the row ends invalid
        row = table + tl.where(ok, i, 0) * C
        lm = m & ok
        nxt = tl.load(row + NEXT, mask=lm, other=0)
        act = tl.load(row + ACT, mask=lm, other=0)
        content = tl.load(row + CONTENT, mask=lm, other=0)
        n_calls = tl.load(row + CALLS, mask=lm, other=0)
        end0 = tl.load(row + END0, mask=lm, other=INVALID)
        end1 = tl.load(row + END1, mask=lm, other=INVALID)
        old_len = tl.load(mlen + r, mask=m, other=0)
        tl.store(mem + r * sm + old_len, tok, mask=m & (old_len < wm))  # kept only where it is content
        new_len = old_len + content
        if TOOL == 1:  # BatchPointerMemory.apply
            j = tl.load(row + PTR, mask=lm, other=0)
            p = tl.load(pos + r * sp + j, mask=m, other=0)
            under = tl.where(p == old_len, tok, tl.load(mem + r * sm + p, mask=m & (p < wm), other=0))
            tl.store(qbuf + r * sq, tl.where(p >= new_len, EOS, under), mask=m)
            moved = tl.load(row + ADD, mask=lm, other=0) + p * tl.load(row + MUL, mask=lm, other=1)
            tl.store(pos + r * sp + j, tl.minimum(tl.maximum(moved, 0), new_len), mask=m)
            new_t = tl.where(forced, t, tl.load(row + TAIL, mask=lm, other=0))
        elif TOOL == 2:  # BatchCalculator.apply
            call = tl.load(row + CALC, mask=lm, other=0)
            k = tl.arange(0, CWP)
            cm = (m & (call != 0))[:, None] & (k < CW)[None, :]
            answer = tl.load(cbuf + r[:, None] * scb + k[None, :], mask=cm, other=0)
            tl.store(qbuf + r[:, None] * sq + k[None, :], answer, mask=cm)
            new_t = tl.where(forced, t, tl.load(clen + r, mask=m, other=0) * call)
        else:  # no tool observes anything
            new_t = tl.where(forced, t, 0)
        tl.store(qtail + r, new_t, mask=m)
        tl.store(qhead + r, tl.where(forced, h + 1, 0), mask=m)
        tl.store(mlen + r, new_len, mask=m)
        tl.store(state + r, nxt, mask=m)
        new_steps = tl.load(steps + r, mask=m, other=0) + act
        tl.store(steps + r, new_steps, mask=m)
        tl.store(calls + r, tl.load(calls + r, mask=m, other=0) + n_calls, mask=m)
        at = tl.load(context + r, mask=m, other=0)
        if RECORD:
            rm = m & (at < wr)
            tl.store(ctx + r * sr + at, tok, mask=rm)
            forced_role = tl.where(at < tl.load(plen + r, mask=m, other=0), PROMPT, OBS)
            role = tl.where(forced, forced_role, tl.load(row + ROLE, mask=lm, other=0))
            tl.store(roles + r * srl + at, role, mask=rm)
        tl.store(context + r, at + (alive | forced).to(tl.int64), mask=m)
        limit = tl.load(limits + r, mask=m, other=0)
        new_status = tl.load(status + r, mask=m, other=0) + tl.where(new_steps >= limit, end1, end0)
        tl.store(status + r, new_status, mask=m)
        tl.store(live + r, new_status == 0, mask=m)
        tl.store(tok_out + r, tok, mask=m)

    _INTERPRETED = type(_env_step_kernel).__name__ == "InterpretedFunction"


def fused_env_apply(tool: bt.BatchTool, device: torch.device) -> str | None:
    """Why the fused env step cannot run this rollout, or None when it can."""
    if triton is None:
        return "triton is not installed"
    if torch.device(device).type != "cuda" and not _INTERPRETED:
        return f"the rollout runs on {device}, not CUDA (and Triton's interpreter is off)"
    if type(tool) not in _TOOLS:
        return f"{type(tool).__name__} has no fused env step"
    return None


class FusedEnvStep:
    """``env_step`` of ``rollout`` over the same state, as one kernel launch per call.

    Reads and updates the engine's tensors in place: the ``c`` carry (``qhead``, ``qtail``,
    ``state``, ``steps``, ``calls``, ``status``, ``context``, ``live``; reads ``choice``),
    ``rows.mem``/``mlen``/``qbuf``, the tool's state and, when ``record``, ``rec``. Buffers are
    looked up at every call (the engine may widen them or rebind the carry between chunks).
    Calling it returns the token each row consumed (a new int64 tensor [B])."""

    def __init__(self, c: dict, rows: bt.Rows, tool: bt.BatchTool, table: torch.Tensor, columns: dict[str, int],
                 limits: torch.Tensor, plen: torch.Tensor, rec: dict, record: bool) -> None:
        why_not = fused_env_apply(tool, table.device)
        if why_not:
            raise ValueError(why_not)
        self.c, self.rows, self.tool, self.table, self.limits, self.plen = c, rows, tool, table, limits, plen
        self.rec, self.record, self.kind = rec, record, _TOOLS[type(tool)]
        self.B = limits.shape[0]
        S = 2 * tool.n_modes
        col = columns
        self.consts = {
            "C": table.stride(0), "S": S, "NROWS": table.shape[0], "NEXT": col["next"], "ACT": col["act"],
            "CONTENT": col["content"], "CALLS": col["calls"], "END0": col["end0"], "END1": col["end1"],
            "ROLE": col["role"], "MUL": col.get("mul", 0), "ADD": col.get("add", 0), "TAIL": col.get("tail", 0),
            "PTR": col.get("ptr", 0), "CALC": col.get("calc", 0), "CW": tool.buf.shape[1] if self.kind == _CALC else 1,
            "TOOL": self.kind, "RECORD": bool(record), "EOS": vocab.EOS, "PROMPT": int(Role.PROMPT),
            "OBS": int(Role.OBSERVATION), "INVALID": bt.END_INVALID, "BLOCK": BLOCK, "num_warps": 4,
        }
        self.consts["CWP"] = triton.next_power_of_2(self.consts["CW"])
        for name in ("mem", "qbuf"):
            if getattr(rows, name).stride(1) != 1:
                raise ValueError(f"rows.{name} must have unit column stride")

    def __call__(self) -> torch.Tensor:
        c, rows, rec = self.c, self.rows, self.rec
        tok = torch.empty_like(c["choice"])
        pos = self.tool.pos if self.kind == _POINTER else tok
        cbuf, clen = (self.tool.buf, self.tool.len) if self.kind == _CALC else (tok[:, None], tok)
        ctx, roles = rec["ctx"], rec["roles"]
        _env_step_kernel[(triton.cdiv(self.B, BLOCK),)](
            c["qhead"], c["qtail"], c["state"], c["steps"], c["calls"], c["status"], c["context"], c["live"],
            c["choice"], rows.mlen, tok, self.limits, self.plen, self.table,
            rows.qbuf, rows.qbuf.stride(0), rows.qbuf.shape[1], rows.mem, rows.mem.stride(0), rows.mem.shape[1],
            pos, pos.stride(0) if pos.dim() == 2 else 0, ctx, ctx.stride(0), min(ctx.shape[1], roles.shape[1]),
            roles, roles.stride(0),
            cbuf, cbuf.stride(0), clen, self.B, **self.consts,
        )
        return tok
