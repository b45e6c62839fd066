"""Mamba-2 (SSD) backbone: mamba-ssm's Triton kernels on CUDA, chunked SSD in PyTorch elsewhere.

Parameters have the names and layouts of mamba-ssm's ``Mamba2`` module (in_proj -> z, x, B, C,
dt; depthwise causal conv1d over xBC; dt_bias, A_log, D per head; gated RMSNorm with one group
per B/C group, norm_before_gate=False; out_proj), so a state dict moves between the two and both
paths run on the same weights. Paths, chosen per call:

- training forward: ``mamba_chunk_scan_combined`` (Triton) when importable, enabled and on CUDA,
  else ``ssd_chunked`` (agents/backbones/ssm_ssd.py, mamba-ssm's ssd_minimal algorithm);
- decoding step: Triton ``selective_state_update``, else ``ssd_step``;
- convolution: ``causal_conv1d_fn`` / ``causal_conv1d_update`` when installed, else ssm_conv.py;
- gated RMSNorm: mamba-ssm's Triton ``rmsnorm_fn`` on CUDA, else PyTorch.

This is mamba-ssm's ``use_mem_eff_path=False`` layout: conv, scan and norm are separate calls.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import nn

from agents.backbones import kernels
from agents.backbones.mamba import init_dt_bias
from agents.backbones.residual_lm import ResidualLM, ResidualLMConfig
from agents.backbones.ssm_conv import causal_conv1d_silu, causal_conv1d_silu_step
from agents.backbones.ssm_ssd import cpu_chunk, ssd_chunked, ssd_step

_OPS = {
    "training scan": "mamba_chunk_scan_combined",
    "decoding step": "selective_state_update",
    "gated norm": "rmsnorm_fn",
    "convolution": "causal_conv1d_fn",
}


class Mamba2Config(ResidualLMConfig):
    """Mamba-2 block sizes (names as in mamba-ssm's ``Mamba2``); heads = expand * d_model / headdim."""

    d_state: int = Field(64, ge=1)
    d_conv: int = Field(4, ge=2, le=4)  # causal-conv1d's kernels support widths 2..4
    expand: int = Field(2, ge=1)
    headdim: int = Field(32, ge=1)
    ngroups: int = Field(1, ge=1)  # B/C groups; heads in a group share B and C
    chunk_size: int = Field(256, ge=1)  # chunk length of the Triton kernel
    dt_min: float = Field(1e-3, gt=0)
    dt_max: float = Field(1e-1, gt=0)
    dt_init_floor: float = Field(1e-4, gt=0)
    use_kernels: bool = True  # use mamba-ssm / causal-conv1d on CUDA when installed

    @model_validator(mode="after")
    def _check(self) -> Mamba2Config:
        if self.d_model < 1 or self.n_layers < 1:
            raise ValueError(
                f"d_model and n_layers must be >= 1, got d_model={self.d_model}, n_layers={self.n_layers}"
            )
        d_inner = self.expand * self.d_model
        if d_inner % self.headdim:
            raise ValueError(f"expand*d_model={d_inner} must be divisible by headdim={self.headdim}")
        if (d_inner // self.headdim) % self.ngroups:
            raise ValueError(
                f"the number of heads {d_inner // self.headdim} must be divisible by ngroups={self.ngroups}"
            )
        if self.dt_min > self.dt_max:
            raise ValueError(f"dt_min={self.dt_min} must not exceed dt_max={self.dt_max}")
        return self


class GatedRMSNorm(nn.Module):
    """``rmsnorm(x * silu(z)) * weight``, normalized within groups of ``group_size`` channels
    (mamba-ssm's ``RMSNormGated`` with norm_before_gate=False)."""

    def __init__(self, dim: int, group_size: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps, self.group_size = eps, group_size
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor, z: torch.Tensor, use_kernel: bool = False) -> torch.Tensor:
        if use_kernel:
            return kernels.rmsnorm_fn(
                x, self.weight, None, z=z, eps=self.eps, group_size=self.group_size, norm_before_gate=False
            )
        dtype = x.dtype
        x = (x.float() * F.silu(z.float())).unflatten(-1, (-1, self.group_size))
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x.flatten(-2) * self.weight.float()).to(dtype)


class Mamba2Mixer(nn.Module):
    """One Mamba-2 mixer: [B, T, d_model] -> [B, T, d_model]; ``step`` consumes one token."""

    def __init__(self, cfg: Mamba2Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.d_inner = cfg.expand * cfg.d_model
        self.nheads = self.d_inner // cfg.headdim
        self.d_bc = cfg.ngroups * cfg.d_state
        self.conv_dim = self.d_inner + 2 * self.d_bc
        self.in_proj = nn.Linear(cfg.d_model, 2 * self.d_inner + 2 * self.d_bc + self.nheads, bias=False)
        self.conv1d = nn.Conv1d(
            self.conv_dim, self.conv_dim, cfg.d_conv, groups=self.conv_dim, padding=cfg.d_conv - 1
        )
        self.dt_bias = nn.Parameter(init_dt_bias(self.nheads, cfg.dt_min, cfg.dt_max, cfg.dt_init_floor))
        self.A_log = nn.Parameter(torch.log(torch.empty(self.nheads).uniform_(1, 16)))
        self.D = nn.Parameter(torch.ones(self.nheads))
        self.norm = GatedRMSNorm(self.d_inner, group_size=self.d_inner // cfg.ngroups)
        self.out_proj = nn.Linear(self.d_inner, cfg.d_model, bias=False)
        with torch.no_grad():
            self.out_proj.weight /= math.sqrt(cfg.n_layers)  # mamba-ssm's prenorm-residual rescaling
        self.cpu_chunk = cpu_chunk(cfg.d_state, cfg.headdim)

    def _z_xbc_dt(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        w = self.in_proj.weight  # three products instead of one and a split: each part comes out contiguous
        d, c = self.d_inner, self.conv_dim
        return F.linear(h, w[:d]), F.linear(h, w[d : d + c]), F.linear(h, w[d + c :])

    def _x_b_c(self, xbc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, b, c = torch.split(xbc, [self.d_inner, self.d_bc, self.d_bc], dim=-1)
        lead = xbc.shape[:-1]
        g, n = self.cfg.ngroups, self.cfg.d_state
        return (
            x.unflatten(-1, (self.nheads, self.cfg.headdim)),
            b.reshape(*lead, g, n),
            c.reshape(*lead, g, n),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        use = self.cfg.use_kernels
        kernels.report_once("mamba2", h.device, use, _OPS)
        z, xbc, dt = self._z_xbc_dt(h)
        if kernels.use(kernels.causal_conv1d_fn, h, use):
            xbc = kernels.causal_conv1d_fn(
                xbc.transpose(1, 2), self.conv1d.weight[:, 0], self.conv1d.bias, activation="silu"
            ).transpose(1, 2)
        else:
            xbc = causal_conv1d_silu(xbc, self.conv1d.weight, self.conv1d.bias)
        x, b, c = self._x_b_c(xbc)
        A = -torch.exp(self.A_log.float())  # [H]
        if kernels.use(kernels.mamba_chunk_scan_combined, h, use):
            y = kernels.mamba_chunk_scan_combined(
                x,
                dt,
                A,
                b,
                c,
                chunk_size=self.cfg.chunk_size,
                D=self.D,
                dt_bias=self.dt_bias,
                dt_softplus=True,
            )
        else:
            xf = x.float()
            delta = F.softplus(dt.float() + self.dt_bias.float())  # [B, T, H]
            y, _ = ssd_chunked(
                xf * delta[..., None],
                delta * A,
                b.float(),
                c.float(),
                chunk=min(self.cpu_chunk, max(h.shape[1], 1)),
            )
            y = (y + xf * self.D.float()[:, None]).to(h.dtype)
        y = self.norm(y.flatten(-2), z, use_kernel=kernels.use(kernels.rmsnorm_fn, h, use))
        return self.out_proj(y)

    def init_state(self, batch_size: int, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """(conv state [B, conv_dim, d_conv] in ``dtype``, SSM state [B, H, headdim, d_state] in float32)."""
        conv = torch.zeros(batch_size, self.conv_dim, self.cfg.d_conv, device=device, dtype=dtype)
        ssm = torch.zeros(
            batch_size, self.nheads, self.cfg.headdim, self.cfg.d_state, device=device, dtype=torch.float32
        )
        return conv, ssm

    def step(self, h: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        """h [B, d_model] -> (out [B, d_model], new state); the given state tensors are not modified."""
        use = self.cfg.use_kernels
        kernels.report_once("mamba2", h.device, use, _OPS)
        cfg = self.cfg
        conv_state, ssm_state = state
        z, xbc, dt = self._z_xbc_dt(h)
        if kernels.use(kernels.causal_conv1d_update, h, use):
            conv_state = conv_state.clone()  # the kernel updates in place
            xbc = kernels.causal_conv1d_update(
                xbc, conv_state, self.conv1d.weight[:, 0], self.conv1d.bias, "silu"
            )
        else:
            xbc, conv_state = causal_conv1d_silu_step(conv_state, xbc, self.conv1d.weight, self.conv1d.bias)
        x, b, c = self._x_b_c(xbc)
        A = -torch.exp(self.A_log.float())
        if kernels.use(kernels.selective_state_update, h, use):
            p, n = cfg.headdim, cfg.d_state
            ssm_state = ssm_state.clone()  # the kernel updates in place
            y = kernels.selective_state_update(  # per-head scalars broadcast over headdim (and d_state), as in mamba-ssm
                ssm_state,
                x,
                dt[..., None].expand(-1, -1, p),
                A[:, None, None].expand(-1, p, n),
                b,
                c,
                D=self.D[:, None].expand(-1, p),
                dt_bias=self.dt_bias[:, None].expand(-1, p),
                dt_softplus=True,
            )
        else:
            xf = x.float()
            delta = F.softplus(dt.float() + self.dt_bias.float())  # [B, H]
            y, ssm_state = ssd_step(ssm_state, xf * delta[..., None], delta * A, b.float(), c.float())
            y = (y + xf * self.D.float()[:, None]).to(h.dtype)
        y = self.norm(y.flatten(-2), z, use_kernel=kernels.use(kernels.rmsnorm_fn, h, use))
        return self.out_proj(y), (conv_state, ssm_state)


class Mamba2(ResidualLM):
    """Mamba-2 language model over toolenv's vocabulary (pre-norm residual stack, tied LM head)."""

    name = "mamba2"
    config_class = Mamba2Config
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "tiny": {"d_model": 64, "n_layers": 2, "d_state": 16, "headdim": 16},
        "small": {"d_model": 256, "n_layers": 4, "d_state": 64, "headdim": 64},
        "paper": {"d_model": 768, "n_layers": 24, "d_state": 128, "headdim": 64, "expand": 2},  # Mamba-2 130M
    }

    def make_mixer(self, config: Mamba2Config, layer: int) -> nn.Module:
        return Mamba2Mixer(config)
