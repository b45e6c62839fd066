"""Mamba-1 (selective SSM) backbone: mamba-ssm's CUDA kernels where available, PyTorch elsewhere.

Parameter layout follows mamba-ssm's ``Mamba`` module (in_proj -> x, z; depthwise causal conv1d;
x_proj -> dt, B, C; dt_proj; A_log; D; out_proj), so both paths run on the same weights. The CPU
path computes the decays and inputs of every step at once and runs only the recurrence
sequentially (agents/backbones/linear_scan.py, with its own backward).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from agents.backbones import kernels
from agents.backbones.linear_scan import linear_scan
from agents.backbones.residual_lm import ResidualLM, ResidualLMConfig


class MambaConfig(ResidualLMConfig):
    d_state: int = 16
    d_conv: int = 4
    expand: int = 2
    dt_rank: int | None = None  # default ceil(d_model / 16)
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    use_kernels: bool = True


class MambaMixer(nn.Module):
    def __init__(self, cfg: MambaConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.d_inner = cfg.expand * cfg.d_model
        self.dt_rank = cfg.dt_rank or math.ceil(cfg.d_model / 16)
        self.in_proj = nn.Linear(cfg.d_model, 2 * self.d_inner, bias=False)
        self.conv1d = nn.Conv1d(self.d_inner, self.d_inner, cfg.d_conv, groups=self.d_inner, padding=cfg.d_conv - 1)
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * cfg.d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True)
        nn.init.uniform_(self.dt_proj.weight, -self.dt_rank**-0.5, self.dt_rank**-0.5)
        dt = torch.exp(torch.rand(self.d_inner) * (math.log(cfg.dt_max) - math.log(cfg.dt_min)) + math.log(cfg.dt_min))
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus
        A = torch.arange(1, cfg.d_state + 1, dtype=torch.float32).repeat(self.d_inner, 1)
        self.A_log = nn.Parameter(torch.log(A))
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, cfg.d_model, bias=False)

    def _dt_b_c(self, x: torch.Tensor):
        dbc = self.x_proj(x)
        dt, b, c = torch.split(dbc, [self.dt_rank, self.cfg.d_state, self.cfg.d_state], dim=-1)
        return dt @ self.dt_proj.weight.t(), b, c  # dt without bias: the kernels add it

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        T = h.shape[1]
        x, z = self.in_proj(h).chunk(2, dim=-1)
        x = F.silu(self.conv1d(x.transpose(1, 2))[..., :T].transpose(1, 2))  # [B, T, D]
        dt, b, c = self._dt_b_c(x)
        A = -torch.exp(self.A_log.float())  # [D, N]
        on_kernel = kernels.use_kernel(kernels.selective_scan_fn, h, self.cfg.use_kernels)
        kernels.log_path_once("mamba", on_kernel, ("selective_scan_fn", "selective_state_update"))
        if on_kernel:
            y = kernels.selective_scan_fn(
                x.transpose(1, 2).contiguous(), dt.transpose(1, 2).contiguous(), A,
                b.transpose(1, 2).contiguous(), c.transpose(1, 2).contiguous(), self.D.float(),
                z=z.transpose(1, 2).contiguous(), delta_bias=self.dt_proj.bias.float(), delta_softplus=True,
            ).transpose(1, 2)
        else:
            dt = F.softplus(dt.float() + self.dt_proj.bias.float())  # [B, T, D]
            decay = torch.exp(dt[..., None] * A)  # [B, T, D, N]
            inputs = (dt * x.float())[..., None] * b.float()[:, :, None, :]
            states = linear_scan(decay, inputs)
            y = torch.einsum("btdn,btn->btd", states, c.float()) + x.float() * self.D.float()
            y = (y * F.silu(z.float())).to(h.dtype)
        return self.out_proj(y)

    def init_state(self, batch_size: int, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
        conv = torch.zeros(batch_size, self.d_inner, self.cfg.d_conv, device=device, dtype=dtype)
        ssm = torch.zeros(batch_size, self.d_inner, self.cfg.d_state, device=device, dtype=torch.float32)
        return conv, ssm

    def step(self, h: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        conv_state, ssm_state = state
        x, z = self.in_proj(h).chunk(2, dim=-1)
        conv_state = torch.cat([conv_state[..., 1:], x[..., None].to(conv_state.dtype)], dim=-1)
        x = F.silu((conv_state * self.conv1d.weight[:, 0]).sum(-1) + self.conv1d.bias).to(h.dtype)
        dt, b, c = self._dt_b_c(x)
        A = -torch.exp(self.A_log.float())
        if kernels.use_kernel(kernels.selective_state_update, h, self.cfg.use_kernels):
            ssm_state = ssm_state.clone()  # the kernel updates in place
            y = kernels.selective_state_update(ssm_state, x, dt, A, b, c, D=self.D, z=z,
                                               dt_bias=self.dt_proj.bias, dt_softplus=True)
        else:
            dt = F.softplus(dt.float() + self.dt_proj.bias.float())
            ssm_state = ssm_state * torch.exp(dt[..., None] * A) + (dt * x.float())[..., None] * b.float()[:, None, :]
            y = torch.einsum("bdn,bn->bd", ssm_state, c.float()) + x.float() * self.D.float()
            y = (y * F.silu(z.float())).to(h.dtype)
        return self.out_proj(y), (conv_state, ssm_state)


class Mamba(ResidualLM):
    """Mamba-1 language model over toolenv's vocabulary."""

    name = "mamba"
    config_class = MambaConfig
    presets = {
        "tiny": {"d_model": 64, "n_layers": 2, "d_state": 16},
        "small": {"d_model": 256, "n_layers": 4, "d_state": 16},
        "paper": {"d_model": 768, "n_layers": 24, "d_state": 16},  # Mamba-130M (paper App. C)
    }

    def make_mixer(self, config: MambaConfig, layer: int) -> nn.Module:
        return MambaMixer(config)
