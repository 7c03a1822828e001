"""The knowledge base and script library over HTTP (/api/v1/kb/…).

Reading needs knowledge:read (every staff role; only published articles unless the reader may also
write), editing knowledge:write, and publishing, archiving or changing a published article
knowledge:review. Markdown comes back both as source and as sanitised HTML.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kefu.access.actor import Actor
from kefu.access.permissions import Permission, allows
from kefu.channels.files import served_type
from kefu.core import clock
from kefu.core.errors import Forbidden, InvalidInput
from kefu.knowledge import access, actions
from kefu.knowledge.articles import ArticleHit, search_published
from kefu.knowledge.assist import latest_customer_message, suggest_for_text
from kefu.knowledge.lifecycle import needs_review, unified_diff, version_text
from kefu.knowledge.markdown import render_markdown
from kefu.knowledge.scripts import (
    do_create_script,
    do_delete_script,
    do_record_script_use,
    do_update_script,
    render_script,
    script_by_id,
    search_scripts,
    variables_in,
)
from kefu.knowledge.transfer import decode, parse_csv, write_csv
from kefu.web.deps import RuntimeDep, SessionDep, require

if TYPE_CHECKING:
    from kefu.knowledge.models import Article, ArticleAttachment, ArticleCategory, ArticleVersion, Script

router = APIRouter(prefix="/kb", tags=["knowledge"])
Reader = Annotated[Actor, require(Permission.knowledge_read)]
Writer = Annotated[Actor, require(Permission.knowledge_write)]
Reviewer = Annotated[Actor, require(Permission.knowledge_review)]
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _review_needed(actor: Actor, what: str) -> None:
    if not allows(actor, Permission.knowledge_review):
        raise Forbidden(f"{what} needs the permission knowledge:review", code="permission_denied")


# ---- categories -------------------------------------------------------------------------------------


class CategoryIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    parent_id: int | None = None


class CategoryOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    path: list[str]


def _category_out(category: ArticleCategory, paths: dict[int, tuple[str, ...]]) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        name=category.name,
        parent_id=category.parent_id,
        path=list(paths.get(category.id, ())),
    )


@router.get("/categories")
def get_categories(session: SessionDep, actor: Reader) -> list[CategoryOut]:
    paths = actions.category_paths(session)
    return [_category_out(c, paths) for c in access.categories(session)]


@router.post("/categories", status_code=201)
def post_category(body: CategoryIn, session: SessionDep, actor: Writer) -> CategoryOut:
    category = actions.do_create_category(session, name=body.name, parent_id=body.parent_id)
    return _category_out(category, actions.category_paths(session))


# ---- articles ---------------------------------------------------------------------------------------


class ArticleIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=200_000)
    language: str
    category_id: int | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    owner_id: int | None = None
    review_by: date | None = None


class ArticlePatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, max_length=200_000)
    language: str | None = None
    category_id: int | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    owner_id: int | None = None
    review_by: date | None = None


class StatusIn(BaseModel):
    status: str


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    url: str


class ArticleOut(BaseModel):
    id: int
    title: str
    body: str
    html: str
    language: str
    status: str
    category_id: int | None
    tags: list[str]
    owner_id: int | None
    review_by: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    attachments: list[AttachmentOut] = Field(default_factory=list)


class ArticleSummary(BaseModel):
    id: int
    title: str
    language: str
    status: str
    category_id: int | None
    tags: list[str]
    owner_id: int | None
    review_by: date | None
    version: int
    updated_at: datetime


def _attachment_out(a: ArticleAttachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.public_id, filename=a.filename, content_type=a.content_type, size=a.size,
        url=f"/api/v1/kb/attachments/{a.public_id}",
    )  # fmt: skip


def _article_out(session: SessionDep, a: Article) -> ArticleOut:
    return ArticleOut(
        id=a.id, title=a.title, body=a.body, html=render_markdown(a.body), language=a.language,
        status=a.status, category_id=a.category_id, tags=list(a.tags or []), owner_id=a.owner_id,
        review_by=a.review_by, version=a.version, created_at=a.created_at, updated_at=a.updated_at,
        attachments=[_attachment_out(x) for x in access.article_attachments(session, a.id)],
    )  # fmt: skip


def _summary(a: Article) -> ArticleSummary:
    return ArticleSummary(
        id=a.id, title=a.title, language=a.language, status=a.status, category_id=a.category_id,
        tags=list(a.tags or []), owner_id=a.owner_id, review_by=a.review_by, version=a.version,
        updated_at=a.updated_at,
    )  # fmt: skip


@router.get("/articles")
def get_articles(
    session: SessionDep,
    actor: Reader,
    status: str | None = None,
    language: str | None = None,
    category_id: int | None = None,
    owner_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ArticleSummary]:
    articles = access.list_articles(
        session, actor, status=status, language=language, category_id=category_id, owner_id=owner_id,
        limit=limit, offset=offset,
    )  # fmt: skip
    return [_summary(a) for a in articles]


@router.post("/articles", status_code=201)
def post_article(body: ArticleIn, session: SessionDep, actor: Writer) -> ArticleOut:
    article = actions.do_create_article(
        session, title=body.title, body=body.body, language=body.language, editor_id=actor.user_id,
        category_id=body.category_id, tags=body.tags, owner_id=body.owner_id, review_by=body.review_by,
    )  # fmt: skip
    return _article_out(session, article)


@router.get("/articles/stale")
def get_stale_articles(
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Writer,
    everyone: Annotated[bool, Query(alias="all")] = False,
) -> list[ArticleSummary]:
    """Articles whose review-by date has passed (in the centre's time zone): the caller's own, or
    (`?all=true`) everyone's."""
    today = clock.now().astimezone(ZoneInfo(runtime.settings.timezone)).date()
    owner = None if everyone else actor.user_id
    return [_summary(a) for a in access.stale_articles(session, today=today, owner_id=owner)]


@router.get("/articles/{article_id}")
def get_article(article_id: int, session: SessionDep, actor: Reader) -> ArticleOut:
    return _article_out(session, access.access_article_by_id(session, actor, article_id))


@router.patch("/articles/{article_id}")
def patch_article(article_id: int, body: ArticlePatch, session: SessionDep, actor: Writer) -> ArticleOut:
    article = access.access_article_by_id(session, actor, article_id, for_update=True)
    if article.status == "published":
        _review_needed(actor, "changing a published article")
    changes = body.model_dump(exclude_unset=True)
    for required in ("title", "body", "language"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required}: must not be null", field=required)
    article = actions.do_update_article(session, article, changes, editor_id=actor.user_id)
    return _article_out(session, article)


@router.post("/articles/{article_id}/status")
def post_article_status(article_id: int, body: StatusIn, session: SessionDep, actor: Writer) -> ArticleOut:
    article = access.access_article_by_id(session, actor, article_id, for_update=True)
    if needs_review(article.status, body.status):
        _review_needed(actor, f"moving an article from {article.status} to {body.status}")
    article = actions.do_change_status(session, article, body.status, editor_id=actor.user_id)
    return _article_out(session, article)


class VersionOut(BaseModel):
    number: int
    title: str
    body: str
    language: str
    category_id: int | None
    tags: list[str]
    editor_id: int | None
    created_at: datetime


def _version_out(v: ArticleVersion) -> VersionOut:
    return VersionOut(
        number=v.number, title=v.title, body=v.body, language=v.language, category_id=v.category_id,
        tags=list(v.tags or []), editor_id=v.editor_id, created_at=v.created_at,
    )  # fmt: skip


@router.get("/articles/{article_id}/versions")
def get_versions(article_id: int, session: SessionDep, actor: Writer) -> list[VersionOut]:
    access.access_article_by_id(session, actor, article_id)
    return [_version_out(v) for v in access.article_versions(session, article_id)]


class DiffOut(BaseModel):
    article_id: int
    from_version: int
    to_version: int
    diff: str  # unified diff (difflib); plain text


@router.get("/articles/{article_id}/diff")
def get_diff(
    article_id: int,
    session: SessionDep,
    actor: Writer,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> DiffOut:
    access.access_article_by_id(session, actor, article_id)
    old = access.article_version(session, article_id, from_version, "from")
    new = access.article_version(session, article_id, to_version, "to")
    paths = actions.category_paths(session)

    def text(v: ArticleVersion) -> str:
        category = "/".join(paths.get(v.category_id, ())) if v.category_id is not None else None
        return version_text(v.title, v.body, v.language, category, v.tags or [])

    diff = unified_diff(text(old), text(new), f"v{from_version}", f"v{to_version}")
    return DiffOut(article_id=article_id, from_version=from_version, to_version=to_version, diff=diff)


@router.post("/articles/{article_id}/attachments", status_code=201)
def post_attachment(
    article_id: int, file: Annotated[UploadFile, File()], session: SessionDep, actor: Writer
) -> AttachmentOut:
    article = access.access_article_by_id(session, actor, article_id)
    data = file.file.read(actions.MAX_ATTACHMENT_BYTES + 1)
    attachment = actions.do_add_attachment(
        session, article, filename=file.filename, content_type=file.content_type or "", data=data,
        uploaded_by=actor.user_id,
    )  # fmt: skip
    return _attachment_out(attachment)


@router.get("/attachments/{public_id}")
def get_attachment(public_id: str, session: SessionDep, actor: Reader) -> Response:
    attachment = access.access_attachment(session, actor, public_id)
    return Response(
        attachment.data,
        media_type=served_type(attachment.content_type),
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


# ---- search, assist, import/export --------------------------------------------------------------------


class HitOut(BaseModel):
    id: int
    title: str
    language: str
    category_id: int | None
    snippet: str
    score: float


def _hit_out(hit: ArticleHit) -> HitOut:
    return HitOut(**hit.__dict__)


@router.get("/search")
def get_search(
    session: SessionDep,
    actor: Reader,
    q: Annotated[str, Query(max_length=1000)],
    language: str | None = None,
    category_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[HitOut]:
    """Published articles only, for agents and the bot alike."""
    return [_hit_out(h) for h in search_published(session, q, language, limit, category_id)]


class ScriptOut(BaseModel):
    id: int
    scenario: str
    title: str
    body: str
    language: str
    shortcut: str | None
    usage_count: int
    variables: list[str]
    updated_at: datetime


def _script_out(s: Script) -> ScriptOut:
    return ScriptOut(
        id=s.id, scenario=s.scenario, title=s.title, body=s.body, language=s.language, shortcut=s.shortcut,
        usage_count=s.usage_count, variables=variables_in(s.body), updated_at=s.updated_at,
    )  # fmt: skip


class AssistOut(BaseModel):
    text: str | None
    articles: list[HitOut]
    scripts: list[ScriptOut]


@router.get("/assist")
def get_assist(
    session: SessionDep,
    actor: Reader,
    conversation_id: int | None = None,
    text: Annotated[str | None, Query(max_length=1000)] = None,
    language: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> AssistOut:
    """Suggestions for the customer's latest message in a conversation (in the caller's reach), or for
    a given text."""
    if conversation_id is not None:
        variables = access.conversation_variables(session, actor, conversation_id)  # 404 outside reach
        text = latest_customer_message(session, conversation_id)
        language = language or variables["customer_language"]
    elif text is None:
        raise InvalidInput("conversation_id: give a conversation or a text", field="conversation_id")
    found = suggest_for_text(session, text or "", language, limit)
    return AssistOut(
        text=text,
        articles=[_hit_out(h) for h in found.articles],
        scripts=[_script_out(s) for s in found.scripts],
    )


class ImportOut(BaseModel):
    created: int
    updated: int


@router.post("/import", status_code=200)
def post_import(file: Annotated[UploadFile, File()], session: SessionDep, actor: Writer) -> ImportOut:
    """A CSV file (columns title, language, category, tags, status, review_by, body); the first bad row is
    refused with its line number and nothing is imported."""
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"file: larger than {MAX_IMPORT_BYTES} bytes", field="file")
    records = parse_csv(decode(data))
    if any(r.status in ("published", "archived") for r in records):
        _review_needed(actor, "importing published or archived articles")
    created, updated = actions.do_import_records(session, records, editor_id=actor.user_id)
    return ImportOut(created=created, updated=updated)


@router.get("/export.csv")
def get_export(
    session: SessionDep, actor: Writer, status: str | None = None, language: str | None = None
) -> Response:
    records = actions.export_records(session, access.all_articles(session, status=status, language=language))
    return Response(
        write_csv(records).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": "attachment; filename=kb-articles.csv",
            "X-Content-Type-Options": "nosniff",
        },
    )


# ---- scripts ------------------------------------------------------------------------------------------


class ScriptIn(BaseModel):
    scenario: str
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)
    language: str
    shortcut: str | None = Field(default=None, max_length=41)


class ScriptPatch(BaseModel):
    scenario: str | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=5000)
    language: str | None = None
    shortcut: str | None = Field(default=None, max_length=41)


@router.get("/scripts")
def get_scripts(
    session: SessionDep,
    actor: Reader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    language: str | None = None,
    scenario: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[ScriptOut]:
    """With `q`: the console's `/keyword` search (shortcut prefix, title, text); without: the library."""
    if q is not None:
        return [_script_out(s) for s in search_scripts(session, q, language, limit)]
    return [
        _script_out(s)
        for s in access.list_scripts(session, language=language, scenario=scenario, limit=limit)
    ]


@router.post("/scripts", status_code=201)
def post_script(body: ScriptIn, session: SessionDep, actor: Writer) -> ScriptOut:
    script = do_create_script(
        session, scenario=body.scenario, title=body.title, body=body.body, language=body.language,
        shortcut=body.shortcut, created_by=actor.user_id,
    )  # fmt: skip
    return _script_out(script)


@router.get("/scripts/{script_id}")
def get_script(script_id: int, session: SessionDep, actor: Reader) -> ScriptOut:
    return _script_out(script_by_id(session, script_id))


@router.patch("/scripts/{script_id}")
def patch_script(script_id: int, body: ScriptPatch, session: SessionDep, actor: Writer) -> ScriptOut:
    script = script_by_id(session, script_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for required in ("scenario", "title", "body", "language"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required}: must not be null", field=required)
    return _script_out(do_update_script(session, script, changes))


@router.delete("/scripts/{script_id}", status_code=204)
def delete_script(script_id: int, session: SessionDep, actor: Writer) -> Response:
    do_delete_script(session, script_by_id(session, script_id))
    return Response(status_code=204)


class RenderIn(BaseModel):
    conversation_id: int | None = None
    variables: dict[str, Annotated[str, Field(max_length=200)]] = Field(default_factory=dict, max_length=20)


class RenderOut(BaseModel):
    script_id: int
    text: str
    missing: list[str]  # variables still shown as {placeholder}


@router.post("/scripts/{script_id}/render")
def post_render(script_id: int, body: RenderIn, session: SessionDep, actor: Reader) -> RenderOut:
    """The script's text with the conversation's variables (customer_name, customer_tier, agent_name,
    conversation_id) and any given ones (e.g. order_id) filled in; given ones win."""
    script = script_by_id(session, script_id)
    values: dict[str, str] = {}
    if body.conversation_id is not None:
        values.update(access.conversation_variables(session, actor, body.conversation_id))
    values.update(body.variables)
    text = render_script(script.body, values)
    missing = [name for name in variables_in(script.body) if not str(values.get(name) or "").strip()]
    return RenderOut(script_id=script.id, text=text, missing=missing)


class UseOut(BaseModel):
    script_id: int
    usage_count: int


@router.post("/scripts/{script_id}/use")
def post_script_use(script_id: int, session: SessionDep, actor: Reader) -> UseOut:
    """Count one use (the agent inserted the script into a reply)."""
    return UseOut(script_id=script_id, usage_count=do_record_script_use(session, script_id, actor))
