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


def tokenize(text: str) -> list[str]:
    """Terms of a text: jieba words for Chinese runs, stemmed words for Latin runs; the rest is dropped."""
    terms: list[str] = []
    for run in _RUN.findall(normalize(text)):
        if _CJK_RUN.match(run):
            terms.extend(word for word in jieba.lcut(run, HMM=True) if word.strip())
        else:
            terms.append(stem(run))
    return terms


def has_cjk(text: str) -> bool:
    """True if the text holds at least one Chinese character."""
    return _CJK_RUN.search(text) is not None
