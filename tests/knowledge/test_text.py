import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.knowledge.text import normalize, stem, tokenize


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("refunds", "refund"),
        ("refunded", "refund"),
        ("refunding", "refund"),
        ("running", "run"),
        ("called", "call"),
        ("policies", "policy"),
        ("class", "class"),
        ("bus", "bus"),
        ("sing", "sing"),
        ("退款", "退款"),
        ("4g", "4g"),
    ],
)
def test_light_stemmer(word, expected):
    assert stem(word) == expected


def test_normalize_folds_full_width_case_and_apostrophes():
    assert normalize("ＲＥＦＵＮＤ Don't") == "refund dont"


def test_tokenize_mixed_language_text():
    terms = tokenize("我想申请退款 for my ORDERS, 订单号 A123!")
    assert "退款" in terms and "申请" in terms
    assert "order" in terms and "a123" in terms
    assert "," not in terms and "!" not in terms


def test_tokenize_drops_emoji_and_punctuation():
    assert tokenize("😀😀 ... ！！") == []
    assert tokenize("") == []


@given(st.text(max_size=200))
def test_tokenize_never_fails_and_yields_clean_terms(text):
    for term in tokenize(text):
        assert term and term == term.strip()
