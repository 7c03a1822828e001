"""Language choice and local times (kefu.core.i18n)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.core import i18n


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", ["zh_CN", "en"]),
        ("en-US,en;q=0.9", ["en"]),
        ("fr-FR, en;q=0.5, zh;q=0.7", ["zh_CN", "en"]),
        ("en;q=0, zh-TW", ["zh_CN"]),
        ("de, fr", []),
        ("en;q=abc, zh-Hans", ["zh_CN"]),
        ("", []),
        (None, []),
    ],
)
def test_accept_language_ranks_supported_languages_by_weight(header, expected):
    assert i18n.parse_accept_language(header) == expected


@given(st.text(max_size=80))
def test_accept_language_never_fails_and_only_names_supported_languages(header):
    assert set(i18n.parse_accept_language(header)) <= set(i18n.LANGUAGES)


def test_choice_prefers_the_user_then_the_browser_then_the_centre():
    assert i18n.choose_language("en", "zh-CN", "zh_CN") == "en"
    assert i18n.choose_language(None, "en-GB,zh;q=0.5", "zh_CN") == "en"
    assert i18n.choose_language(None, "fr", "en") == "en"
    assert i18n.choose_language("klingon", None, "zh_CN") == "zh_CN"


def test_an_unsupported_default_is_refused_with_the_field_named():
    with pytest.raises(ValueError, match="default"):
        i18n.choose_language(None, None, "fr")


def test_catalogs_translate_and_english_falls_back_to_the_msgid():
    assert i18n.translations("zh_CN").gettext("Inbox") == "收件箱"
    assert i18n.translations("en").gettext("Inbox") == "Inbox"
    with pytest.raises(ValueError, match="language"):
        i18n.translations("fr")


def test_times_show_in_the_centre_time_zone():
    instant = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert "09:30" in i18n.format_local(instant, "zh_CN", "Asia/Shanghai", "short")
    assert "9:30" in i18n.format_local(instant, "en", "Asia/Shanghai", "short")
    assert "01:30" in i18n.format_local(instant, "zh_CN", "UTC", "short")
    with pytest.raises(ValueError, match="value"):
        i18n.format_local(datetime(2026, 3, 2, 1, 30), "en", "UTC")
