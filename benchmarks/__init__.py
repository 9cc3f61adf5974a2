"""Benchmarks: `python -m benchmarks.<name>`; each prints numbers and ratios to a raw baseline."""
