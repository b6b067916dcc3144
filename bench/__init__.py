"""Benchmarks, run by `make bench` (`python -m bench`). Not tests: they measure, they do not assert."""
