"""Benchmarks that print measured figures against the performance targets (issue 10)."""
