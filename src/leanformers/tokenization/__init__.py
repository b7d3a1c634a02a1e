"""Tokenizers: the stage chain (core), its stages, and the transformers-style classes."""
