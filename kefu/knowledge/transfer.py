"""Article import/export formats (pure): a folder of Markdown files with front matter, and CSV.

Markdown file:

    ---
    title: 如何申请退款
    language: zh
    category: 售后/退款
    tags: [退款, 订单]
    status: published
    review_by: 2026-09-01
    ---
    正文（Markdown）……

CSV: a header row with `title,language,category,tags,status,review_by,body` (`title`, `language` and
`body` required; other columns optional, unknown columns refused); tags separated by `;`; a category is
a path of names separated by `/`. Every problem names its line (CSV) or file and the reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import yaml

from kefu.core.errors import InvalidInput, KefuError
from kefu.knowledge.lifecycle import clean_tags, parse_language, parse_status

CSV_COLUMNS = ("title", "language", "category", "tags", "status", "review_by", "body")
REQUIRED = ("title", "language", "body")
MAX_TITLE = 300
MAX_BODY = 200_000
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_SLUG_DROP = re.compile(r"[^\w\u3400-\u9fff]+")


class ImportRowError(KefuError):
    """A row or file that cannot be imported: `where` is "line 7" or a file name."""

    status = 422
    code = "invalid_import"

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}", field="file")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class ArticleRecord:
    title: str
    language: str
    body: str
    category: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    status: str = "draft"
    review_by: date | None = None
    source: str = ""  # where it came from: "line 3" or a file name
    extra: dict[str, str] = field(default_factory=dict)


def category_path(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split("/") if part.strip())


def _record(values: dict[str, object], where: str) -> ArticleRecord:
    """Validate one article's fields; any problem raises ImportRowError naming `where`."""
    try:
        for name in REQUIRED:
            if not str(values.get(name) or "").strip():
                raise InvalidInput(f"{name}: is required and empty", field=name)
        title = str(values["title"]).strip()
        if len(title) > MAX_TITLE:
            raise InvalidInput(f"title: longer than {MAX_TITLE} characters", field="title")
        body = str(values["body"])
        if len(body) > MAX_BODY:
            raise InvalidInput(f"body: longer than {MAX_BODY} characters", field="body")
        raw_tags = values.get("tags") or []
        tags = raw_tags.split(";") if isinstance(raw_tags, str) else [str(t) for t in raw_tags]  # type: ignore[union-attr]
        review_by = values.get("review_by")
        if isinstance(review_by, str):
            review_by = _date(review_by)
        elif review_by is not None and not isinstance(review_by, date):
            raise InvalidInput("review_by: expected a date YYYY-MM-DD", field="review_by")
        return ArticleRecord(
            title=title,
            language=parse_language(str(values["language"])),
            body=body,
            category=category_path(str(values.get("category") or "")),
            tags=tuple(clean_tags(tags)),
            status=parse_status(str(values.get("status") or "draft").strip()).value,
            review_by=review_by or None,  # type: ignore[arg-type]
            source=where,
        )
    except KefuError as error:
        raise ImportRowError(where, error.message) from None


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"review_by: {text!r} is not a date YYYY-MM-DD", field="review_by") from None


def decode(data: bytes, where: str = "file") -> str:
    """UTF-8 (with or without BOM) or GB18030, the encodings Chinese spreadsheets save in."""
    if b"\x00" in data:
        raise ImportRowError(where, "binary content, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRowError(where, "unknown encoding (save the file as UTF-8)")


def parse_csv(text: str) -> list[ArticleRecord]:
    """All rows of a CSV export; the first bad row raises ImportRowError with its line number."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRowError("line 1", "the file is empty; expected a header row") from None
    except csv.Error as error:
        raise ImportRowError("line 1", f"not valid CSV ({error})") from None
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ImportRowError("line 1", f"missing column(s) {', '.join(missing)} in the header")
    unknown = [name for name in names if name not in CSV_COLUMNS]
    if unknown:
        raise ImportRowError("line 1", f"unknown column(s) {', '.join(unknown)}")
    records = []
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ImportRowError(f"line {start}", f"not valid CSV ({error})") from None
        last_line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise ImportRowError(f"line {start}", f"expected {len(names)} fields, found {len(row)}")
        records.append(_record(dict(zip(names, row, strict=True)), f"line {start}"))
    return records


def write_csv(records: Iterable[ArticleRecord]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        review = r.review_by.isoformat() if r.review_by else ""
        writer.writerow(
            [r.title, r.language, "/".join(r.category), ";".join(r.tags), r.status, review, r.body]
        )
    return out.getvalue()


def parse_markdown_file(text: str, where: str) -> ArticleRecord:
    match = _FRONT.match(text)
    if match is None:
        raise ImportRowError(where, "no front matter: the file must start with a --- block")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise ImportRowError(where, f"front matter is not valid YAML ({error})") from None
    if not isinstance(meta, dict):
        raise ImportRowError(where, "front matter must be key: value lines")
    unknown = sorted(set(map(str, meta)) - set(CSV_COLUMNS) - {"body"})
    if unknown:
        raise ImportRowError(where, f"unknown front matter key(s) {', '.join(unknown)}")
    values = {str(k): v for k, v in meta.items()}
    if isinstance(values.get("category"), list):
        values["category"] = "/".join(map(str, values["category"]))
    values["body"] = text[match.end() :]
    return _record(values, where)


def write_markdown_file(record: ArticleRecord) -> str:
    meta: dict[str, object] = {"title": record.title, "language": record.language}
    if record.category:
        meta["category"] = "/".join(record.category)
    meta["tags"] = list(record.tags)
    meta["status"] = record.status
    if record.review_by:
        meta["review_by"] = record.review_by
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None)
    return f"---\n{front}---\n{record.body}"


def file_name(number: int, title: str) -> str:
    """A readable, safe file name for an exported article: `00042-如何申请退款.md`."""
    slug = _SLUG_DROP.sub("-", title).strip("-_")[:60] or "article"
    return f"{number:05d}-{slug}.md"
