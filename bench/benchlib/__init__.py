"""Helpers of bench/run: corpora, the two tools under test, measurement, verification and the report.

Everything here drives real processes on 127.0.0.1 and real directories; nothing is simulated. Each module
keeps one concern so that a figure in docs/benchmarks.md can be traced to the code that produced it.
"""
