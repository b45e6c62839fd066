"""Agents: the Agent protocol, LMAgent, backbones (one file each), imitation training."""
