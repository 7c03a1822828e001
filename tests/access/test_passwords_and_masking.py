"""Pure rules: the password policy, masking, session cookies and the matrix's token semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.access.actor import Actor
from kefu.access.masking import mask_email, mask_identity, mask_phone
from kefu.access.passwords import HASHER, WeakPassword, check_password_policy, common_passwords
from kefu.access.permissions import Permission, allows, parse_scopes
from kefu.access.sessions import MAX_AGE, decode_session, encode_session, new_session

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_argon2id_meets_owasp_minimums():
    assert HASHER.type.name == "ID"
    assert HASHER.memory_cost >= 19 * 1024 and HASHER.time_cost >= 2


@pytest.mark.parametrize("password", ["short", "1234567", ""])
def test_short_passwords_are_refused(password):
    with pytest.raises(WeakPassword, match="at least 8"):
        check_password_policy(password)


@pytest.mark.parametrize("password", ["password", "Password123", "QWERTYUIOP", "iloveyou", "woaini1314"])
def test_common_passwords_are_refused_at_any_case(password):
    with pytest.raises(WeakPassword, match="too common"):
        check_password_policy(password)


def test_long_passphrases_are_welcome_and_the_user_name_is_not():
    check_password_policy("correct horse battery staple on a rainy tuesday")
    check_password_policy("客服中心的夜班很安静")  # any script counts
    with pytest.raises(WeakPassword, match="user name"):
        check_password_policy("wangfang-2026!", username="wangfang")
    with pytest.raises(WeakPassword, match="at most"):
        check_password_policy("x" * 257)


def test_the_common_list_is_long_enough_to_matter():
    assert len(common_passwords()) >= 150
    assert all(len(p) >= 8 for p in common_passwords())


@given(st.integers(min_value=13_000_000_000, max_value=19_999_999_999))
def test_a_masked_mobile_keeps_only_prefix_and_last_four(number):
    digits = str(number)
    assert mask_phone(digits) == f"{digits[:3]}****{digits[-4:]}"
    assert mask_phone(f"+86{digits}") == f"+86 {digits[:3]}****{digits[-4:]}"


def test_odd_phone_values_still_mask():
    assert mask_phone("not a number") == "****er"
    assert "12345" not in mask_phone("12345")
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email("@example.com") == mask_email("nonsense") == "****"
    assert mask_identity("visitor", "v-123") == "v-123"


def test_session_cookies_round_trip_and_reject_tampering():
    data = new_session(7, 3, NOW)
    raw = encode_session("key", data)
    assert decode_session("key", raw) == data
    assert decode_session("another key", raw) is None
    # The last base64 character carries padding bits, so tamper with one that is all signature.
    flipped = "A" if raw[-2] != "A" else "B"
    assert decode_session("key", raw[:-2] + flipped + raw[-1]) is None
    assert decode_session("key", ("X" if raw[0] != "X" else "Y") + raw[1:]) is None
    assert decode_session("key", "garbage") is None
    assert not data.expired(NOW + MAX_AGE) and data.expired(NOW + MAX_AGE + timedelta(seconds=1))


def test_tokens_need_both_the_role_and_the_scope():
    agent_token = Actor(1, "agent", 1, frozenset({"customers:read", "tokens:manage"}))
    assert allows(agent_token, Permission.customers_read)
    assert not allows(agent_token, Permission.tickets_read)  # role yes, scope no
    assert not allows(agent_token, Permission.tokens_manage)  # scope yes, role no
    assert not allows(Actor(1, "retired_role", None), Permission.customers_read)


def test_scopes_are_validated():
    assert parse_scopes(["tickets:write", "reports:read", "tickets:write"]) == [
        "reports:read",
        "tickets:write",
    ]
    with pytest.raises(ValueError, match="scopes: unknown tickets:fly"):
        parse_scopes(["tickets:fly"])
    with pytest.raises(ValueError, match="at least one"):
        parse_scopes([])
