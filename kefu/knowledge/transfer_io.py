"""Reading and writing article files for `kefu kb import/export`: a Markdown folder or one CSV file.

Everything is read and checked before anything is written, and the import is one transaction: a bad
file or row stops it with its name or line number, and nothing is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from kefu.knowledge import access, actions
from kefu.knowledge.transfer import (
    ArticleRecord,
    ImportRowError,
    decode,
    file_name,
    parse_csv,
    parse_markdown_file,
    write_csv,
    write_markdown_file,
)

Tick = Callable[[], None]


def markdown_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.md") if p.is_file())


def read_records(path: Path, tick: Tick | None = None) -> list[ArticleRecord]:
    """Records from a folder of Markdown files (searched recursively) or from a .csv file."""
    if path.is_dir():
        records = []
        for file in markdown_files(path):
            where = str(file.relative_to(path))
            records.append(parse_markdown_file(decode(file.read_bytes(), where), where))
            if tick:
                tick()
        return records
    if path.is_file() and path.suffix.lower() == ".csv":
        return parse_csv(decode(path.read_bytes(), path.name))
    if path.is_file() and path.suffix.lower() == ".md":
        return [parse_markdown_file(decode(path.read_bytes(), path.name), path.name)]
    raise ImportRowError(str(path), "not a folder of Markdown files, a .md file or a .csv file")


def import_records(
    session: Session, records: list[ArticleRecord], editor_id: int | None = None, tick: Tick | None = None
) -> tuple[int, int]:
    created = updated = 0
    for record in records:
        c, u = actions.do_import_records(session, [record], editor_id=editor_id)
        created, updated = created + c, updated + u
        if tick:
            tick()
    return created, updated


def export_to(
    session: Session, path: Path, fmt: str, *, status: str | None = None, language: str | None = None
) -> int:
    """Write every article (optionally one status or language) as Markdown files under `path`
    (one folder per language) or as one CSV file at `path`. Returns the number of articles."""
    articles = access.all_articles(session, status=status, language=language)
    records = actions.export_records(session, articles)
    if fmt == "csv":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(write_csv(records), encoding="utf-8-sig", newline="")
        return len(records)
    if fmt != "md":
        raise ValueError(f"format: {fmt!r} is not md or csv")
    for article, record in zip(articles, records, strict=True):
        target = path / record.language / file_name(article.id, record.title)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(write_markdown_file(record), encoding="utf-8", newline="")
    return len(records)
