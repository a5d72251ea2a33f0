"""Benchmarks: one command each, results written to docs/ with date, versions and machine."""
