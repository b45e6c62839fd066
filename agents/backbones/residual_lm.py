"""A residual stack of recurrent mixers with an embedding and an LM head (shared by the SSMs).

Subclasses provide ``make_mixer(config, layer)``; a mixer is an ``nn.Module`` with
``forward(h[B, T, D]) -> [B, T, D]``, ``init_state(B, device, dtype) -> tuple of tensors`` and
``step(h[B, D], state) -> (out[B, D], state)``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from agents.backbone import Backbone, BackboneConfig
from agents.backbones.norms import RMSNorm


class ResidualLMConfig(BackboneConfig):
    d_model: int = 128
    n_layers: int = 2
    tie_embeddings: bool = True


def masked(new: tuple[torch.Tensor, ...], old: tuple[torch.Tensor, ...], mask: torch.Tensor | None):
    """Keep ``old`` state rows where ``mask`` is False."""
    if mask is None:
        return new
    return tuple(torch.where(mask.view(-1, *([1] * (n.dim() - 1))), n, o) for n, o in zip(new, old))


class ResidualLM(Backbone):
    config_class = ResidualLMConfig
    fixed_state = True

    def __init__(self, config: ResidualLMConfig) -> None:
        super().__init__(config)
        self.embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.norms = nn.ModuleList(RMSNorm(config.d_model) for _ in range(config.n_layers))
        self.mixers = nn.ModuleList(self.make_mixer(config, i) for i in range(config.n_layers))
        self.norm_f = RMSNorm(config.d_model)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.embedding.weight
        nn.init.normal_(self.embedding.weight, std=0.02)

    def make_mixer(self, config: ResidualLMConfig, layer: int) -> nn.Module:
        raise NotImplementedError

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embedding(tokens)
        for norm, mixer in zip(self.norms, self.mixers):
            h = h + mixer(norm(h))
        return self.lm_head(self.norm_f(h))

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> Any:
        dtype = self.embedding.weight.dtype
        return [m.init_state(batch_size, device, dtype) for m in self.mixers]

    def step(self, tokens: torch.Tensor, state: Any, mask: torch.Tensor | None = None):
        h = self.embedding(tokens)
        new_state = []
        for norm, mixer, s in zip(self.norms, self.mixers, state):
            out, s_new = mixer.step(norm(h), s)
            h = h + out
            new_state.append(masked(s_new, s, mask))
        return self.lm_head(self.norm_f(h)), new_state
