"""Jinja2 rendering in the reader's language: one environment per language, autoescaping everywhere.

One environment per language (rather than swapping gettext per request) keeps rendering free of shared
mutable state, so concurrent requests in different languages cannot see each other's catalog.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_timedelta
from babel.numbers import format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kefu.access.permissions import Permission
from kefu.core import clock, i18n
from kefu.core.clock import as_utc
from kefu.web.console.labels import label_filter, translated_labels

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LANGUAGE_COOKIE = "kefu_lang"


@cache
def environment(language: str, timezone: str) -> Environment:
    """The template environment of one language, showing times in the centre's zone."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat() of each file on every render
    )
    translations = i18n.translations(language)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters["label"] = label_filter(translated_labels(translations.gettext))
    locale = Locale.parse(language)
    env.filters["local_time"] = lambda value, format="medium": (
        "" if value is None else i18n.format_local(as_utc(value), language, timezone, format)
    )
    env.filters["duration"] = lambda seconds: format_timedelta(
        timedelta(seconds=seconds), threshold=1.5, locale=locale, format="narrow"
    )
    env.filters["percent"] = lambda share: "–" if share is None else format_percent(share, locale=locale)
    env.globals["language"] = language
    env.globals["permissions"] = Permission
    env.globals["language_names"] = i18n.LANGUAGE_NAMES
    env.globals["html_lang"] = "zh-CN" if language == "zh_CN" else language
    return env


def render(
    request: Request, language: str, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page or fragment; pages are never cached because they show one user's data."""
    settings = request.app.state.runtime.settings
    template = environment(language, settings.timezone).get_template(name)
    html = template.render(request=request, now=clock.now(), **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
