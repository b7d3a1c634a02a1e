"""Architectures: one module each (config, layers, heads). Imported on demand by leanformers' lazy names."""
