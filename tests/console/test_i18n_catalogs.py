"""Every visible word of the console is translatable, and every translatable word has its Chinese.

Templates are parsed with Jinja2 itself: literal template text is what a reader sees untranslated, so any
letter in it (outside tags, scripts and styles), or in a visible attribute, fails the test. Strings inside
`_()`/`{% trans %}` become gettext calls in the parsed tree and are checked against the catalogs instead.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import nodes

from kefu.core import i18n
from kefu.web.console import labels
from kefu.web.console.rendering import TEMPLATE_DIR, environment

CONSOLE_DIR = Path(labels.__file__).parent
# Python outside the console whose user-visible strings are marked with N_ (the bot's replies).
MARKED_DIRS = (Path(i18n.__file__).parents[1] / "bot",)
# Every page kefu renders, the console's and the other domains' (e.g. the customer's survey page).
TEMPLATE_DIRS = sorted({TEMPLATE_DIR, *Path(i18n.__file__).parents[1].glob("*/templates")})
TEMPLATES = sorted(p for directory in TEMPLATE_DIRS for p in directory.rglob("*.html"))
VISIBLE_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "label"}
# Script and style are code; <kbd> names a key as printed on the keyboard (j, Enter, Esc) in any language.
NOT_LANGUAGE = {"script", "style", "kbd"}
HOLE = "\x00"  # stands for anything Jinja computes: a translated string, a value, a tag


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0  # inside an element whose text is not language

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in NOT_LANGUAGE:
            self._hidden += 1
        self.found += [value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in NOT_LANGUAGE:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.found.append(data)


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def untranslated_text(source: str) -> list[str]:
    """Literal, visible text with letters in a template source (empty when everything is translated)."""
    tree = environment("en", "UTC").parse(source)
    flat = []
    for output in tree.find_all(nodes.Output):
        flat += [n.data if isinstance(n, nodes.TemplateData) else HOLE for n in output.nodes]
    parser = _VisibleText()
    parser.feed("".join(flat))
    parser.close()
    return [text.strip() for text in parser.found if _has_letters(text.replace(HOLE, ""))]


def test_the_checker_catches_literal_text_and_accepts_translated_text():
    assert untranslated_text("<p>Hello</p>") == ["Hello"]
    assert untranslated_text('<input placeholder="Search">') == ["Search"]
    assert untranslated_text("<p>你好 {{ name }}</p>") == ["你好 \x00"]
    assert untranslated_text("<p>{{ _('Hello') }}</p><p>{% trans %}Hi{% endtrans %}</p>") == []
    assert untranslated_text("<input placeholder=\"{{ _('Search') }}\"><p>{{ n }} · 42%</p>") == []
    assert untranslated_text("<script src='/a.js'></script><style>a{color:red}</style>") == []
    assert untranslated_text("<dt><kbd>g</kbd> <kbd>Enter</kbd></dt><dd>Go</dd>") == ["Go"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_templates_show_no_untranslated_text(path: Path):
    assert untranslated_text(path.read_text(encoding="utf-8")) == []


def _msgids() -> set[str]:
    """What the templates and the console's Python (labels marked with N_) ask the catalog for."""
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    found = [m for d in TEMPLATE_DIRS for m in extract_from_dir(str(d), [("**.html", "jinja2")], options)]
    for directory in (CONSOLE_DIR, *MARKED_DIRS):
        found += extract_from_dir(str(directory), [("**.py", "python")])
    return {message for _file, _line, message, _comments, _context in found}


def _catalog(language: str) -> dict[str, str]:
    with i18n.catalog_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    assert not [m.id for m in catalog if m.id and m.fuzzy], f"{language}: fuzzy entries are not used"
    return {m.id: m.string for m in catalog if m.id}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_catalogs_hold_exactly_the_strings_the_templates_use(language: str):
    used, catalog = _msgids(), _catalog(language)
    assert sorted(used - catalog.keys()) == [], "add these msgids to the catalog"
    assert sorted(catalog.keys() - used) == [], "remove these msgids nobody uses any more"


def test_every_msgid_has_a_chinese_translation_with_the_same_placeholders():
    placeholder = re.compile(r"%\(\w+\)s")
    for msgid, msgstr in _catalog("zh_CN").items():
        assert msgstr.strip(), f"zh_CN: {msgid!r} has no translation"
        assert sorted(placeholder.findall(msgstr)) == sorted(placeholder.findall(msgid)), msgid


def test_english_keeps_the_msgid_so_there_is_one_english_text():
    assert {s for s in _catalog("en").values() if s} == set()


def test_po_files_are_the_only_catalogs():
    """Compiled in-process: a stale .mo next to the .po would never be read, so none is kept."""
    assert not list(Path(i18n.LOCALE_DIR).rglob("*.mo"))


def test_labels_are_translated_and_unknown_codes_show_as_themselves():
    table = labels.translated_labels(i18n.translations("zh_CN").gettext)
    label = labels.label_filter(table)
    assert label("webchat", "channel") == "网页在线"
    assert label("fax", "channel") == "fax"
    with pytest.raises(ValueError, match="kind"):
        label("webchat", "colour")
