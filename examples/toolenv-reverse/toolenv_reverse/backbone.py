"""A deliberately small backbone: next-token logits from the current token only (a bigram)."""

import torch
from torch import nn

from agents.backbone import Backbone, BackboneConfig


class BigramConfig(BackboneConfig):
    pass


class Bigram(Backbone):
    name = "bigram"
    config_class = BigramConfig
    presets = {"tiny": {}, "small": {}, "paper": {}}

    def __init__(self, config: BigramConfig) -> None:
        super().__init__(config)
        self.table = nn.Embedding(config.vocab_size, config.vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.table(tokens)

    def init_state(self, batch_size: int, device="cpu"):
        return None

    def step(self, tokens, state, mask=None):
        return self.table(tokens), state
