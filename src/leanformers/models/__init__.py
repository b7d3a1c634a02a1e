"""Architectures: one module each (config, layers, heads), listed in leanformers/manifest.py."""
