"""Benchmarks: rcan's simulator measured side by side against reference environments."""
