"""Run benchmarks: `python -m bench` (all) or `python -m bench routing wfm` (some); `--quick` smoke-runs."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path

from bench.report import write_section

ROOT = Path(__file__).resolve().parent.parent


def available() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="small sizes, does not write BENCHMARKS.md")
    args = parser.parse_args()
    for name in args.names or available():
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        rows = module.run(quick=args.quick)
        for r in rows:
            ratio = "" if r.ratio is None else f"  ratio {r.ratio:.2f}x vs {r.reference}"
            print(f"  {r.figure}: {r.value_text()}{ratio}", flush=True)
        if not args.quick:
            write_section(ROOT / "BENCHMARKS.md", name, rows, f"python -m bench {name}")


if __name__ == "__main__":
    main()
