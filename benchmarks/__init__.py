"""Benchmarks of tinygrad_nn against hand-written NumPy backprop and PyTorch.

Run ``python benchmarks/run.py --help`` (training steps) or ``python benchmarks/overhead.py``
(per-op overhead). See docs/performance.md for results and how to read them.
"""
