"""A small closed-loop HTTP load generator (asyncio + httpx), run in its own process beside the server."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time

import httpx


async def _worker(
    client: httpx.AsyncClient, paths: list[str], headers: dict, stop: float, out: list[float]
) -> None:
    i = 0
    while time.perf_counter() < stop:
        started = time.perf_counter()
        response = await client.get(paths[i % len(paths)], headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:200]}")
        out.append(time.perf_counter() - started)
        i += 1


async def run(base: str, paths: list[str], headers: dict, concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await client.get(paths[0], headers=headers)  # warm-up
        stop = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _worker(client, paths[i::concurrency] or paths, headers, stop, latencies)
                for i in range(concurrency)
            )
        )
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "count": len(latencies),
    }


def run_load(spec: dict) -> dict:
    """Run the load in a separate process (the spec travels on stdin), so client and server are apart."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.http_load"], input=json.dumps(spec), capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(**json.loads(sys.stdin.read())))))
