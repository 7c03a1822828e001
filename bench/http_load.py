"""Closed-loop HTTP load generators run in their own process beside the server: a small asyncio + httpx
one (GETs), and `wrk` (C, Debian's package) for POST bodies, whose own CPU use is a small fraction of a
Python client's, so that on a 2-core machine the client does not eat the server's CPU.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

# wrk's Lua side: bodies from a file (one JSON document a line) taken in turn; at the end one JSON line.
WRK_SCRIPT = r"""
local bodies, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
done = function(s, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    s.requests, s.duration, s.errors.status, s.errors.connect, s.errors.read, s.errors.write,
    s.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


class NoWrk(RuntimeError):
    """wrk is not installed and cannot be installed here."""


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing and we are root (benchmarks only)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "wrk"]
        if subprocess.run(install, env=env, capture_output=True).returncode:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
            subprocess.run(install, env=env, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise NoWrk("wrk not found (apt-get install wrk)")


def wrk_post(
    base: str, path: str, headers: dict[str, str], bodies: list[dict], concurrency: int, seconds: float
) -> dict:
    """POST the bodies in turn on `concurrency` keep-alive connections for `seconds` (one wrk thread).

    Returns requests/s, p50/p99 latency (ms), the count of answers and every error class wrk counts
    (non-2xx/3xx answers, connect/read/write errors, timeouts at 30 s).
    """
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        script, data = Path(tmp) / "post.lua", Path(tmp) / "bodies.jsonl"
        script.write_text(WRK_SCRIPT)
        data.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies))
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
        command += [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
        command += ["-s", str(script), base + path, "--", str(data)]
        out = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise RuntimeError(f"wrk failed: {out.stderr[-500:]} {out.stdout[-500:]}")
    raw = json.loads(lines[-1])
    errors = raw["status_errors"] + raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
    return {
        "requests_per_s": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "count": raw["requests"],
        "errors": errors + raw["timeouts"],
        "raw": raw,
    }


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
