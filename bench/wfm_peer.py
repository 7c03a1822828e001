"""Runs pyworkforce inside bench/.envs/pyworkforce on a JSON task from stdin; prints JSON results.

Kept free of kefu imports: it executes under the peer's own interpreter and packages.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def erlang(task: dict) -> dict:
    from pyworkforce.queuing import ErlangC

    def once() -> list[int]:
        return [
            ErlangC(
                transactions=r["volume"], aht=r["aht"], asa=r["target_seconds"], interval=r["interval"]
            ).required_positions(service_level=r["target_sl"], max_occupancy=1.0)["raw_positions"]
            for r in task["rows"]
        ]

    times, answer = [], []
    for _ in range(task["repeats"]):
        start = time.perf_counter()
        answer = once()
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "agents": answer}


def shifts(task: dict) -> dict:
    from pyworkforce.scheduling import MinAbsDifference

    required = task["required"]
    big = 10 * max(max(day) for day in required) + 10
    start = time.perf_counter()
    solution = MinAbsDifference(
        num_days=len(required),
        periods=len(required[0]),
        shifts_coverage=task["coverage"],
        required_resources=required,
        max_period_concurrency=big,
        max_shift_concurrency=big,
        max_search_time=task["time_limit"],
        num_search_workers=2,
    ).solve()
    seconds = time.perf_counter() - start
    names = list(task["coverage"])
    heads = [[0] * len(names) for _ in required]
    for item in solution["resources_shifts"]:
        if item["day"] >= 0:
            heads[item["day"]][names.index(item["shift"])] = item["resources"]
    return {"seconds": seconds, "status": solution["status"], "heads": heads}


def roster(task: dict) -> dict:
    from pyworkforce.rostering.binary_programming import MinHoursRoster

    start = time.perf_counter()
    solution = MinHoursRoster(
        num_days=task["days"],
        resources=task["resources"],
        shifts=task["shifts"],
        shifts_hours=task["shifts_hours"],
        min_working_hours=0,
        banned_shifts=task["banned_shifts"],
        max_resting=task["max_resting"],
        required_resources=task["required"],
        non_sequential_shifts=task["non_sequential_shifts"],
        max_search_time=task["time_limit"],
        num_search_workers=2,
    ).solve()
    return {"seconds": time.perf_counter() - start, "status": solution["status"]}


if __name__ == "__main__":
    job = json.load(sys.stdin)
    print(json.dumps({"erlang": erlang, "shifts": shifts, "roster": roster}[job["kind"]](job)))
