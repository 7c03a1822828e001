"""Deciding how an uploaded or mailed file may be stored and served (pure).

Files from customers are hostile until proven otherwise: names may carry paths or control characters,
and a file served inline from kefu's origin (HTML, SVG, XML) would run script as kefu. So names are
reduced to a safe base name, sizes and types are checked against limits, and every file is served as
a download with `X-Content-Type-Options: nosniff`; only well-known raster images keep their own type.
"""

from __future__ import annotations

import re
import unicodedata

from kefu.core.errors import InvalidInput, KefuError

MAX_FILENAME = 200
# Raster images that browsers cannot execute; everything else is served as application/octet-stream.
SAFE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
# What the web chat accepts from visitors (e-mail keeps every attachment, served as a download).
CHAT_UPLOAD_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class FileTooLarge(KefuError):
    status = 413
    code = "too_large"


class FileTypeRefused(KefuError):
    status = 415
    code = "unsupported_media_type"


def safe_filename(raw: str | None) -> str:
    """The base name only, without separators or control characters; never empty."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        keep = extension[:10] if dot else ""
        name = (stem if dot else name)[: MAX_FILENAME - len(keep) - 1] + ("." + keep if keep else "")
    return name or "attachment"


def check_upload(size: int, content_type: str, *, max_bytes: int, allowed: frozenset[str]) -> None:
    if size > max_bytes:
        raise FileTooLarge(f"file: {size} bytes exceed the limit of {max_bytes} bytes", field="file")
    if size == 0:
        raise InvalidInput("file: is empty", field="file")
    if content_type not in allowed:
        raise FileTypeRefused(
            f"file: type {content_type!r} is not accepted (allowed: {', '.join(sorted(allowed))})",
            field="file",
        )


def served_type(content_type: str) -> str:
    """The Content-Type a download is served with: its own only when browsers cannot execute it."""
    base = content_type.split(";", 1)[0].strip().lower()
    return base if base in SAFE_TYPES else "application/octet-stream"
