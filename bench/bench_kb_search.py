"""Knowledge-base search over generated bilingual articles: the pure ranking, and search through the
database as the centre runs it (load_index + search), with the cost of a full build from the stored rows
and of catching up after one publish, side by side in one run."""

from __future__ import annotations

import logging
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.report import Row
from kefu.bot.evaluation import percentile
from kefu.core import migrate
from kefu.core.db import make_engine, make_session_factory
from kefu.knowledge import index as kb_index
from kefu.knowledge.actions import do_change_status, do_create_article, do_update_article
from kefu.knowledge.models import Article, ArticleSearchDoc, KnowledgeIndexState
from kefu.knowledge.search import SearchConfig, SearchDoc, SearchIndex, StoredDoc, stored_doc

EN_WORDS = (
    "account refund card payment order delivery parcel address invoice password login app transfer balance "
    "fee charge cancel return exchange warranty repair phone laptop shipping tracking courier store coupon "
    "discount member points subscription plan upgrade contract bill receipt tax bank wallet verify identity "
    "email message notification setting privacy security fraud dispute complaint service hours holiday price"
).split()
ZH_WORDS = (
    "退款 订单 物流 快递 地址 发票 密码 登录 转账 余额 手续费 取消 退货 换货 保修 维修 手机 电脑 优惠券 折扣 "
    "会员 积分 订阅 套餐 升级 合同 账单 收据 银行 钱包 验证 身份 短信 通知 设置 隐私 安全 诈骗 投诉 服务 "
    "营业 时间 节假日 价格 客服 申请 查询 修改 支付 信用卡 配送 门店 活动 售后"
).split()
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
HANZI = [chr(code) for code in range(0x4E00, 0x4E00 + 2000)]  # the most-used block of CJK ideographs
CATEGORIES = [f"cat-{i:02d}" for i in range(20)]


def _vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    """Real domain words first (the frequent head), then generated words for a long Zipf tail."""
    english = list(EN_WORDS) + sorted(
        {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(6000)}
    )
    chinese = list(ZH_WORDS) + sorted({"".join(rng.choices(HANZI, k=2)) for _ in range(6000)})
    return english, chinese


def _zipf_weights(size: int) -> list[float]:
    return [1.0 / (rank + 1) for rank in range(size)]


def _articles(count: int, rng: random.Random) -> list[SearchDoc]:
    english, chinese = _vocabulary(rng)
    weights = {"en": _zipf_weights(len(english)), "zh": _zipf_weights(len(chinese))}
    words = {"en": english, "zh": chinese}
    docs = []
    for i in range(count):
        language = "zh" if i % 2 else "en"
        joiner = "" if language == "zh" else " "
        title = joiner.join(rng.choices(words[language], weights[language], k=rng.randint(3, 7)))
        body = joiner.join(rng.choices(words[language], weights[language], k=rng.randint(60, 180)))
        docs.append(SearchDoc(f"kb-{i}", title, body, language, CATEGORIES[i % len(CATEGORIES)]))
    return docs


def _queries(count: int, rng: random.Random) -> list[dict]:
    english, chinese = _vocabulary(random.Random(0))
    queries = []
    for i in range(count):
        language = "zh" if i % 2 else "en"
        pool = chinese if language == "zh" else english
        terms = rng.choices(pool[:400], _zipf_weights(400), k=rng.randint(1, 4))
        if language == "en" and i % 10 == 0:
            word = terms[0]
            position = rng.randrange(len(word))
            terms[0] = word[:position] + word[position + 1 :]  # a deletion typo
        query = {"query": ("" if language == "zh" else " ").join(terms)}
        if i % 5 == 0:
            query["language"] = language
        if i % 7 == 0:
            query["categories"] = rng.sample(CATEGORIES, 3)
        queries.append(query)
    return queries


def _timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def _fill(engine, articles: list[SearchDoc], stored: list[StoredDoc]) -> None:
    """The articles as published rows with their search rows, written in bulk (as an import leaves them)."""
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Article),
            [
                {
                    "id": i, "title": doc.title, "body": doc.body, "language": doc.language,
                    "status": "published", "category_id": None, "tags": [], "owner_id": None,
                    "review_by": None, "version": 1, "created_at": now, "updated_at": now,
                }
                for i, doc in enumerate(articles, 1)
            ],
        )  # fmt: skip
        connection.execute(
            insert(ArticleSearchDoc),
            [
                {"article_id": i, **kb_index.stored_values(doc), "generation": 1, "removed": False}
                for i, doc in enumerate(stored, 1)
            ],
        )
        connection.execute(insert(KnowledgeIndexState), [{"id": 1, "generation": 1, "token": "bench"}])


def _one_change(sessions, rng: random.Random, step: int, count: int) -> None:
    """A publish, an edit of a published article or an unpublish, in turn: what a knowledge owner does."""
    with sessions() as session, session.begin():
        if step % 3 == 0:
            words = _articles(1, rng)[0]
            do_create_article(
                session, title=words.title, body=words.body, language=words.language, editor_id=None,
                status="published",
            )  # fmt: skip
            return
        article = session.get(Article, rng.randint(1, count))
        if article.status != "published":
            do_change_status(session, article, "draft", editor_id=None)
        elif step % 3 == 1:
            do_update_article(session, article, {"body": article.body + " refund"}, editor_id=None)
        else:
            do_change_status(session, article, "archived", editor_id=None)


def _database(articles, stored, queries, config, quick: bool, pure_p95: float) -> list[Row]:
    logging.getLogger("kefu.core.events").setLevel(logging.ERROR)  # no event bus here: drops are expected
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'kb.db'}")
        migrate.upgrade(engine)
        _fill(engine, articles, stored)
        sessions = make_session_factory(engine)
        builds = []
        for _ in range(3):
            with sessions() as session:
                seconds, index = _timed(kb_index._build, session)
                builds.append(seconds)
        with sessions() as session:
            kb_index.load_index(session)  # the process's first search: a full build, not measured here
        timings = []
        for query in queries:
            started = time.perf_counter()
            with sessions() as session:
                kb_index.load_index(session).search(config=config, **query)
            timings.append((time.perf_counter() - started) * 1000)
        reloads, catch_up = [], []
        rng = random.Random(1)
        for step in range(10 if quick else 30):
            _one_change(sessions, rng, step, len(articles))
            with sessions() as session:
                seconds, _ = _timed(kb_index.load_index, session)
                reloads.append(seconds)
        batch = min(kb_index.MAX_CATCH_UP, max(20, len(articles) // 50))  # the most a catch-up takes on
        for step in range(batch):
            _one_change(sessions, rng, step, len(articles))
        with sessions() as session:
            seconds, index = _timed(kb_index.load_index, session)
            catch_up.append(seconds)
            # What catching up produced ranks like a full build of the same rows.
            rebuilt = kb_index._build(session)
            sample = queries[:50]
            identical = all(
                index.search(config=config, **q) == rebuilt.search(config=config, **q) for q in sample
            )
        engine.dispose()
    full = statistics.median(builds)
    size = f"{len(articles):,} articles in SQLite"
    return [
        Row(
            "search through the database p50",
            percentile(timings, 0.5),
            "ms",
            notes=f"{size}; a session per query: the generation read + load_index + search",
        ),
        Row(
            "search through the database p95",
            percentile(timings, 0.95),
            "ms",
            reference="pure ranking p95",
            ratio=percentile(timings, 0.95) / pure_p95,
            target="< 20 ms",
        ),
        Row("full build from rows", full, "s", notes=f"median of 3; {size}: read every row + from_stored"),
        Row(
            "reload after one publish p50",
            statistics.median(reloads),
            "s",
            reference="full build from rows",
            ratio=statistics.median(reloads) / full,
            notes=f"{len(reloads)} changes in turn: publish, edit, unpublish; the next load_index",
        ),
        Row(
            "reload after one publish max",
            max(reloads),
            "s",
            reference="full build from rows",
            ratio=max(reloads) / full,
        ),
        Row(
            f"reload after {batch} changes",
            catch_up[0],
            "s",
            reference="full build from rows",
            ratio=catch_up[0] / full,
            notes="the largest catch-up before a full build; ranks identical to a full build of the same "
            f"rows: "
            f"{'yes' if identical else 'NO'}",
        ),
    ]


def run(quick: bool) -> list[Row]:
    rng = random.Random(0)
    articles = _articles(1000 if quick else 10_000, rng)
    tokenise_seconds, stored = _timed(lambda: [stored_doc(doc) for doc in articles])
    arrays_seconds, index = _timed(SearchIndex.from_stored, stored)
    config = SearchConfig(synonyms={"退钱": ["退款"], "money back": ["refund"]})
    queries = _queries(100 if quick else 2000, rng)
    timings, empty = [], 0
    for query in queries:
        started = time.perf_counter()
        hits = index.search(config=config, **query)
        timings.append((time.perf_counter() - started) * 1000)
        empty += not hits
    started = time.perf_counter()
    blob = index.to_json()
    SearchIndex.from_json(blob)
    json_seconds = time.perf_counter() - started
    size = f"{len(articles):,} generated articles (half zh, half en, 60–180 words each)"
    database = _database(articles, stored, queries, config, quick, percentile(timings, 0.95))
    mix = "1–4 Zipf-drawn terms; 10% of English ones with a typo, 20% language-, 14% category-filtered"
    return [
        Row("query p50", percentile(timings, 0.5), "ms", notes=f"{len(queries)} queries: {mix}"),
        Row(
            "query p95",
            percentile(timings, 0.95),
            "ms",
            target="< 20 ms",
            notes=f"{size}; load average {os.getloadavg()[0]:.1f} on 2 cores",
        ),
        Row("query max", max(timings), "ms"),
        Row(
            "index build",
            tokenise_seconds + arrays_seconds,
            "s",
            notes="tokenise (jieba for zh) + postings arrays",
        ),
        Row("  of which postings arrays", arrays_seconds, "s", notes="SearchIndex.from_stored"),
        Row("JSON round trip", json_seconds, "s", notes=f"{len(blob) / 1e6:.1f} MB blob, serialise + load"),
        Row("queries with no hit", 100 * empty / len(queries), "%"),
        *database,
    ]
