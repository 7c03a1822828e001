import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.bot.intents_csv import IntentCsvError, IntentExample, parse_intent_csv


def test_reads_text_and_intent_columns_in_any_order():
    data = b"intent,text\nrefund,I want my money back\nrefund,\xe9\x80\x80\xe6\xac\xbe\n"
    assert parse_intent_csv(data) == [
        IntentExample("I want my money back", "refund"),
        IntentExample("退款", "refund"),
    ]


def test_category_is_a_synonym_and_bom_is_stripped():
    data = "\ufefftext,category\ncard lost,lost_card\n".encode()
    assert parse_intent_csv(data) == [IntentExample("card lost", "lost_card")]


def test_gb18030_is_accepted():
    data = "text,intent\n我的快递到哪了,物流查询\n".encode("gb18030")
    assert parse_intent_csv(data) == [IntentExample("我的快递到哪了", "物流查询")]


def test_blank_lines_skipped_and_quoted_commas_kept():
    data = b'text,intent\n\n"hello, there",greeting\n'
    assert parse_intent_csv(data) == [IntentExample("hello, there", "greeting")]


@pytest.mark.parametrize(
    ("data", "line", "fragment"),
    [
        (b"text,label\nhi,greet\n", 1, "'intent'"),
        (b"utterance,intent\nhi,greet\n", 1, "'text'"),
        (b"", 1, "empty"),
        (b"text,intent\n", 2, "no example rows"),
        (b"text,intent\nhi,greet\nbye\n", 3, "columns"),
        (b"text,intent\nhi,greet\n,greet\n", 3, "empty 'text'"),
        (b"text,intent\nhi,greet\nhello, \n", 3, "empty 'intent'"),
        (b"text,intent\nhi,greet\nok,\xff\xff\n", 3, "neither UTF-8 nor GB18030"),
        (b"text,intent\nhi\x00,greet\n", 2, "NUL"),
    ],
)
def test_bad_files_rejected_with_line_and_reason(data, line, fragment):
    with pytest.raises(IntentCsvError) as caught:
        parse_intent_csv(data)
    assert caught.value.line == line
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"line {line}:")


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_cell, _cell), min_size=1, max_size=8),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_written_csv_reads_back(rows, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "intent"])
    writer.writerows(rows)
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return  # a character GB18030 cannot hold is not a GB18030 file
    parsed = parse_intent_csv(data)
    assert parsed == [IntentExample(text.strip(), intent.strip()) for text, intent in rows]
