"""The vendored assets are the files the README names, unchanged."""

from __future__ import annotations

import hashlib
import re

from kefu.web.pages import STATIC_DIR


def test_vendored_files_match_the_hashes_in_the_readme():
    readme = (STATIC_DIR / "README.md").read_text(encoding="utf-8")
    listed = dict((path, digest) for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M))
    vendored = sorted(p.relative_to(STATIC_DIR).as_posix() for p in (STATIC_DIR / "vendor").glob("*.js"))
    assert sorted(listed) == vendored
    for path, digest in listed.items():
        assert hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest() == digest, path


def test_every_vendored_file_has_its_licence_beside_it():
    for name in ("htmx", "echarts"):
        assert (STATIC_DIR / "vendor" / f"LICENSE-{name}.txt").is_file()
