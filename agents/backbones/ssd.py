"""Mamba-2's state-space duality (SSD) scan in plain PyTorch: chunked for training, one step for decoding.

Shapes: x [B, T, H, P] (already multiplied by dt), a [B, T, H] (= dt * A, log-decays, <= 0),
b, c [B, T, G, N] with H divisible by G (heads share B/C within a group).
Recurrence per head: state_t = exp(a_t) * state_{t-1} + x_t ⊗ b_t;  y_t = state_t · c_t.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _segment_sums(a: torch.Tensor) -> torch.Tensor:
    """[..., L] -> [..., L, L] with out[i, j] = a[j+1] + ... + a[i] for j <= i, -inf above the diagonal."""
    L = a.shape[-1]
    cs = torch.cumsum(a, dim=-1)
    out = cs[..., :, None] - cs[..., None, :]
    causal = torch.ones(L, L, dtype=torch.bool, device=a.device).tril()
    return out.masked_fill(~causal, float("-inf"))


def ssd_chunked(
    x: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    chunk: int = 64,
    initial_state: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (y [B, T, H, P], final_state [B, H, P, N]). Exact, O(T * chunk) memory."""
    Bsz, T, H, P = x.shape
    G, N = b.shape[2], b.shape[3]
    pad = (-T) % chunk
    if pad:  # zero inputs and zero log-decay at the end leave earlier outputs untouched
        x, a = F.pad(x, (0, 0, 0, 0, 0, pad)), F.pad(a, (0, 0, 0, pad))
        b, c = F.pad(b, (0, 0, 0, 0, 0, pad)), F.pad(c, (0, 0, 0, 0, 0, pad))
    nc = (T + pad) // chunk
    rep = H // G
    b = b.repeat_interleave(rep, dim=2) if rep > 1 else b
    c = c.repeat_interleave(rep, dim=2) if rep > 1 else c
    x = x.reshape(Bsz, nc, chunk, H, P)
    b = b.reshape(Bsz, nc, chunk, H, N)
    c = c.reshape(Bsz, nc, chunk, H, N)
    a = a.reshape(Bsz, nc, chunk, H).permute(0, 3, 1, 2)  # [B, H, nc, L]
    a_cum = torch.cumsum(a, dim=-1)

    # 1. within each chunk: attention-like quadratic form with decay mask
    decay = torch.exp(_segment_sums(a))  # [B, H, nc, L, L]
    scores = torch.einsum("bclhn,bcshn->bhcls", c, b) * decay
    y_diag = torch.einsum("bhcls,bcshp->bclhp", scores, x)

    # 2. state at the end of each chunk, from that chunk's inputs alone
    to_end = torch.exp(a_cum[..., -1:] - a_cum)  # [B, H, nc, L]
    chunk_states = torch.einsum("bclhn,bhcl,bclhp->bchpn", b, to_end, x)

    # 3. carry states across chunks (a short recurrence over nc chunks)
    if initial_state is None:
        initial_state = x.new_zeros(Bsz, H, P, N)
    chunk_decay = torch.exp(a_cum[..., -1])  # [B, H, nc]
    states = []
    s = initial_state
    for i in range(nc):
        states.append(s)
        s = s * chunk_decay[:, :, i, None, None] + chunk_states[:, i]
    entering = torch.stack(states, dim=1)  # state entering each chunk [B, nc, H, P, N]

    # 4. contribution of the entering state to each position
    from_start = torch.exp(a_cum)  # [B, H, nc, L]
    y_off = torch.einsum("bclhn,bchpn,bhcl->bclhp", c, entering, from_start)
    y = (y_diag + y_off).reshape(Bsz, nc * chunk, H, P)[:, :T]
    return y, s


def ssd_step(
    state: torch.Tensor, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """One token: state [B, H, P, N], x [B, H, P], a [B, H], b, c [B, G, N] -> (y [B, H, P], state)."""
    H, G = x.shape[1], b.shape[1]
    if H != G:
        b = b.repeat_interleave(H // G, dim=1)
        c = c.repeat_interleave(H // G, dim=1)
    state = state * torch.exp(a)[:, :, None, None] + x[..., None] * b[:, :, None, :]
    y = torch.einsum("bhpn,bhn->bhp", state, c)
    return y, state
