"""The shape every benchmark returns, and the BENCHMARKS.md writer.

A benchmark module is `bench/bench_<name>.py` with `run(quick: bool) -> list[Row]`.
Rows that compare against a reference measured in the same run carry `reference` and `ratio`,
because these machines are noisy and only side-by-side ratios are stable.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    reference: str = ""
    ratio: float | None = None
    target: str = ""
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def value_text(self) -> str:
        if abs(self.value) >= 100:
            return f"{self.value:,.0f} {self.unit}"
        return f"{self.value:.3g} {self.unit}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


SECTION_START = "<!-- bench:{name} -->"
SECTION_END = "<!-- /bench:{name} -->"


def render_section(name: str, rows: list[Row], command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION_START.format(name=name),
        f"### {name}",
        "",
        f"Machine: {machine()} · date: {now} · revision: {git_revision()} · command: `{command}`",
        "",
        "| figure | value | reference (same run) | ratio | target | notes |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}×"
        lines.append(f"| {r.figure} | {r.value_text()} | {r.reference} | {ratio} | {r.target} | {r.notes} |")
    lines.append(SECTION_END.format(name=name))
    return "\n".join(lines)


def write_section(path: Path, name: str, rows: list[Row], command: str) -> None:
    """Replace (or append) the section of one benchmark, keeping the others as they were."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\nWritten by `python -m bench`.\n"
    section = render_section(name, rows, command)
    start, end = SECTION_START.format(name=name), SECTION_END.format(name=name)
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
