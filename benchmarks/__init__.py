"""Benchmarks of mastref; run ``python -m benchmarks``."""
