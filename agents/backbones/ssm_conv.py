"""The short causal depthwise convolution of Mamba blocks, followed by SiLU, in plain PyTorch.

Layout is batch-first [B, T, C] throughout, so no transposes are needed around it (``nn.Conv1d``
wants [B, C, T], and its backward through transposed views was the slowest op of a CPU Mamba
step in profiles). Weights keep ``nn.Conv1d``'s layout [C, 1, K], as in mamba-ssm, so the same
parameters feed ``causal_conv1d_fn`` on CUDA. With K taps, output t sees inputs t-K+1 .. t:

    out[:, t] = silu(bias + sum_j weight[:, 0, K-1-j] * x[:, t-j]),  x[:, t<0] = 0
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class _CausalConvSiLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, bias):  # x [B, T, C], w [K, C]
        K, T = w.shape[0], x.shape[1]
        pre = torch.addcmul(bias, x, w[K - 1])
        for j in range(1, min(K, T + 1)):
            pre[:, j:].addcmul_(x[:, : T - j], w[K - 1 - j])
        ctx.save_for_backward(x, w, pre)
        return F.silu(pre)

    @staticmethod
    def backward(ctx, g):
        x, w, pre = ctx.saved_tensors
        K, T = w.shape[0], x.shape[1]
        gpre = torch.ops.aten.silu_backward(g.contiguous(), pre)
        gx = gpre * w[K - 1]
        gw = torch.zeros_like(w)
        gw[K - 1] = (gpre * x).sum((0, 1))
        for j in range(1, min(K, T + 1)):
            gx[:, : T - j].addcmul_(gpre[:, j:], w[K - 1 - j])
            gw[K - 1 - j] = (gpre[:, j:] * x[:, : T - j]).sum((0, 1))
        return gx, gw, gpre.sum((0, 1))


def causal_conv1d_silu(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x [B, T, C], weight [C, 1, K] (nn.Conv1d layout), bias [C] -> silu(causal conv) [B, T, C]."""
    if x.dim() != 3 or weight.shape != (x.shape[2], 1, weight.shape[2]) or bias.shape != (x.shape[2],):
        raise ValueError(
            f"causal_conv1d_silu: x {tuple(x.shape)}, weight {tuple(weight.shape)}, bias {tuple(bias.shape)} "
            "do not fit x [B, T, C], weight [C, 1, K], bias [C]"
        )
    w = weight[:, 0].t().to(x.dtype)
    return _CausalConvSiLU.apply(x.contiguous(), w, bias.to(x.dtype))


def causal_conv1d_silu_step(
    conv_state: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """One token: conv_state [B, C, K] (the last K inputs, oldest first), x [B, C] -> (out [B, C], new state).

    Same state layout and update as mamba-ssm / ``causal_conv1d_update``; the input state is not modified.
    """
    conv_state = torch.cat([conv_state[..., 1:], x[..., None].to(conv_state.dtype)], dim=-1)
    out = torch.einsum("bck,ck->bc", conv_state, weight[:, 0].to(conv_state.dtype)) + bias.to(
        conv_state.dtype
    )
    return F.silu(out).to(x.dtype), conv_state
