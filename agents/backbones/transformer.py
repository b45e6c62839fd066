"""Pythia-style Transformer: GPT-NeoX with rotary embeddings, via transformers."""

from __future__ import annotations

from pydantic import model_validator
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

from agents.backbone import BackboneConfig
from agents.backbones.hf_causal import HFCausalBackbone
from toolenv import vocab


class TransformerConfig(BackboneConfig):
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    intermediate_size: int = 512
    rotary_pct: float = 0.25  # Pythia's partial rotary embedding
    max_positions: int = 1 << 20
    attn_implementation: str = "sdpa"

    @model_validator(mode="after")
    def _heads(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        return self


class Transformer(HFCausalBackbone):
    """GPT-NeoX decoder (parallel residual, RoPE on 25% of each head) trained from scratch."""

    name = "transformer"
    config_class = TransformerConfig
    model_class = GPTNeoXForCausalLM
    presets = {
        "tiny": {"d_model": 64, "n_layers": 2, "n_heads": 4, "intermediate_size": 256},
        "small": {"d_model": 256, "n_layers": 4, "n_heads": 8, "intermediate_size": 1024},
        # paper App. C lists 24 layers x 768 (intermediate 1536, 8 heads) for "Pythia-160M"; the
        # released pythia-160m has 12 layers and 12 heads. We follow the paper's table.
        "paper": {"d_model": 768, "n_layers": 24, "n_heads": 8, "intermediate_size": 1536},
    }

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__(config)
        self.build(GPTNeoXConfig(
            vocab_size=config.vocab_size, hidden_size=config.d_model, num_hidden_layers=config.n_layers,
            num_attention_heads=config.n_heads, intermediate_size=config.intermediate_size,
            rotary_pct=config.rotary_pct, max_position_embeddings=config.max_positions,
            bos_token_id=vocab.BOS, eos_token_id=vocab.EOS, pad_token_id=vocab.PAD,
            attn_implementation=config.attn_implementation,
        ))
