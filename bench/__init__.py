"""Benchmarks that print tables; results go into bench/README.md."""
