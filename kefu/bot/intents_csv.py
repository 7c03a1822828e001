"""Parse the centre's intent CSV files (header with `text` and `intent`; `category` means `intent`).

Pure: takes the file's bytes, so the same code serves the CLI, an upload form and the tests.
Exports from Excel in China arrive as GB18030 and from elsewhere as UTF-8 with or without a BOM,
so both are accepted; anything else is rejected with the line where decoding broke down.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

INTENT_COLUMNS = ("intent", "category")


class IntentCsvError(ValueError):
    """An intent CSV that cannot be used; `line` is 1-based, as a spreadsheet shows it."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class IntentExample:
    text: str
    intent: str


def decode_csv_bytes(data: bytes) -> str:
    """Decode as UTF-8 (BOM stripped), falling back to GB18030; raise naming the offending line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as gb_error:
            # The encoding that decoded further is the likelier intent of the author: report its failure.
            worst = max(utf8_error, gb_error, key=lambda e: e.start)
            line = data[: worst.start].count(b"\n") + 1
            byte = data[worst.start]
            raise IntentCsvError(line, f"byte 0x{byte:02x} is neither UTF-8 nor GB18030") from None


def _intent_column_index(header: list[str]) -> tuple[int, int]:
    names = [name.strip().lower() for name in header]
    if "text" not in names:
        raise IntentCsvError(1, "missing column 'text' in the header")
    for column in INTENT_COLUMNS:
        if column in names:
            return names.index("text"), names.index(column)
    raise IntentCsvError(1, "missing column 'intent' (or 'category') in the header")


def parse_intent_csv(data: bytes) -> list[IntentExample]:
    """Return the examples of an intent CSV; blank lines are skipped, every other row must be complete."""
    text = decode_csv_bytes(data)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise IntentCsvError(line, "contains a NUL byte (binary data, not a CSV)")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise IntentCsvError(1, "file is empty, expected a header with 'text' and 'intent'")
    text_index, intent_index = _intent_column_index(header)
    examples = [_example(row, text_index, intent_index, reader.line_num) for row in reader if any(row)]
    if not examples:
        raise IntentCsvError(2, "no example rows after the header")
    return examples


def _example(row: list[str], text_index: int, intent_index: int, line: int) -> IntentExample:
    needed = max(text_index, intent_index) + 1
    if len(row) < needed:
        raise IntentCsvError(line, f"expected at least {needed} columns, got {len(row)}")
    text, intent = row[text_index].strip(), row[intent_index].strip()
    if not text:
        raise IntentCsvError(line, "empty 'text'")
    if not intent:
        raise IntentCsvError(line, "empty 'intent'")
    return IntentExample(text=text, intent=intent)
