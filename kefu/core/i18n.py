"""Languages of the console: gettext catalogs compiled in-process from the .po files, and language choice.

The .po files in kefu/locale are the only source: they are compiled with Babel when first used, so
running or testing kefu needs no build step and there is no .mo file to forget to regenerate.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("zh_CN", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
# What a language looks like in its own words, for the switch.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of a supported language (compiled once per process)."""
    if language not in LANGUAGES:
        raise ValueError(f"language: {unsupported_message(language)}")
    with catalog_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def supported(language: str | None) -> str | None:
    """The supported language a tag names ('zh', 'zh-Hans-CN', 'en_GB' …), or None."""
    if not language:
        return None
    tag = language.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag == "en" or tag.startswith("en_"):
        return "en"
    return None


def require_supported(language: str, field: str = "language") -> str:
    """The supported language `language` names, or a ValueError naming the field."""
    chosen = supported(language)
    if chosen is None:
        raise ValueError(f"{field}: {unsupported_message(language)}")
    return chosen


def unsupported_message(language: str) -> str:
    return f"{language!r} is not one of {', '.join(LANGUAGES)}"


def parse_accept_language(header: str | None) -> list[str]:
    """The supported languages an Accept-Language header asks for, most wanted first (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue  # a malformed weight says nothing; the browser's other choices still count
        language = supported(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    seen: list[str] = []
    for _quality, _position, language in sorted(ranked):
        if language not in seen:
            seen.append(language)
    return seen


def choose_language(preference: str | None, accept_language: str | None, default: str) -> str:
    """The user's own choice first (profile, or cookie when signed out), then the browser, then the centre."""
    chosen = supported(preference)
    if chosen:
        return chosen
    wanted = parse_accept_language(accept_language)
    if wanted:
        return wanted[0]
    return require_supported(default, field="default")


def format_local(value: datetime, language: str, timezone: str, format: str = "medium") -> str:
    """An instant shown in the centre's time zone, in the reader's language."""
    if value.tzinfo is None:
        raise ValueError("value: must be timezone-aware (kefu stores UTC)")
    return babel_format_datetime(value, format, tzinfo=ZoneInfo(timezone), locale=_locale(language))


@cache
def _locale(language: str) -> Locale:
    """Parsing a locale costs ten times the formatting itself, and a page formats dozens of times."""
    return Locale.parse(language)
