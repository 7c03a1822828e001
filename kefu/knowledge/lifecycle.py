"""Article status rules and version diffs (pure).

draft → in_review → published → archived, with the ways back an editor needs: a reviewer sends an article
back to draft, a published one can be withdrawn to draft, an archived one reopened as a draft. Moving to
published or archived, or out of published, is a reviewer's decision (knowledge:review).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from kefu.core.errors import Conflict, InvalidInput

LANGUAGES = ("zh", "en")


class ArticleStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    published = "published"
    archived = "archived"


S = ArticleStatus
TRANSITIONS: dict[ArticleStatus, tuple[ArticleStatus, ...]] = {
    S.draft: (S.in_review, S.archived),
    S.in_review: (S.published, S.draft),
    S.published: (S.archived, S.draft),
    S.archived: (S.draft,),
}


class InvalidTransition(Conflict):
    code = "invalid_transition"


def parse_status(value: str, field: str = "status") -> ArticleStatus:
    try:
        return ArticleStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ArticleStatus)
        raise InvalidInput(f"{field}: {value!r} is not one of {allowed}", field=field) from None


def check_transition(current: str, target: str) -> ArticleStatus:
    """The target status, or a 409 naming the statuses this article may move to."""
    new = parse_status(target)
    allowed = TRANSITIONS[ArticleStatus(current)]
    if new not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise InvalidTransition(
            f"status: an article in {current} cannot move to {new.value}; allowed: {names}", field="status"
        )
    return new


def needs_review(current: str, target: str) -> bool:
    """Publishing, archiving and withdrawing a published article need knowledge:review."""
    return target in (S.published, S.archived) or current == S.published


def parse_language(value: str, field: str = "language") -> str:
    """ "zh" or "en"; locale spellings (zh_CN, zh-Hans, en_US) are folded to those two."""
    folded = (value or "").strip().lower().replace("-", "_")
    short = folded.split("_", 1)[0]
    if short not in LANGUAGES:
        raise InvalidInput(f"{field}: {value!r} is not one of {', '.join(LANGUAGES)}", field=field)
    return short


def clean_tags(tags: Sequence[str], field: str = "tags") -> list[str]:
    """Trimmed, de-duplicated tags in their first order; each at most 40 characters."""
    result: list[str] = []
    for tag in tags:
        tag = str(tag).strip()
        if len(tag) > 40:
            raise InvalidInput(f"{field}: tag {tag[:20]!r}… is longer than 40 characters", field=field)
        if tag and tag not in result:
            result.append(tag)
    return result


def is_stale(review_by: date | None, today: date) -> bool:
    """An article is stale once its review-by date has passed."""
    return review_by is not None and review_by < today


def version_text(title: str, body: str, language: str, category: str | None, tags: Sequence[str]) -> str:
    """What a version diff compares: a small header of its fields, then the Markdown body."""
    header = [f"title: {title}", f"language: {language}", f"category: {category or ''}"]
    header.append(f"tags: {', '.join(tags)}")
    return "\n".join(header) + "\n\n" + body.rstrip("\n") + "\n"


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(lines)
