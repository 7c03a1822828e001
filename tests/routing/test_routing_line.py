from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.routing.line import WaitingLine


def key(cid, enqueued_at, base=0.0):
    return (enqueued_at - base * 60.0, enqueued_at, cid)


def test_levels_hold_contacts_old_enough_for_each_step_in_service_order():
    line = WaitingLine((60.0, 180.0))
    for k in (key("young", 950.0), key("mid", 900.0, base=6), key("old", 700.0), key("older", 600.0)):
        line.add(k)
    assert [k[2] for k in line.at_step(0, 1000.0)] == ["mid", "older", "old", "young"]
    assert [k[2] for k in line.at_step(1, 1000.0)] == ["mid", "older", "old"]
    assert [k[2] for k in line.at_step(2, 1000.0)] == ["older", "old"]
    assert line.position(key("old", 700.0)) == 3
    line.remove(key("older", 600.0))
    assert [k[2] for k in line.at_step(2, 1000.0)] == ["old"]
    assert len(line) == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "remove", "read"]),
            st.integers(0, 30),
            st.integers(0, 2),
            st.integers(0, 40),
        ),
        max_size=60,
    )
)
def test_levels_always_match_a_brute_force_filter(ops):
    afters = (10.0, 25.0)
    line, present, now = WaitingLine(afters), {}, 0.0
    for op, n, step, dt in ops:
        now += dt
        cid = f"c{n}"
        if op == "add" and cid not in present:
            present[cid] = key(cid, now - n, base=n % 3)
            line.add(present[cid])
        elif op == "remove" and cid in present:
            line.remove(present.pop(cid))
        else:
            limit = now - afters[step - 1] if step else float("inf")
            expected = sorted(k for k in present.values() if k[1] <= limit)
            assert line.at_step(step, now) == expected
