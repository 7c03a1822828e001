import pytest

from kefu.bot.sentiment import score_sentiment


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("This is the worst, a scam", "negative"),
        ("thanks, very helpful", "positive"),
        ("where is my card", "neutral"),
        ("我要投诉，太差劲了", "negative"),
        ("谢谢，服务不错", "positive"),
        ("不满意", "negative"),
        ("👍", "positive"),
        ("", "neutral"),
    ],
)
def test_labels(text, label):
    assert score_sentiment(text).label == label


def test_negation_flips_and_softens():
    assert score_sentiment("not good").score < 0 < score_sentiment("good").score
    assert score_sentiment("not terrible").score > 0
    assert score_sentiment("不满意").score < 0 < score_sentiment("满意").score


def test_intensifiers_and_exclamations_strengthen():
    assert score_sentiment("very bad").score < score_sentiment("bad").score
    assert score_sentiment("BAD").score < score_sentiment("bad").score
    assert score_sentiment("bad!!!").score < score_sentiment("bad").score
    assert score_sentiment("非常生气").score < score_sentiment("生气").score


def test_score_is_bounded():
    score = score_sentiment("worst scam fraud terrible awful " * 50).score
    assert -1.0 <= score < -0.99
