"""kefu benchmarks: `python -m bench [names...]` runs them and rewrites BENCHMARKS.md."""
