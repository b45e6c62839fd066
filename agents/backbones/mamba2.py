"""Mamba-2 (SSD) backbone: mamba-ssm's Triton kernels on CUDA, chunked SSD in PyTorch elsewhere.

Parameter layout follows mamba-ssm's ``Mamba2`` module (in_proj -> z, xBC, dt; depthwise causal
conv1d over xBC; dt_bias, A_log, D; gated RMSNorm; out_proj), so both paths run on the same weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pydantic import model_validator
from torch import nn

from agents.backbones import kernels
from agents.backbones.norms import RMSNorm
from agents.backbones.residual_lm import ResidualLM, ResidualLMConfig
from agents.backbones.ssd import ssd_chunked, ssd_step


class Mamba2Config(ResidualLMConfig):
    d_state: int = 64
    d_conv: int = 4
    expand: int = 2
    headdim: int = 32
    ngroups: int = 1
    chunk_size: int = 64
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    use_kernels: bool = True

    @model_validator(mode="after")
    def _shapes(self):
        d_inner = self.expand * self.d_model
        if d_inner % self.headdim:
            raise ValueError(f"expand*d_model={d_inner} must be divisible by headdim={self.headdim}")
        if (d_inner // self.headdim) % self.ngroups:
            raise ValueError(f"number of heads {d_inner // self.headdim} must be divisible by ngroups={self.ngroups}")
        return self


class Mamba2Mixer(nn.Module):
    def __init__(self, cfg: Mamba2Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.d_inner = cfg.expand * cfg.d_model
        self.nheads = self.d_inner // cfg.headdim
        self.conv_dim = self.d_inner + 2 * cfg.ngroups * cfg.d_state
        self.in_proj = nn.Linear(cfg.d_model, 2 * self.d_inner + 2 * cfg.ngroups * cfg.d_state + self.nheads, bias=False)
        self.conv1d = nn.Conv1d(self.conv_dim, self.conv_dim, cfg.d_conv, groups=self.conv_dim, padding=cfg.d_conv - 1)
        dt = torch.exp(torch.rand(self.nheads) * (math.log(cfg.dt_max) - math.log(cfg.dt_min)) + math.log(cfg.dt_min))
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus
        self.A_log = nn.Parameter(torch.log(torch.empty(self.nheads).uniform_(1, 16)))
        self.D = nn.Parameter(torch.ones(self.nheads))
        self.norm = RMSNorm(self.d_inner)
        self.out_proj = nn.Linear(self.d_inner, cfg.d_model, bias=False)

    def _split(self, zxbcdt: torch.Tensor):
        n = self.cfg.ngroups * self.cfg.d_state
        return torch.split(zxbcdt, [self.d_inner, self.conv_dim, self.nheads], dim=-1), n

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        Bsz, T, _ = h.shape
        cfg = self.cfg
        (z, xbc, dt), n = self._split(self.in_proj(h))
        xbc = F.silu(self.conv1d(xbc.transpose(1, 2))[..., :T].transpose(1, 2))
        x, b, c = torch.split(xbc, [self.d_inner, n, n], dim=-1)
        x = x.reshape(Bsz, T, self.nheads, cfg.headdim)
        b = b.reshape(Bsz, T, cfg.ngroups, cfg.d_state)
        c = c.reshape(Bsz, T, cfg.ngroups, cfg.d_state)
        A = -torch.exp(self.A_log.float())
        on_kernel = kernels.use_kernel(kernels.mamba_chunk_scan_combined, h, cfg.use_kernels)
        kernels.log_path_once("mamba2", on_kernel, ("mamba_chunk_scan_combined", "selective_state_update"))
        if on_kernel:
            y = kernels.mamba_chunk_scan_combined(
                x, dt, A, b, c, chunk_size=cfg.chunk_size, D=self.D, dt_bias=self.dt_bias, dt_softplus=True
            )
        else:
            dt = F.softplus(dt.float() + self.dt_bias.float())  # [B, T, H]
            y, _ = ssd_chunked(
                x.float() * dt[..., None], dt * A, b.float(), c.float(), chunk=min(cfg.chunk_size, max(T, 1))
            )
            y = (y + x.float() * self.D.float()[:, None]).to(x.dtype)
        y = y.reshape(Bsz, T, self.d_inner)
        return self.out_proj(self.norm(y, gate=z))

    def init_state(self, batch_size: int, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
        conv = torch.zeros(batch_size, self.conv_dim, self.cfg.d_conv, device=device, dtype=dtype)
        ssm = torch.zeros(batch_size, self.nheads, self.cfg.headdim, self.cfg.d_state, device=device, dtype=torch.float32)
        return conv, ssm

    def step(self, h: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        cfg = self.cfg
        conv_state, ssm_state = state
        (z, xbc, dt), n = self._split(self.in_proj(h))
        conv_state = torch.cat([conv_state[..., 1:], xbc[..., None].to(conv_state.dtype)], dim=-1)
        xbc = F.silu((conv_state * self.conv1d.weight[:, 0]).sum(-1) + self.conv1d.bias).to(h.dtype)
        x, b, c = torch.split(xbc, [self.d_inner, n, n], dim=-1)
        x = x.reshape(-1, self.nheads, cfg.headdim)
        b = b.reshape(-1, cfg.ngroups, cfg.d_state)
        c = c.reshape(-1, cfg.ngroups, cfg.d_state)
        A = -torch.exp(self.A_log.float())
        if kernels.use_kernel(kernels.selective_state_update, h, cfg.use_kernels):
            p, s = cfg.headdim, cfg.d_state
            ssm_state = ssm_state.clone()  # the kernel updates in place; callers may keep the old state
            y = kernels.selective_state_update(
                ssm_state, x, dt[..., None].expand(-1, -1, p), A[:, None, None].expand(-1, p, s), b, c,
                D=self.D[:, None].expand(-1, p), dt_bias=self.dt_bias[:, None].expand(-1, p), dt_softplus=True,
            )
        else:
            dt = F.softplus(dt.float() + self.dt_bias.float())  # [B, H]
            y, ssm_state = ssd_step(ssm_state, x.float() * dt[..., None], dt * A, b.float(), c.float())
            y = (y + x.float() * self.D.float()[:, None]).to(x.dtype)
        y = y.reshape(-1, self.d_inner)
        return self.out_proj(self.norm(y, gate=z)), (conv_state, ssm_state)


class Mamba2(ResidualLM):
    """Mamba-2 language model over toolenv's vocabulary."""

    name = "mamba2"
    config_class = Mamba2Config
    presets = {
        "tiny": {"d_model": 64, "n_layers": 2, "d_state": 16, "headdim": 16, "chunk_size": 32},
        "small": {"d_model": 256, "n_layers": 4, "d_state": 64, "headdim": 64},
        "paper": {"d_model": 768, "n_layers": 24, "d_state": 128, "headdim": 64},
    }

    def make_mixer(self, config: Mamba2Config, layer: int) -> nn.Module:
        return Mamba2Mixer(config)
