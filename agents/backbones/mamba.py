"""Mamba-1 (selective SSM) backbone: mamba-ssm's CUDA kernels where available, PyTorch elsewhere.

Parameters have the names and layouts of mamba-ssm's ``Mamba`` module (in_proj -> x, z;
depthwise causal conv1d; x_proj -> dt, B, C; dt_proj; A_log; D; out_proj), so a state dict moves
between the two and both paths run on the same weights. Paths, chosen per call:

- training forward: ``selective_scan_fn`` (CUDA extension) when importable, enabled and on CUDA,
  else the chunked PyTorch scan of agents/backbones/ssm_scan.py;
- decoding step: mamba-ssm's Triton ``selective_state_update``, else the same recurrence in PyTorch;
- convolution: ``causal_conv1d_fn`` / ``causal_conv1d_update`` when installed, else ssm_conv.py.

The PyTorch path computes in float32 whatever the parameter dtype; recurrent states are float32.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import nn

from agents.backbones import kernels
from agents.backbones.residual_lm import ResidualLM, ResidualLMConfig
from agents.backbones.ssm_conv import causal_conv1d_silu, causal_conv1d_silu_step
from agents.backbones.ssm_scan import selective_scan, selective_scan_step

_OPS = {
    "training scan": "selective_scan_fn",
    "decoding step": "selective_state_update",
    "convolution": "causal_conv1d_fn",
}


class MambaConfig(ResidualLMConfig):
    """Mamba-1 block sizes (names as in mamba-ssm's ``Mamba``); d_inner = expand * d_model."""

    d_state: int = Field(16, ge=1)
    d_conv: int = Field(4, ge=2, le=4)  # causal-conv1d's kernels support widths 2..4
    expand: int = Field(2, ge=1)
    dt_rank: int | None = Field(None, ge=1)  # None: ceil(d_model / 16)
    dt_min: float = Field(1e-3, gt=0)
    dt_max: float = Field(1e-1, gt=0)
    dt_init_floor: float = Field(1e-4, gt=0)
    use_kernels: bool = True  # use mamba-ssm / causal-conv1d on CUDA when installed

    @model_validator(mode="after")
    def _check(self) -> MambaConfig:
        if self.d_model < 1 or self.n_layers < 1:
            raise ValueError(
                f"d_model and n_layers must be >= 1, got d_model={self.d_model}, n_layers={self.n_layers}"
            )
        if self.dt_min > self.dt_max:
            raise ValueError(f"dt_min={self.dt_min} must not exceed dt_max={self.dt_max}")
        return self


def init_dt_bias(n: int, dt_min: float, dt_max: float, floor: float) -> torch.Tensor:
    """Inverse softplus of n values of dt drawn log-uniformly in [dt_min, dt_max] (mamba-ssm's init)."""
    log_lo, log_hi = math.log(dt_min), math.log(dt_max)
    dt = torch.exp(torch.rand(n) * (log_hi - log_lo) + log_lo).clamp(min=floor)
    return dt + torch.log(-torch.expm1(-dt))


class MambaMixer(nn.Module):
    """One Mamba-1 mixer: [B, T, d_model] -> [B, T, d_model]; ``step`` consumes one token."""

    def __init__(self, cfg: MambaConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.d_inner = cfg.expand * cfg.d_model
        self.dt_rank = cfg.dt_rank or math.ceil(cfg.d_model / 16)
        self.in_proj = nn.Linear(cfg.d_model, 2 * self.d_inner, bias=False)
        self.conv1d = nn.Conv1d(
            self.d_inner, self.d_inner, cfg.d_conv, groups=self.d_inner, padding=cfg.d_conv - 1
        )
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * cfg.d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True)
        self.A_log = nn.Parameter(
            torch.log(torch.arange(1, cfg.d_state + 1, dtype=torch.float32).repeat(self.d_inner, 1))
        )
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, cfg.d_model, bias=False)
        with torch.no_grad():
            nn.init.uniform_(self.dt_proj.weight, -(self.dt_rank**-0.5), self.dt_rank**-0.5)
            self.dt_proj.bias.copy_(init_dt_bias(self.d_inner, cfg.dt_min, cfg.dt_max, cfg.dt_init_floor))
            self.out_proj.weight /= math.sqrt(cfg.n_layers)  # mamba-ssm's prenorm-residual rescaling

    def _x_z(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        w = self.in_proj.weight  # two products instead of one and a split: both halves come out contiguous
        return F.linear(h, w[: self.d_inner]), F.linear(h, w[self.d_inner :])

    def _dt_b_c(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        dt, b, c = torch.split(self.x_proj(x), [self.dt_rank, self.cfg.d_state, self.cfg.d_state], dim=-1)
        return F.linear(dt, self.dt_proj.weight), b, c  # dt without its bias: the kernels add it

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        use = self.cfg.use_kernels
        kernels.report_once("mamba", h.device, use, _OPS)
        x, z = self._x_z(h)
        if kernels.use(kernels.causal_conv1d_fn, h, use):
            w = self.conv1d.weight[:, 0]
            x = kernels.causal_conv1d_fn(x.transpose(1, 2), w, self.conv1d.bias, activation="silu").transpose(
                1, 2
            )
        else:
            x = causal_conv1d_silu(x, self.conv1d.weight, self.conv1d.bias)
        dt, b, c = self._dt_b_c(x)
        A = -torch.exp(self.A_log.float())  # [D, N]
        if kernels.use(kernels.selective_scan_fn, h, use):
            y = kernels.selective_scan_fn(
                x.transpose(1, 2),
                dt.transpose(1, 2),
                A,
                b.transpose(1, 2),
                c.transpose(1, 2),
                self.D.float(),
                z=z.transpose(1, 2),
                delta_bias=self.dt_proj.bias.float(),
                delta_softplus=True,
            ).transpose(1, 2)
        else:
            xf = x.float()
            delta = F.softplus(dt.float() + self.dt_proj.bias.float())
            y, _ = selective_scan(delta * xf, delta, A, b.float(), c.float())
            y = ((y + xf * self.D.float()) * F.silu(z.float())).to(h.dtype)
        return self.out_proj(y)

    def init_state(self, batch_size: int, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """(conv state [B, d_inner, d_conv] in ``dtype``, SSM state [B, d_inner, d_state] in float32)."""
        conv = torch.zeros(batch_size, self.d_inner, self.cfg.d_conv, device=device, dtype=dtype)
        ssm = torch.zeros(batch_size, self.d_inner, self.cfg.d_state, device=device, dtype=torch.float32)
        return conv, ssm

    def step(self, h: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        """h [B, d_model] -> (out [B, d_model], new state); the given state tensors are not modified."""
        use = self.cfg.use_kernels
        kernels.report_once("mamba", h.device, use, _OPS)
        conv_state, ssm_state = state
        x, z = self._x_z(h)
        if kernels.use(kernels.causal_conv1d_update, h, use):
            conv_state = conv_state.clone()  # the kernel updates in place
            x = kernels.causal_conv1d_update(
                x, conv_state, self.conv1d.weight[:, 0], self.conv1d.bias, "silu"
            )
        else:
            x, conv_state = causal_conv1d_silu_step(conv_state, x, self.conv1d.weight, self.conv1d.bias)
        dt, b, c = self._dt_b_c(x)
        A = -torch.exp(self.A_log.float())
        if kernels.use(kernels.selective_state_update, h, use):
            ssm_state = ssm_state.clone()  # the kernel updates in place
            y = kernels.selective_state_update(
                ssm_state,
                x,
                dt,
                A,
                b,
                c,
                D=self.D.float(),
                z=z,
                dt_bias=self.dt_proj.bias.float(),
                dt_softplus=True,
            )
        else:
            xf = x.float()
            delta = F.softplus(dt.float() + self.dt_proj.bias.float())
            y, ssm_state = selective_scan_step(ssm_state, delta * xf, delta, A, b.float(), c.float())
            y = ((y + xf * self.D.float()) * F.silu(z.float())).to(h.dtype)
        return self.out_proj(y), (conv_state, ssm_state)


class Mamba(ResidualLM):
    """Mamba-1 language model over toolenv's vocabulary (pre-norm residual stack, tied LM head)."""

    name = "mamba"
    config_class = MambaConfig
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "tiny": {"d_model": 64, "n_layers": 2, "d_state": 16},
        "small": {"d_model": 256, "n_layers": 4, "d_state": 16},
        "paper": {"d_model": 768, "n_layers": 24, "d_state": 16, "expand": 2},  # Mamba-130M's stack
    }

    def make_mixer(self, config: MambaConfig, layer: int) -> nn.Module:
        return MambaMixer(config)
