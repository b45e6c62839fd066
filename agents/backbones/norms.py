"""RMSNorm and Mamba-2's gated RMSNorm, in PyTorch."""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor, gate: torch.Tensor | None = None) -> torch.Tensor:
        """``rmsnorm(x * silu(gate)) * weight`` (gated, as Mamba-2's norm_before_gate=False), else plain."""
        if gate is not None:
            x = x * nn.functional.silu(gate)
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x * self.weight.float()).to(dtype)
