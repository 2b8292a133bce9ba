"""Benchmarks of chainrule against plain Python floats and micrograd: ``python -m benchmarks``.

See ``docs/performance.md`` for what each workload does and the latest results.
"""
