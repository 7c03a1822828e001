"""Bilingual tokenisation shared by the knowledge search index and the bot's intent classifier.

Pure. Chinese runs are segmented with jieba (words, not characters, so that 退款 and 退货 stay apart);
Latin runs are lower-cased, NFKC-folded (full-width Ｒｅｆｕｎｄ → refund) and lightly stemmed, so
that "refunds", "refunded" and "refunding" meet at one term without a full Porter stemmer's surprises.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Protocol

import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)  # jieba announces its dictionary load on every first use

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_CJK_RUN = re.compile(rf"[{_CJK}]")
# Longest suffix first; each keeps a stem of at least three letters so "bus" or "sing" survive.
_SUFFIXES = (("ational", "ate"), ("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", ""))


class Embedder(Protocol):
    """What a sentence-embedding model must offer: unit-length rows, one per text."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def normalize(text: str) -> str:
    """NFKC-fold, lower-case and drop apostrophes, so "Don't" and "dont" are one word."""
    return unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("\u2019", "")


def stem(word: str) -> str:
    """Strip one common English inflection; words that are not plain ASCII letters are left alone."""
    if not word.isascii() or not word.isalpha():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            base = word[: -len(suffix)] + replacement
            # "running" → "runn" → "run", but "called" → "call" keeps its double l.
            if suffix in ("ing", "ed") and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    return word


# Function words that match almost every article; search drops them (BM25's idf only damps them, and
# in a small knowledge base they still outrank nothing-at-all). The classifier keeps them: "how" and
# "can" carry intent. Stored stemmed, as `tokenize` returns them.
_STOPWORD_TEXT = (
    "a an the and or but of to in on at for with from by is are was were be been am do does did i me my "
    "we our you your it its this that these those there here what which who whom how when where why can "
    "could would should will shall may might must have has had not no so if then than too very just about "
    "into 的 了 是 我 你 他 她 它 们 吗 呢 啊 吧 在 和 与 及 或 也 就 都 而 着 把 被 让 给 请 请问 一下 "
    "怎么 如何 什么 哪 哪里 为什么 可以 能 要 想 有 没有 这 那 这个 那个"
)
STOPWORDS = frozenset(stem(word) for word in _STOPWORD_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Terms of a text: jieba words for Chinese runs, stemmed words for Latin runs; the rest is dropped."""
    terms: list[str] = []
    for run in _RUN.findall(normalize(text)):
        if _CJK_RUN.match(run):
            terms.extend(word for word in jieba.lcut(run, HMM=True) if word.strip())
        else:
            terms.append(stem(run))
    return terms
