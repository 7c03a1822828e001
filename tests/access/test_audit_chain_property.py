"""Property: any change to any hashed field of any entry, or dropping any entry but the last, is detected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.access.audit import GENESIS, check_entries, entry_content, entry_hash
from kefu.access.models import AuditEntry

T0 = datetime(2026, 3, 2, tzinfo=UTC)
FIELDS = ("at", "actor_id", "action", "object_type", "object_id", "address", "details")

details = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=3
)
entry_data = st.tuples(
    st.one_of(st.none(), st.integers(1, 10**6)),
    st.sampled_from(["sign_in.success", "sign_in.failure", "customer.unmask", "permission.approve"]),
    st.one_of(st.none(), st.text(max_size=10)),
    details,
)


def chain(data) -> list[AuditEntry]:
    entries, prev = [], GENESIS
    for i, (actor_id, action, object_id, extra) in enumerate(data):
        entry = AuditEntry(
            id=i + 1,
            at=T0 + timedelta(seconds=i),
            actor_id=actor_id,
            action=action,
            object_type="thing",
            object_id=object_id,
            address="10.0.0.1",
            details=extra,
            prev_hash=prev,
        )
        entry.hash = prev = entry_hash(prev, entry_content(entry))
        entries.append(entry)
    return entries


def changed(value):
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, dict):
        return {**value, "tampered": True}
    if isinstance(value, int):
        return value + 1
    return (value or "") + "x"


@settings(max_examples=150, deadline=None)
@given(st.lists(entry_data, min_size=1, max_size=8), st.data())
def test_any_single_edit_is_found_at_the_edited_entry(data, draw):
    entries = chain(data)
    assert check_entries(entries).intact
    victim = draw.draw(st.integers(0, len(entries) - 1))
    field = draw.draw(st.sampled_from(FIELDS))
    setattr(entries[victim], field, changed(getattr(entries[victim], field)))
    assert check_entries(entries).first_bad_id == entries[victim].id


@settings(max_examples=100, deadline=None)
@given(st.lists(entry_data, min_size=2, max_size=8), st.data())
def test_dropping_an_entry_is_found_at_its_successor(data, draw):
    entries = chain(data)
    victim = draw.draw(st.integers(0, len(entries) - 2))
    successor = entries[victim + 1]
    del entries[victim]
    assert check_entries(entries).first_bad_id == successor.id
