"""Backbones, one file each; they register through the ``toolenv.agents`` entry points."""
