"""File names, limits and served types for attachments (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.channels.files import (
    CHAT_UPLOAD_TYPES,
    FileTooLarge,
    FileTypeRefused,
    check_upload,
    safe_filename,
    served_type,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\li\\发票.pdf", "发票.pdf"),
        ("evil\r\nContent-Type: x.png", "evil_Content-Type_ x.png"),
        ("", "attachment"),
        (None, "attachment"),
        ("...", "attachment"),
    ],
)
def test_names_lose_paths_and_control_characters(raw: str | None, expected: str) -> None:
    assert safe_filename(raw) == expected


@given(st.text(max_size=400))
def test_any_name_becomes_a_safe_base_name(raw: str) -> None:
    name = safe_filename(raw)
    assert 0 < len(name) <= 200
    assert not any(c in name for c in "/\\\r\n\x00")


def test_long_names_keep_their_extension() -> None:
    assert safe_filename("x" * 300 + ".pdf").endswith(".pdf")
    assert len(safe_filename("x" * 300 + ".pdf")) == 200


def test_upload_limits_name_the_limit() -> None:
    with pytest.raises(FileTooLarge, match="limit of 100 bytes"):
        check_upload(101, "image/png", max_bytes=100, allowed=CHAT_UPLOAD_TYPES)
    with pytest.raises(FileTypeRefused, match="image/svg"):
        check_upload(10, "image/svg+xml", max_bytes=100, allowed=CHAT_UPLOAD_TYPES)
    check_upload(100, "image/png", max_bytes=100, allowed=CHAT_UPLOAD_TYPES)


@pytest.mark.parametrize(
    ("declared", "served"),
    [
        ("image/png", "image/png"),
        ("IMAGE/JPEG; name=x.jpg", "image/jpeg"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/html", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
    ],
)
def test_only_inert_types_keep_their_type(declared: str, served: str) -> None:
    assert served_type(declared) == served
