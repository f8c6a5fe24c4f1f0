"""Embedded local engine: classical, deterministic, CPU-only image operations."""
