"""Adapters at the edges: the TinyDB store, the inbox folder, the workspace lock."""
