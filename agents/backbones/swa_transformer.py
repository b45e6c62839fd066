"""Mistral-style Transformer with sliding-window attention, via transformers."""

from __future__ import annotations

from pydantic import Field, model_validator
from transformers import MistralConfig, MistralForCausalLM

from agents.backbone import BackboneConfig
from agents.backbones.hf_causal import HFCausalBackbone
from toolenv import vocab


class SWATransformerConfig(BackboneConfig):
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    n_kv_heads: int = 4
    intermediate_size: int = 256
    window: int = Field(default=64, gt=0, description="sliding attention window in cache slots")
    max_positions: int = 1 << 20
    attn_implementation: str = "sdpa"

    @model_validator(mode="after")
    def _heads(self):
        if self.d_model % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ValueError(f"need d_model % n_heads == 0 and n_heads % n_kv_heads == 0, got "
                             f"{self.d_model}, {self.n_heads}, {self.n_kv_heads}")
        return self


class SWATransformer(HFCausalBackbone):
    """Each token attends to the previous ``window`` slots only (a fixed-memory model when the
    cache is trimmed; transformers' DynamicCache keeps all slots but masks beyond the window).
    The window counts cache slots, which equal tokens except where a row paused (mask False)."""

    name = "swa-transformer"
    config_class = SWATransformerConfig
    model_class = MistralForCausalLM
    presets = {
        "tiny": {"d_model": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 4, "intermediate_size": 256, "window": 64},
        "small": {"d_model": 256, "n_layers": 4, "n_heads": 8, "n_kv_heads": 8, "intermediate_size": 768, "window": 256},
        "paper": {"d_model": 768, "n_layers": 8, "n_heads": 8, "n_kv_heads": 8, "intermediate_size": 1536, "window": 512},
    }

    def __init__(self, config: SWATransformerConfig) -> None:
        super().__init__(config)
        self.build(MistralConfig(
            vocab_size=config.vocab_size, hidden_size=config.d_model, num_hidden_layers=config.n_layers,
            num_attention_heads=config.n_heads, num_key_value_heads=config.n_kv_heads,
            intermediate_size=config.intermediate_size, sliding_window=config.window,
            max_position_embeddings=config.max_positions, bos_token_id=vocab.BOS, eos_token_id=vocab.EOS,
            pad_token_id=vocab.PAD, attn_implementation=config.attn_implementation,
        ))
