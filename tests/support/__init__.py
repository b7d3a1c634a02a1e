"""Helpers the tests share: the test hub, tiny reference models, corpora and paths."""
