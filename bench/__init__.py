"""Benchmarks that print figures (not tests): `python -m bench` (see bench/README.md)."""
