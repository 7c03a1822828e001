import json
import logging

from kefu.core.logs import JsonFormatter, configure_logging


def test_json_log_lines_are_one_object_each(capsys):
    configure_logging("json", "INFO")
    try:
        logging.getLogger("kefu.test").info("ticket %s solved", 42, extra={"ticket_id": 42})
        line = capsys.readouterr().err.strip().splitlines()[-1]
        entry = json.loads(line)
        assert entry["message"] == "ticket 42 solved"
        assert entry["level"] == "info" and entry["logger"] == "kefu.test" and entry["ticket_id"] == 42
    finally:
        configure_logging("text", "WARNING")


def test_exceptions_are_kept_inside_the_json_object():
    try:
        raise ValueError("bad thing")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad thing" in entry["exception"]
