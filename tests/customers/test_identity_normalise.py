"""Identity normalisation: the same handle typed differently must land on the same string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.customers.identity import InvalidIdentity, normalise_identity, normalise_phone
from kefu.customers.tiers import IdentityKind


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Li.Lei@Example.COM ", "li.lei@example.com"),
        ("wang@bücher.de", "wang@xn--bcher-kva.de"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_identity("email", raw).value == expected


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@nodot", "two words@x.cn", "a@b.cn\r\nBcc: x@y.cn"])
def test_bad_email_names_the_field(raw: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        normalise_identity("email", raw)
    assert caught.value.field == "email"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "raw", ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000", "+8613800138000"]
)
def test_chinese_mobile_numbers_reach_one_e164_form(raw: str) -> None:
    assert normalise_identity("phone", raw).value == "+8613800138000"


def test_foreign_number_keeps_its_country() -> None:
    assert normalise_phone("+1 (650) 253-0000") == "+16502530000"


@pytest.mark.parametrize("raw", ["12", "not a phone", "+86 1380013800099999"])
def test_bad_phone_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        normalise_identity("phone", raw)
    assert caught.value.field == "phone"


def test_visitor_ids_are_checked_not_changed() -> None:
    assert normalise_identity("visitor", " abcDEF_123-x ").value == "abcDEF_123-x"
    with pytest.raises(InvalidIdentity):
        normalise_identity("visitor", "<script>")


def test_external_ids_are_kept_apart_by_namespace() -> None:
    wechat = normalise_identity("external", "oUpF8uMuAJO", namespace=" WeChat ")
    app = normalise_identity("external", "oUpF8uMuAJO", namespace="app")
    assert (wechat.kind, wechat.namespace, wechat.value) == (IdentityKind.external, "wechat", "oUpF8uMuAJO")
    assert wechat != app
    with pytest.raises(InvalidIdentity) as caught:
        normalise_identity("external", "x", namespace="")
    assert caught.value.field == "namespace"


def test_unknown_kind_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidIdentity, match="email, phone, visitor, external"):
        normalise_identity("fax", "123")


@given(st.emails())
def test_email_normalisation_is_idempotent(address: str) -> None:
    once = normalise_identity("email", address).value
    assert normalise_identity("email", once.upper()).value == once


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_cn_mobile_format_agrees(digits: str) -> None:
    spaced = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    assert normalise_phone(spaced) == normalise_phone("+86" + digits) == "+86" + digits
