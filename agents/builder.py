"""Build a backbone by registered name (or import path), size preset and overrides."""

from __future__ import annotations

from typing import Any

from agents.backbone import Backbone
from toolenv.registry import get_agent_class


def backbone_class(name: str) -> type[Backbone]:
    cls = get_agent_class(name)
    if not (isinstance(cls, type) and issubclass(cls, Backbone)):
        raise TypeError(f"{name!r} resolves to {cls!r}, which is not an agents.backbone.Backbone subclass")
    return cls


def build_backbone(name: str, size: str = "tiny", overrides: dict[str, Any] | None = None) -> Backbone:
    return backbone_class(name).from_preset(size, **(overrides or {}))
