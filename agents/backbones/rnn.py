"""LSTM and GRU backbones (torch.nn; cuDNN on CUDA): embedding -> stacked RNN -> linear LM head.

The recurrent state is the RNN's hidden state (LSTM: ``(h, c)``, GRU: ``h``), each
``[n_layers, B, hidden]``; a paused row (mask False) keeps its state unchanged.

The recurrence runs in float32 even under autocast (``recurrence_precision="fp32"``, the default):
torch's autocast runs cuDNN RNNs in float16 whatever dtype it was given (bfloat16 included), and
training's gradients at the RNN's output, ~1e-7 per element at a batch of 10^5-10^6 loss tokens,
fall below float16's smallest subnormal (6e-8) or keep 1-3 bits (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

from agents.backbone import Backbone, BackboneConfig


class RNNConfig(BackboneConfig):
    d_embed: int = Field(128, gt=0, description="token embedding size")
    hidden: int = Field(128, gt=0, description="hidden size of every layer")
    n_layers: int = Field(1, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1, description="between stacked layers, in training only")
    recurrence_precision: Literal["fp32", "autocast"] = Field(
        "fp32", description="fp32: the RNN runs in float32 under autocast too, as evaluation runs it; "
        "autocast: as torch's autocast casts it, which on CUDA is float16 without loss scaling (toolenv's "
        "RNNs trained so before 2026-12-06: their gradients underflowed, docs/decisions.md)")


class LSTMConfig(RNNConfig):
    forget_bias: float | None = Field(
        None, description="initial forget-gate bias of every layer (b_ih's forget slice; b_hh's set to 0); "
        "None keeps torch's uniform init (forget gate ~0.5 at the start). 1.0 is Keras's unit_forget_bias "
        "(Gers et al. 2000; Jozefowicz et al. 2015): cells keep their memory from the first step")


@contextmanager
def _onednn_off() -> Iterator[None]:
    """torch's oneDNN switch off, and back as it was. Not ``torch.backends.mkldnn.flags``, which also resets the
    deterministic and TF32 flags for its block (and warns of TF32 on each call)."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


class _RNNBackbone(Backbone):
    """Shared by LSTM and GRU; subclasses set ``cell`` and ``init_state``."""

    config_class = RNNConfig
    fixed_state = True
    cell: ClassVar[type[nn.RNNBase]]
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "tiny": {"d_embed": 64, "hidden": 128, "n_layers": 1},
        "small": {"d_embed": 256, "hidden": 512, "n_layers": 2},
        # twice small's width (4x its recurrent weights): the logical graph's GRU `small` miscopies 4-digit
        # labels carried across a search result (leaderboards/README.md), the paper's RNNs are 3x wider still
        "medium": {"d_embed": 512, "hidden": 1024, "n_layers": 2},
        # paper App. C: 4 layers, hidden 1536; the embedding size is not given, we use 1536
        "paper": {"d_embed": 1536, "hidden": 1536, "n_layers": 4},
    }

    def __init__(self, config: RNNConfig) -> None:
        super().__init__(config)
        self.embedding = nn.Embedding(config.vocab_size, config.d_embed)
        self.rnn = self.cell(
            config.d_embed, config.hidden, num_layers=config.n_layers, batch_first=True,
            dropout=config.dropout if config.n_layers > 1 else 0.0,
        )
        self.lm_head = nn.Linear(config.hidden, config.vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self._recur(self.embedding(tokens), None)
        return self.lm_head(out)

    def _recur(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """``self.rnn(x, state)``, outside autocast in the weights' dtype (float32) unless the config asks for
        autocast; on CPU, off torch's oneDNN path where ``_cpu_onednn`` says no."""
        if x.device.type == "cpu" and not self._cpu_onednn(x):
            with _onednn_off():
                return self._precise(x, state)
        return self._precise(x, state)

    def _precise(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        if self.config.recurrence_precision == "autocast":
            return self.rnn(x, state)
        with torch.autocast(x.device.type, enabled=False):
            return self.rnn(x.to(self.lm_head.weight.dtype), state)

    def _cpu_onednn(self, x: torch.Tensor) -> bool:
        """Whether torch may run this CPU call on oneDNN (it has a oneDNN path for the LSTM only)."""
        return True

    def _zeros(self, batch_size: int, device: torch.device | str) -> torch.Tensor:
        c = self.config
        return torch.zeros(c.n_layers, batch_size, c.hidden, device=device, dtype=self.lm_head.weight.dtype)

    def step(self, tokens: torch.Tensor, state: Any, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]:
        out, new = self._recur(self.embedding(tokens)[:, None], state)
        if mask is not None:
            keep = mask.view(1, -1, 1)
            if isinstance(new, tuple):
                new = tuple(torch.where(keep, n, o) for n, o in zip(new, state))
            else:
                new = torch.where(keep, new, state)
        return self.lm_head(out[:, 0]), new


class LSTM(_RNNBackbone):
    name = "lstm"
    config_class = LSTMConfig
    cell = nn.LSTM

    def __init__(self, config: LSTMConfig) -> None:
        super().__init__(config)
        if config.forget_bias is not None:
            h = config.hidden  # torch's gate order: input, forget, cell, output
            with torch.no_grad():
                for layer in range(config.n_layers):
                    getattr(self.rnn, f"bias_ih_l{layer}")[h:2 * h].fill_(config.forget_bias)
                    getattr(self.rnn, f"bias_hh_l{layer}")[h:2 * h].zero_()

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        return (self._zeros(batch_size, device), self._zeros(batch_size, device))

    # One token's step on CPU skips torch's oneDNN LSTM: its one-step call of `small` takes 2.6x ATen's time at
    # batch 16, 6.9x at batch 1 and 1.0-1.3x at 64-256, while over whole sequences (training) it is as fast or
    # faster and stays (benchmarks/decode_step_cpu.py --compare-onednn, which sets this True; docs/decisions.md)
    cpu_step_onednn: bool = False

    def _cpu_onednn(self, x: torch.Tensor) -> bool:
        """Not for one token's step (slower), nor under CPU autocast: oneDNN has no bfloat16 LSTM on CPUs
        without AVX-512 ("could not create a primitive descriptor"), where ATen runs it."""
        if self.config.recurrence_precision == "autocast" and torch.is_autocast_enabled("cpu"):
            return False
        return x.shape[1] > 1 or self.cpu_step_onednn


class GRU(_RNNBackbone):
    name = "gru"
    cell = nn.GRU

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> torch.Tensor:
        return self._zeros(batch_size, device)
