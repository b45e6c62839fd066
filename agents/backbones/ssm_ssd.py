"""Mamba-2's state-space duality (SSD) scan in plain PyTorch: chunked for training, one step for decoding.

Shapes: x [B, T, H, P] (already multiplied by dt), a [B, T, H] (= dt * A, log-decays, <= 0),
b, c [B, T, G, N] with H divisible by G (the H/G heads of a group share B and C).
Recurrence per head: state_t = exp(a_t) * state_{t-1} + x_t b_t^T;  y_t = state_t c_t.

The chunked form is mamba-ssm's ssd_minimal (paper's Listing 1): within a chunk of L steps an
attention-like product (C B^T masked by exp of segment sums of a), across chunks a short
recurrence over the chunk-end states. Every exponent is a sum of log-decays <= 0, so nothing
overflows. Differences from a literal transcription, each measured faster on CPU: heads are laid
out [G, H/G] so C B^T is computed once per group rather than per head; every product is a batched
``matmul`` on contiguous trailing dims rather than a multi-operand einsum.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def cpu_chunk(d_state: int, headdim: int) -> int:
    """Fastest chunk length measured on CPU: the power of two nearest sqrt(d_state * headdim),
    within [16, 64] (16 for 16 x 16 heads, 64 for 64 x 64). The result does not depend on it."""
    return int(min(64, max(16, 2 ** round(math.log2(math.sqrt(d_state * headdim))))))


def ssd_chunked(
    x: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    chunk: int = 64,
    initial_state: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (y [B, T, H, P], final state [B, H, P, N]); differentiable by autograd."""
    Bsz, T, H, P = x.shape
    G, N = b.shape[2], b.shape[3]
    if a.shape != (Bsz, T, H) or b.shape != (Bsz, T, G, N) or c.shape != b.shape or H % G:
        raise ValueError(
            f"ssd_chunked: shapes x {tuple(x.shape)}, a {tuple(a.shape)}, b {tuple(b.shape)}, c {tuple(c.shape)} "
            "do not fit x [B, T, H, P], a [B, T, H], b/c [B, T, G, N] with G dividing H"
        )
    R, L = H // G, chunk
    pad = (-T) % L
    if pad:  # zero inputs and zero log-decays at the end leave earlier outputs and the state unchanged
        x, a = F.pad(x, (0, 0, 0, 0, 0, pad)), F.pad(a, (0, 0, 0, pad))
        b, c = F.pad(b, (0, 0, 0, 0, 0, pad)), F.pad(c, (0, 0, 0, 0, 0, pad))
    nc = (T + pad) // L
    xh = x.reshape(Bsz, nc, L, G, R, P).permute(0, 1, 3, 4, 2, 5)  # [B, nc, G, R, L, P]
    bg = b.reshape(Bsz, nc, L, G, N).permute(0, 1, 3, 2, 4)  # [B, nc, G, L, N]
    cg = c.reshape(Bsz, nc, L, G, N).permute(0, 1, 3, 2, 4)
    a_cum = torch.cumsum(a.reshape(Bsz, nc, L, G, R).permute(0, 1, 3, 4, 2), dim=-1)  # [B, nc, G, R, L]

    # 1. within chunks: y_l += sum_{s <= l} exp(a_{s+1} + ... + a_l) (c_l . b_s) x_s
    causal = torch.ones(L, L, dtype=torch.bool, device=x.device).tril()
    decay = torch.exp((a_cum[..., :, None] - a_cum[..., None, :]).masked_fill(~causal, float("-inf")))
    y = (decay * (cg @ bg.transpose(-1, -2))[:, :, :, None]) @ xh  # [B, nc, G, R, L, P]

    # 2. the state each chunk adds by its end, then 3. carried across chunks
    to_end = torch.exp(a_cum[..., -1:] - a_cum)  # [B, nc, G, R, L]
    chunk_states = (xh * to_end[..., None]).transpose(-1, -2) @ bg[:, :, :, None]  # [B, nc, G, R, P, N]
    chunk_decay = torch.exp(a_cum[..., -1])  # [B, nc, G, R]
    s = x.new_zeros(Bsz, G, R, P, N) if initial_state is None else initial_state.reshape(Bsz, G, R, P, N)
    entering = []
    for i in range(nc):
        entering.append(s)
        s = s * chunk_decay[:, i, :, :, None, None] + chunk_states[:, i]

    # 4. what the state entering each chunk contributes to its outputs
    y = y + (cg[:, :, :, None] @ torch.stack(entering, 1).transpose(-1, -2)) * torch.exp(a_cum)[..., None]
    y = y.permute(0, 1, 4, 2, 3, 5).reshape(Bsz, nc * L, H, P)[:, :T]
    return y, s.reshape(Bsz, H, P, N)


def ssd_step(
    state: torch.Tensor, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """One token: state [B, H, P, N], x [B, H, P], a [B, H], b, c [B, G, N] -> (y [B, H, P], new state)."""
    Bsz, H, P, N = state.shape
    G = b.shape[1]
    R = H // G
    # one new tensor, updated in place, and a batched matvec (fewer passes over the state than
    # three out-of-place ops and a broadcasting matmul); whole-model timings:
    # benchmarks/decode_step_cpu.py
    s = state.reshape(Bsz, G, R, P, N) * torch.exp(a).reshape(Bsz, G, R, 1, 1)
    s.addcmul_(x.reshape(Bsz, G, R, P, 1), b.reshape(Bsz, G, 1, 1, N))
    y = torch.bmm(s.view(Bsz * G, R * P, N), c.reshape(Bsz * G, N, 1))
    return y.view(Bsz, H, P), s.view(Bsz, H, P, N)
