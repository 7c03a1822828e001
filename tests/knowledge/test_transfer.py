"""Import and export of articles: Markdown folder and CSV round trips with Chinese text, bad rows named
by line number, and the `kefu kb` commands."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kefu.cli import app
from kefu.knowledge.actions import do_create_article, do_ensure_category_path, do_update_article
from kefu.knowledge.articles import search_published
from kefu.knowledge.models import Article
from kefu.knowledge.transfer import (
    ArticleRecord,
    ImportRowError,
    decode,
    parse_csv,
    parse_markdown_file,
    write_csv,
    write_markdown_file,
)
from kefu.knowledge.transfer_io import export_to, import_records, read_records

HEADER = "title,language,category,tags,status,review_by,body\r\n"
RECORDS = [
    ArticleRecord(
        title="如何申请退款：步骤说明", language="zh",
        body="## 步骤\n\n1. 打开订单\n2. 点击“申请退款”，填写原因\n",
        category=("售后", "退款"), tags=("退款", "订单,逗号"), status="published", review_by=date(2026, 9, 1),
    ),
    ArticleRecord(title="Shipping times", language="en", body='Orders ship in "2 days", usually.\n', tags=()),
]  # fmt: skip


def _key(record):
    return (
        record.title,
        record.language,
        record.body,
        record.category,
        record.tags,
        record.status,
        record.review_by,
    )


def test_csv_round_trip_keeps_chinese_text_quotes_and_newlines():
    again = parse_csv(write_csv(RECORDS))
    assert [_key(r) for r in again] == [_key(r) for r in RECORDS]
    assert again[1].source == "line 7"  # the first record spans lines 2–6


def test_markdown_round_trip():
    for record in RECORDS:
        assert _key(parse_markdown_file(write_markdown_file(record), "a.md")) == _key(record)


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("", "line 1", "empty"),
        ("title,body\r\n", "line 1", "missing column(s) language"),
        ("title,language,body,colour\r\n", "line 1", "unknown column(s) colour"),
        (HEADER + "好,zh,,,,,正文\r\n坏,fr,,,,,正文\r\n", "line 3", "language: 'fr'"),
        (HEADER + '多行,zh,,,,,"第一行\r\n第二行"\r\n,zh,,,,,无标题\r\n', "line 4", "title: is required"),
        (HEADER + "x,en,,,published,2026-13-01,b\r\n", "line 2", "review_by"),
        (HEADER + "x,en,,,live,,b\r\n", "line 2", "status: 'live'"),
        (HEADER + "x,en,b\r\n", "line 2", "expected 7 fields, found 3"),
    ],
)
def test_bad_csv_rows_are_named_by_line(text, where, reason):
    with pytest.raises(ImportRowError) as caught:
        parse_csv(text)
    assert caught.value.where == where
    assert reason in caught.value.reason


def test_encodings():
    assert decode("标题".encode("gb18030")) == "标题"
    assert decode("\ufeff标题".encode()) == "标题"
    with pytest.raises(ImportRowError, match="binary"):
        decode(b"\x00\x01\x02")


def test_markdown_without_front_matter_is_refused():
    with pytest.raises(ImportRowError, match="front matter"):
        parse_markdown_file("# just a title\n", "notes/a.md")
    with pytest.raises(ImportRowError, match="unknown front matter key"):
        parse_markdown_file("---\ntitle: a\nlanguage: zh\nauthor: me\n---\nbody", "b.md")


def _seed(session):
    category = do_ensure_category_path(session, ["售后", "退款"])
    do_create_article(
        session, title="退款多久到账", body="退款一般在**3个工作日**内到账。\n", language="zh",
        editor_id=None,
        category_id=category, tags=["退款"], status="published", review_by=date(2026, 6, 1),
    )  # fmt: skip
    do_create_article(
        session, title="Lost parcel", body="Tell us the order id.", language="en", editor_id=None
    )


@pytest.mark.parametrize("fmt", ["md", "csv"])
def test_export_then_import_into_an_empty_centre(runtime, tmp_path, fmt, settings):
    with runtime.sessions() as session, session.begin():
        _seed(session)
    target = tmp_path / ("kb.csv" if fmt == "csv" else "kb")
    with runtime.sessions() as session:
        assert export_to(session, target, fmt) == 2
        before = [
            (a.title, a.language, a.body, a.status, a.tags, a.review_by)
            for a in session.scalars(select(Article))
        ]
    records = read_records(target)
    with runtime.sessions() as session, session.begin():
        for article in session.scalars(select(Article)):
            # an import matches by title and language: rename the originals so the import creates anew
            do_update_article(session, article, {"title": article.title + " (old)"}, editor_id=None)
    with runtime.sessions() as session, session.begin():
        assert import_records(session, records) == (2, 0)
    with runtime.sessions() as session:
        after = [
            (a.title, a.language, a.body, a.status, a.tags, a.review_by)
            for a in session.scalars(select(Article).where(Article.id > 2).order_by(Article.id))
        ]
        assert sorted(after) == sorted(before)
        hits = search_published(session, "退款到账", "zh")
        assert sorted(h.title for h in hits) == ["退款多久到账", "退款多久到账 (old)"]
    # importing the same files again updates (new versions) instead of duplicating
    with runtime.sessions() as session, session.begin():
        assert import_records(session, records) == (0, 2)


def test_kb_commands(runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("KEFU_DATA_DIR", str(runtime.settings.data_dir))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\ntitle: 开发票\nlanguage: zh\ncategory: 财务/发票\ntags: [发票]\nstatus: published\n---\n"
        "在订单页开具发票。\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["kb", "export", str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "开发票,zh,财务/发票,发票,published" in out.read_text(encoding="utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "好,zh,,,,,正文\r\n,zh,,,,,无标题\r\n", encoding="utf-8")
    result = runner.invoke(app, ["kb", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3" in result.output and "title" in result.output
    with runtime.sessions() as session:
        assert session.scalar(select(Article).where(Article.title == "好")) is None  # nothing imported
