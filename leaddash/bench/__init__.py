"""Benchmarks: `python -m leaddash bench` times the scoring engine on a synthetic dataset.

Add a measurement by decorating a function of the dataset with
`@measurement(name, description, limit_seconds)` (leaddash.bench.registry) in a module
that leaddash.bench.runner imports; every run lists it, times it and reports its memory.
"""

from leaddash.bench.registry import REGISTRY, Measurement, measurement
from leaddash.bench.runner import DEFAULT_OUTPUT, run_bench
from leaddash.bench.table import format_table

__all__ = ["DEFAULT_OUTPUT", "REGISTRY", "Measurement", "format_table", "measurement", "run_bench"]
