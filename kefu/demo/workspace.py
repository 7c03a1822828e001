"""Create the demo workspace once and reuse it on later runs."""

from __future__ import annotations

import json
from datetime import date

from kefu.core.config import Settings
from kefu.core.runtime import open_runtime
from kefu.demo.generate import DEMO_PASSWORD
from kefu.demo.load import load

MARKER = "demo.json"


def ensure_demo(settings: Settings, anchor: date, seed: int) -> list[tuple[str, str, str]]:
    """Generate the demo into an empty data folder; if it is already there, return its sign-ins."""
    marker = settings.data_dir / MARKER
    if marker.exists():
        return [tuple(row) for row in json.loads(marker.read_text())["logins"]]
    runtime = open_runtime(settings)
    try:
        data = load(runtime.sessions, anchor, seed=seed)
    finally:
        runtime.close()
    logins = [(u, r, DEMO_PASSWORD) for u, r, _ in data.logins]
    marker.write_text(
        json.dumps({"anchor": anchor.isoformat(), "seed": seed, "logins": logins}, ensure_ascii=False)
    )
    return logins
