"""Benchmarks: `python -m bench` (or `make bench`); `--quick` is CI's smoke mode."""
