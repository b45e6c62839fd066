"""The Backbone contract: a causal token model with a full-sequence forward and a one-token step."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from toolenv import vocab


class BackboneConfig(BaseModel):
    """Base of every backbone's config (pydantic; stored as JSON beside checkpoints).
    Subclasses add their architecture fields; unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    vocab_size: int = vocab.VOCAB_SIZE


class Backbone(nn.Module, ABC):
    """A causal language model over toolenv's vocabulary.

    Two entry points that must agree (tested for every backbone):

    - ``forward(tokens[B, T]) -> logits[B, T, V]`` for training (teacher forcing);
    - ``init_state(B, device)`` then ``step(tokens[B], state, mask) -> (logits[B, V], state)``
      for rollouts, from a recurrent state or KV cache. Rows where ``mask`` is False consume
      no token: their state is left as it was (their logits are unspecified).

    Class attributes: ``name`` (registry name), ``config_class``, ``presets`` (``tiny``,
    ``small``, ``paper`` -> config overrides), ``fixed_state`` (True when the state is a pytree
    of tensors and ``step`` does no host work and keeps every tensor's shape, for as many steps
    as the last ``reserve`` made room for: rollouts may then be captured in CUDA graphs).
    """

    name: ClassVar[str]
    config_class: ClassVar[type[BackboneConfig]]
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    fixed_state: ClassVar[bool] = False

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        if not isinstance(config, self.config_class):
            raise TypeError(f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(config).__name__}")
        self.config = config

    @classmethod
    def from_preset(cls, size: str = "tiny", **overrides: Any) -> Backbone:
        if size not in cls.presets:
            raise ValueError(f"{cls.name}: unknown size {size!r}; presets: {', '.join(cls.presets)}")
        return cls(cls.config_class(**{**cls.presets[size], **overrides}))

    @abstractmethod
    def forward(self, tokens: torch.Tensor) -> torch.Tensor: ...

    @abstractmethod
    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> Any: ...

    @abstractmethod
    def step(self, tokens: torch.Tensor, state: Any, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]: ...

    def reserve(self, state: Any, steps: int) -> Any:
        """The state, with room for ``steps`` more ``step`` calls that reallocate nothing (called
        between CUDA-graph replays; a KV cache grows here). A fixed-size state needs nothing."""
        return state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
