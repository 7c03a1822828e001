"""Waiting web chat visitors hear their place in line and estimated wait, again whenever it moves."""

from kefu.wiring import connect_domains


def _frames_until_queue(ws):
    while True:
        frame = ws.receive_json()
        if frame["type"] == "queue":
            return frame


def test_visitors_hear_their_place_in_line(client, centre):
    connect_domains()
    centre.queue(code="chat", min_level=5)  # nobody qualifies yet: contacts wait
    with client.websocket_connect("/ws/webchat?visitor=visitor-one") as first:
        first.send_json({"type": "message", "client_id": "a", "body": "你好"})
        assert _frames_until_queue(first) == {"type": "queue", "position": 1, "ewt_seconds": None}
        with client.websocket_connect("/ws/webchat?visitor=visitor-two") as second:
            second.send_json({"type": "message", "client_id": "b", "body": "hello"})
            assert _frames_until_queue(second)["position"] == 2
            assert _frames_until_queue(first)["position"] == 1  # told again when the line changed
