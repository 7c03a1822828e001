"""docs/access.md shows the permission matrix exactly as kefu/access/permissions.py defines it."""

from __future__ import annotations

from pathlib import Path

from kefu.access.permissions import matrix_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"


def test_the_documented_matrix_is_the_matrix():
    text = DOC.read_text(encoding="utf-8")
    documented = text.split("<!-- matrix -->\n", 1)[1].split("\n<!-- /matrix -->", 1)[0]
    assert documented == matrix_table(), (
        "docs/access.md is stale: paste kefu.access.permissions.matrix_table()"
    )
