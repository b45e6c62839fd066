"""LMAgent: any Backbone as an agent, for the env loop and for the batched rollout engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from agents.backbone import Backbone
from toolenv import vocab


class LMAgent:
    """Greedy (``temperature=0``, the default) or sampled decoding from a Backbone.

    Two interfaces over the same per-row state (recurrent state or KV cache):

    - the Agent protocol (``reset``/``act``) for ``ToolEnv`` loops: every observation token is
      fed to the model, one model step per token for the whole batch, rows with fewer pending
      tokens masked; a row with an empty observation (finished or paused) keeps its state;
    - the TokenPolicy protocol (``start``/``feed``) that ``toolenv.rollout`` drives on ``device``.

    A [BOS] token is fed to every row at the start of an episode. Sampling draws from a
    ``torch.Generator`` seeded with ``seed`` (0 when not given), so runs repeat exactly.
    """

    def __init__(self, backbone: Backbone, device: str | torch.device | None = None, temperature: float = 0.0,
                 seed: int | None = None) -> None:
        if not isinstance(backbone, Backbone):
            raise TypeError(f"LMAgent needs an agents.backbone.Backbone, got {type(backbone).__name__}")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if device is None:
            device = next(backbone.parameters()).device
        self.device = torch.device(device)
        self.backbone = backbone.to(self.device).eval()
        self.temperature = float(temperature)
        self.seed = 0 if seed is None else int(seed)
        self.generator: torch.Generator | None = None
        if self.temperature > 0:
            self.generator = torch.Generator(device=self.device)
            self.generator.manual_seed(self.seed)
        self.state = None
        self.logits: torch.Tensor | None = None  # [B, V]: each row's logits after its last consumed token
        self.vocab_size = int(backbone.config.vocab_size)

    # -- TokenPolicy --------------------------------------------------------------------------
    @torch.inference_mode()
    def start(self, batch_size: int) -> None:
        """Fresh state for ``batch_size`` episodes; [BOS] consumed in every row."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.state = self.backbone.init_state(batch_size, self.device)
        bos = torch.full((batch_size,), vocab.BOS, dtype=torch.long, device=self.device)
        logits, self.state = self.backbone.step(bos, self.state)
        self.logits = logits.float()

    # rows are independent: ``rollout`` may feed rows whose episode ended (no masking per step)
    feeds_ended_rows = True

    @torch.inference_mode()
    def feed(self, tokens: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor:
        """Consume ``tokens[b]`` in every row where ``active[b]`` (every row if None); the
        next-token choice per row."""
        self._consume(tokens, active)
        return self.choose(self.logits)

    def reserve(self, steps: int) -> None:
        """Room for ``steps`` more feeds that keep ``graph_state``'s tensors (``Backbone.reserve``);
        ``rollout`` calls it between CUDA-graph replays."""
        if self.state is not None:
            self.state = self.backbone.reserve(self.state, steps)

    def _consume(self, tokens: torch.Tensor, active: torch.Tensor | None) -> None:
        if self.logits is None:
            raise RuntimeError("LMAgent: call start(batch_size) (or reset) before feeding tokens")
        logits, self.state = self.backbone.step(tokens, self.state, active)
        self.logits = logits.float() if active is None else torch.where(active[:, None], logits.float(), self.logits)

    @property
    def graph_state(self) -> Any:
        """(backbone state, last logits) when steps can be captured in a CUDA graph (greedy
        decoding of a backbone whose state keeps its shapes between ``reserve`` calls); None
        otherwise."""
        if self.temperature > 0 or not self.backbone.fixed_state or self.logits is None:
            return None
        return (self.state, self.logits)

    @graph_state.setter
    def graph_state(self, value: Any) -> None:
        self.state, self.logits = value

    def choose(self, logits: torch.Tensor) -> torch.Tensor:
        """argmax, or a sample at ``temperature``, per row (int64 [B])."""
        if self.temperature == 0:
            return logits.argmax(-1)
        probs = torch.softmax(logits.float() / self.temperature, dim=-1)
        return torch.multinomial(probs, 1, generator=self.generator)[:, 0]

    # -- Agent protocol ------------------------------------------------------------------------
    def reset(self, batch_size: int) -> None:
        self.start(batch_size)
        if self.generator is not None:  # same seed, same samples for every batch of episodes
            self.generator.manual_seed(self.seed)

    @torch.inference_mode()
    def act(self, observations: Sequence[np.ndarray]) -> np.ndarray:
        """Feed each episode's new tokens, then choose one action per episode (int64 [B])."""
        if self.logits is None:
            raise RuntimeError("LMAgent: call reset(batch_size) before act()")
        B = self.logits.shape[0]
        if len(observations) != B:
            raise ValueError(f"act() got {len(observations)} observations for a batch of {B} episodes")
        obs = [np.asarray(o, dtype=np.int64).reshape(-1) for o in observations]
        for b, o in enumerate(obs):
            if o.size and (o.min() < 0 or o.max() >= self.vocab_size):
                raise ValueError(f"observation {b} holds token ids outside [0, {self.vocab_size}): {o.tolist()}")
        lengths = [len(o) for o in obs]
        T = max(lengths, default=0)
        if T:
            pending = np.full((B, T), vocab.PAD, dtype=np.int64)
            for b, o in enumerate(obs):
                pending[b, : len(o)] = o
            pending_t = torch.from_numpy(pending).to(self.device)
            n = torch.tensor(lengths, device=self.device)
            for t in range(T):
                self._consume(pending_t[:, t], n > t)
        return self.choose(self.logits).cpu().numpy().astype(np.int64)
