"""A small bilingual lexicon sentiment scorer (pure), enough to spot an angry customer for a handoff.

Deliberately simple and explainable: weighted words and emoji, negation ("not good", 不满意) flips a
word, intensifiers (very, 非常, "!!!", CAPITALS) strengthen it, and the sum is squashed into -1..1.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kefu.knowledge.text import normalize, stem

_ENGLISH = {
    "terrible": -2.0, "awful": -2.0, "worst": -2.5, "horrible": -2.0, "scam": -2.5, "fraud": -2.5,
    "useless": -2.0, "ridiculous": -1.5, "disgust": -2.0, "furious": -2.5, "angry": -2.0, "hate": -2.0,
    "pathetic": -2.0, "unacceptable": -2.0, "incompetent": -2.0, "rubbish": -2.0, "stupid": -1.5,
    "complain": -1.0, "complaint": -1.0, "disappoint": -1.5, "bad": -1.0, "annoy": -1.5, "upset": -1.5,
    "wrong": -0.5, "slow": -0.5, "problem": -0.3, "sue": -2.0, "lawyer": -1.5,
    "thank": 1.5, "thanks": 1.5, "great": 1.5, "good": 1.0, "excellent": 2.0, "love": 1.5, "happy": 1.5,
    "perfect": 2.0, "helpful": 1.5, "awesome": 2.0, "nice": 1.0,
}  # fmt: skip
_CHINESE = {
    "垃圾": -2.5, "骗子": -2.5, "骗人": -2.5, "投诉": -1.5, "生气": -2.0, "愤怒": -2.5, "气死": -2.5,
    "太差": -2.0, "差劲": -2.0, "恶心": -2.0, "无语": -1.5, "失望": -1.5, "不满意": -2.0, "坑人": -2.0,
    "烂": -1.5, "欺骗": -2.5, "报警": -2.0, "曝光": -2.0, "差评": -2.0, "退钱": -1.0, "什么破": -2.0,
    "谢谢": 1.5, "感谢": 1.5, "满意": 1.5, "不错": 1.0, "很好": 1.5, "太好了": 2.0, "棒": 1.5, "好评": 2.0,
    "😡": -2.5, "🤬": -3.0, "👎": -1.5, "😠": -2.0, "😤": -1.5, "💩": -1.5,
    "👍": 1.5, "😊": 1.0, "🙏": 1.0, "❤": 1.5,
}  # fmt: skip
_ENGLISH_NEGATIONS = {"not", "no", "never", "dont", "didnt", "doesnt", "isnt", "wasnt", "cant", "wont"}
_ENGLISH_INTENSIFIERS = {"very", "so", "really", "extremely", "totally", "absolutely"}
_CHINESE_NEGATIONS = ("不", "没", "没有", "别")
_CHINESE_INTENSIFIERS = ("非常", "太", "很", "特别", "真")
_WORD = re.compile(r"[A-Za-z']+")
_STEMMED = {stem(word): weight for word, weight in _ENGLISH.items()}
# Longest first, so 不满意 is read as one entry rather than as 满意 negated a second time.
_CHINESE_ENTRIES = sorted(_CHINESE, key=len, reverse=True)


@dataclass(frozen=True)
class Sentiment:
    score: float  # -1 (furious) .. 1 (delighted)
    label: str  # "negative", "neutral" or "positive"


def score_sentiment(text: str) -> Sentiment:
    """Sentiment of one customer message; text without any lexicon word is neutral (0)."""
    total = _english_total(text) + _chinese_total(normalize(text))
    exclamations = min(text.count("!") + text.count("！"), 3)
    total *= 1.0 + 0.2 * exclamations
    score = math.tanh(total / 3.0)
    label = "negative" if score <= -0.2 else "positive" if score >= 0.2 else "neutral"
    return Sentiment(round(score, 4), label)


def _english_total(text: str) -> float:
    words = _WORD.findall(text)
    total = 0.0
    for i, word in enumerate(words):
        weight = _STEMMED.get(stem(normalize(word)))
        if weight is None:
            continue
        before = {normalize(w) for w in words[max(0, i - 3) : i]}
        if before & _ENGLISH_NEGATIONS:
            weight = -0.5 * weight  # "not good" is mildly bad, "not terrible" is mildly good
        if before & _ENGLISH_INTENSIFIERS or (word.isupper() and len(word) > 1):
            weight *= 1.5
        total += weight
    return total


def _chinese_total(text: str) -> float:
    total = 0.0
    remaining = text
    for entry in _CHINESE_ENTRIES:
        while (position := remaining.find(entry)) >= 0:
            before = remaining[max(0, position - 2) : position]
            weight = _CHINESE[entry]
            if any(before.endswith(n) for n in _CHINESE_NEGATIONS):
                weight = -0.5 * weight
            if any(before.endswith(i) for i in _CHINESE_INTENSIFIERS):
                weight *= 1.5
            total += weight
            # Blank the match out so shorter entries inside it are not counted again.
            remaining = remaining[:position] + " " * len(entry) + remaining[position + len(entry) :]
    return total
