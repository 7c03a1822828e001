"""Knowledge-base search over generated bilingual articles: index build time and query latency."""

from __future__ import annotations

import os
import random
import time

from bench.report import Row
from kefu.bot.evaluation import percentile
from kefu.knowledge.search import SearchConfig, SearchDoc, SearchIndex

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


def run(quick: bool) -> list[Row]:
    rng = random.Random(0)
    articles = _articles(1000 if quick else 10_000, rng)
    started = time.perf_counter()
    index = SearchIndex.build(articles)
    build_seconds = time.perf_counter() - started
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
        Row("index build", build_seconds, "s", notes="tokenise (jieba for zh) + postings arrays"),
        Row("JSON round trip", json_seconds, "s", notes=f"{len(blob) / 1e6:.1f} MB blob, serialise + load"),
        Row("queries with no hit", 100 * empty / len(queries), "%"),
    ]
