"""LSTM and GRU backbones (torch.nn; cuDNN on CUDA)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from agents.backbone import Backbone, BackboneConfig


class RNNConfig(BackboneConfig):
    d_embed: int = 128
    hidden: int = 128
    n_layers: int = 1
    dropout: float = 0.0


class _RNNBackbone(Backbone):
    config_class = RNNConfig
    cell: ClassVar[type[nn.RNNBase]]
    presets = {
        "tiny": {"d_embed": 64, "hidden": 128, "n_layers": 1},
        "small": {"d_embed": 256, "hidden": 512, "n_layers": 2},
        "paper": {"d_embed": 1536, "hidden": 1536, "n_layers": 4},  # paper App. C: 4 x 1536
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
        out, _ = self.rnn(self.embedding(tokens))
        return self.lm_head(out)

    def _zeros(self, batch_size: int, device) -> torch.Tensor:
        c = self.config
        return torch.zeros(c.n_layers, batch_size, c.hidden, device=device, dtype=self.lm_head.weight.dtype)

    def step(self, tokens: torch.Tensor, state: Any, mask: torch.Tensor | None = None):
        out, new = self.rnn(self.embedding(tokens)[:, None], state)
        if mask is not None:
            keep = mask.view(1, -1, 1)
            new = tuple(torch.where(keep, n, o) for n, o in zip(new, state)) if isinstance(new, tuple) else torch.where(keep, new, state)
        return self.lm_head(out[:, 0]), new


class LSTM(_RNNBackbone):
    name = "lstm"
    cell = nn.LSTM

    def init_state(self, batch_size: int, device="cpu"):
        return (self._zeros(batch_size, device), self._zeros(batch_size, device))


class GRU(_RNNBackbone):
    name = "gru"
    cell = nn.GRU

    def init_state(self, batch_size: int, device="cpu"):
        return self._zeros(batch_size, device)
