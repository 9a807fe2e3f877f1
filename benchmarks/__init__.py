"""Benchmarks against the local test wiki (see benchmarks/seed.py)."""
