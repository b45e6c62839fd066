"""Mamba-1's selective scan in plain PyTorch, fast enough to train on a CPU.

Per channel d and state n (u = delta * x):

    h_t[d, n] = exp(delta_t[d] * A[d, n]) * h_{t-1}[d, n] + u_t[d] * B_t[n]
    y_t[d]    = sum_n C_t[n] * h_t[d, n]

The decay depends on both d and n, so the states cannot be factored the way Mamba-2's SSD
factors them: a closed form within chunks (segment sums of log-decays) needs an [L, L, D, N]
tensor, L times the work, and the cumulative-sum trick exp(S_t) * cumsum(exp(-S_s) b_s)
overflows float32 once decays within a chunk pass exp(-88). The [B, T, D, N] tensor of states is
what costs. Autograd through a per-step
loop (transformers' reference path) or through fully materialized states both spend most of
their time moving that tensor through memory. Here one ``torch.autograd.Function`` walks time
in chunks of ``chunk`` steps, reusing three cache-sized chunk buffers laid out [L, B, N, D]:

- forward: per chunk, decays and inputs in two vectorized ops, the recurrence as one in-place
  ``addcmul_`` per step, outputs as one batched matmul; only the state entering each chunk is
  kept (T / chunk states, not T);
- backward: chunks in reverse; each chunk's states are recomputed from its checkpoint, then the
  adjoint recurrence g_t = C_t y'_t + exp(delta_{t+1} A) g_{t+1} runs the same way, and every
  parameter gradient is a vectorized reduction over the chunk.

It is exact (no log-space tricks, no exp of positive numbers), so float32 keeps full accuracy
for any decay. Measured alternatives that were slower on CPU: keeping all states and decays
from the forward instead of recomputing them (+50%: memory traffic), reductions as mul+sum or
einsum instead of ``bmm``. It runs on any device; on CUDA, mamba-ssm's ``selective_scan_fn`` is
much faster.
"""

from __future__ import annotations

import torch

DEFAULT_CHUNK = 8  # 8 and 16 tie, 4 and 32 are slower, at d_inner 256, batch 16 on 2 cores (benchmarks/)


def _chunk_states(h0, u, dt, At, B, dA, hs) -> None:
    """Fill dA [L, B, N, D] with the decays and hs with the states of one chunk (time-major inputs)."""
    torch.mul(dt[:, :, None, :], At, out=dA).exp_()
    torch.mul(B[:, :, :, None], u[:, :, None, :], out=hs)
    hs[0].addcmul_(dA[0], h0)
    for t in range(1, hs.shape[0]):
        hs[t].addcmul_(dA[t], hs[t - 1])


class _SelectiveScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u, delta, A, B, C, h0, chunk: int):
        T, Bsz, D = u.shape
        N = A.shape[1]
        At = A.t().contiguous()  # [N, D]: D innermost, so every reduction over n is vectorized
        y = u.new_empty(T, Bsz, D)
        n_chunks = -(-T // chunk)
        ckpt = u.new_empty(n_chunks + 1, Bsz, N, D)  # state entering each chunk, then the final state
        ckpt[0] = h0.transpose(1, 2)
        dA_buf, hs_buf = u.new_empty(chunk, Bsz, N, D), u.new_empty(chunk, Bsz, N, D)
        for k in range(n_chunks):
            s0, s1 = k * chunk, min((k + 1) * chunk, T)
            L, M = s1 - s0, (s1 - s0) * Bsz
            dA, hs = dA_buf[:L], hs_buf[:L]
            _chunk_states(ckpt[k], u[s0:s1], delta[s0:s1], At, B[s0:s1], dA, hs)
            torch.bmm(C[s0:s1].reshape(M, 1, N), hs.view(M, N, D), out=y[s0:s1].view(M, 1, D))
            ckpt[k + 1] = hs[-1]
        ctx.chunk = chunk
        ctx.save_for_backward(u, delta, At, B, C, ckpt)
        return y, ckpt[-1].transpose(1, 2).contiguous()

    @staticmethod
    def backward(ctx, gy, g_last):
        u, delta, At, B, C, ckpt = ctx.saved_tensors
        chunk = ctx.chunk
        T, Bsz, D = u.shape
        N = At.shape[0]
        gy = gy.contiguous()
        gu, gdelta = torch.empty_like(u), torch.empty_like(delta)
        gB, gC = torch.empty_like(B), torch.empty_like(C)
        gAt = torch.zeros_like(At)
        carry = g_last.transpose(1, 2).contiguous()  # dL/dh at the end of the current chunk, from later steps
        dA_buf, hs_buf, g_buf = (u.new_empty(chunk, Bsz, N, D) for _ in range(3))
        for k in reversed(range(ckpt.shape[0] - 1)):
            s0, s1 = k * chunk, min((k + 1) * chunk, T)
            L, M = s1 - s0, (s1 - s0) * Bsz
            dA, hs, g = dA_buf[:L], hs_buf[:L], g_buf[:L]
            _chunk_states(ckpt[k], u[s0:s1], delta[s0:s1], At, B[s0:s1], dA, hs)
            torch.bmm(hs.view(M, N, D), gy[s0:s1].reshape(M, D, 1), out=gC[s0:s1].view(M, N, 1))
            torch.mul(C[s0:s1, :, :, None], gy[s0:s1, :, None, :], out=g)
            g[-1] += carry
            for t in range(L - 2, -1, -1):  # adjoint recurrence: g_t += dA_{t+1} g_{t+1}
                g[t].addcmul_(dA[t + 1], g[t + 1])
            torch.bmm(B[s0:s1].reshape(M, 1, N), g.view(M, N, D), out=gu[s0:s1].view(M, 1, D))
            torch.bmm(g.view(M, N, D), u[s0:s1].reshape(M, D, 1), out=gB[s0:s1].view(M, N, 1))
            g.mul_(dA)
            carry = g[0].clone()  # dL/dh_{s0-1} = dA_{s0} * g_{s0}
            g[0].mul_(ckpt[k])
            g[1:].mul_(hs[:-1])  # g is now dL/d(delta*A) = g_t * dA_t * h_{t-1}
            torch.sum(torch.mul(g, At, out=dA), dim=2, out=gdelta[s0:s1])
            gAt += g.mul_(delta[s0:s1, :, None, :]).sum((0, 1))
        return gu, gdelta, gAt.t(), gB, gC, carry.transpose(1, 2), None


def selective_scan(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    initial_state: torch.Tensor | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[torch.Tensor, torch.Tensor]:
    """u, delta [Bt, T, D] (u = delta * x); A [D, N] (negative); B, C [Bt, T, N]; initial_state [Bt, D, N].

    Returns (y [Bt, T, D], final_state [Bt, D, N]); differentiable in every input. All inputs must
    share one floating dtype (use float32). Batch-first views of time-major tensors
    (``x_tm.transpose(0, 1)``) are taken without a copy.
    """
    Bsz, T, D = u.shape
    N = A.shape[-1]
    if delta.shape != u.shape or A.shape != (D, N) or B.shape != (Bsz, T, N) or C.shape != (Bsz, T, N):
        raise ValueError(
            f"selective_scan: shapes u {tuple(u.shape)}, delta {tuple(delta.shape)}, A {tuple(A.shape)}, "
            f"B {tuple(B.shape)}, C {tuple(C.shape)} do not fit u/delta [B, T, D], A [D, N], B/C [B, T, N]"
        )
    if chunk < 1:
        raise ValueError(f"selective_scan: chunk must be >= 1, got {chunk}")
    if initial_state is None:
        initial_state = u.new_zeros(Bsz, D, N)
    tm = [t.transpose(0, 1).contiguous() for t in (u, delta, B, C)]  # time-major [T, Bt, ...]
    y, final = _SelectiveScan.apply(*tm[:2], A, *tm[2:], initial_state, min(chunk, max(T, 1)))
    return y.transpose(0, 1), final


def selective_scan_step(
    state: torch.Tensor,
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One token: state [Bt, D, N], u, delta [Bt, D], A [D, N], B, C [Bt, N] -> (y [Bt, D], new state)."""
    state = torch.exp(delta[:, :, None] * A) * state + u[:, :, None] * B[:, None, :]
    return torch.bmm(state, C[:, :, None])[..., 0], state
