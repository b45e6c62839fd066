"""LSTM and GRU backbones (torch.nn; cuDNN on CUDA): embedding -> stacked RNN -> linear LM head.

The recurrent state is the RNN's hidden state (LSTM: ``(h, c)``, GRU: ``h``), each
``[n_layers, B, hidden]``; a paused row (mask False) keeps its state unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field
from torch import nn

from agents.backbone import Backbone, BackboneConfig


class RNNConfig(BackboneConfig):
    d_embed: int = Field(128, gt=0, description="token embedding size")
    hidden: int = Field(128, gt=0, description="hidden size of every layer")
    n_layers: int = Field(1, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1, description="between stacked layers, in training only")


class LSTMConfig(RNNConfig):
    forget_bias: float | None = Field(
        None, description="initial forget-gate bias of every layer (b_ih's forget slice; b_hh's set to 0); "
        "None keeps torch's uniform init (forget gate ~0.5 at the start). 1.0 is Keras's unit_forget_bias "
        "(Gers et al. 2000; Jozefowicz et al. 2015): cells keep their memory from the first step")


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
        out, _ = self.rnn(self.embedding(tokens))
        return self.lm_head(out)

    def _zeros(self, batch_size: int, device: torch.device | str) -> torch.Tensor:
        c = self.config
        return torch.zeros(c.n_layers, batch_size, c.hidden, device=device, dtype=self.lm_head.weight.dtype)

    def step(self, tokens: torch.Tensor, state: Any, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]:
        out, new = self.rnn(self.embedding(tokens)[:, None], state)
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


class GRU(_RNNBackbone):
    name = "gru"
    cell = nn.GRU

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> torch.Tensor:
        return self._zeros(batch_size, device)
