"""Reading import files in the encodings exports come in: names come out as written."""

from __future__ import annotations

import struct
import zlib

import pytest

from leaddash.errors import InvalidInput
from leaddash.imports import read_table

NAMES = [
    ("zoe@muller.example", "Zoë Müller", "“Quoted” Ltd"),
    ("ann@shop.example", "Ann O’Neil", "Price €12 – net"),
]
JAPANESE = [("taro@yamada.example", "山田 太郎", "株式会社テスト")]
BINARY = (
    "export.xlsx is not a CSV file: it holds binary data (perhaps an Excel workbook, a "
    "zip or an image). Export it again as CSV (comma- or semicolon-separated text) and "
    "retry."
)


def _file(rows: list[tuple[str, str, str]], line_end: str = "\r\n") -> str:
    lines = ["email,name,company", *(",".join(row) for row in rows)]
    return line_end.join(lines) + line_end


def _records(rows: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [dict(zip(("email", "name", "company"), row, strict=True)) for row in rows]


def _refusal(data: bytes, name: str = "export.xlsx") -> str:
    with pytest.raises(InvalidInput) as caught:
        read_table(data, name)
    return caught.value.message


@pytest.mark.parametrize(
    ("encoding", "rows", "named"),
    [
        ("utf-8", NAMES + JAPANESE, "utf-8"),
        ("utf-8-sig", NAMES + JAPANESE, "utf-8-sig"),
        ("utf-16", NAMES + JAPANESE, "utf-16"),  # with BOM, as spreadsheets write it
        ("utf-16-le", NAMES + JAPANESE, "utf-16-le"),  # without BOM: the NULs tell
        ("utf-16-be", NAMES + JAPANESE, "utf-16-be"),
        ("cp1252", NAMES, "cp1252"),
    ],
)
def test_each_encoding_reads_the_names_as_written(encoding, rows, named):
    table = read_table(_file(rows).encode(encoding), "export.csv")

    assert table.encoding == named
    assert table.frame.to_dict("records") == _records(rows)


def test_a_cp1252_file_with_only_smart_quotes_and_euros_is_not_read_as_latin1():
    rows = [("a@b.example", "“Ann”", "‘Acme’ … €5 – ™")]
    data = _file(rows).encode("cp1252")
    assert {b for b in data if b > 0x7F} <= set(range(0x80, 0xA0))

    table = read_table(data, "export.csv")

    assert (table.encoding, table.frame.to_dict("records")) == ("cp1252", _records(rows))


def test_a_latin1_file_reads_its_accents():
    rows = [("chloe@fabrikam.example", "Chloé Ångström", "Señor Café GmbH ©")]

    table = read_table(_file(rows).encode("latin-1"), "export.csv")

    assert (table.encoding, table.frame.to_dict("records")) == ("latin-1", _records(rows))


def test_a_latin1_file_the_detector_finds_implausible_is_still_read_as_latin1():
    rows = [("a@b.example", "©®°±²³µ¶", "ÀÉÎÕÜ ÿþ ×÷")]

    table = read_table(_file(rows).encode("latin-1"), "export.csv")

    assert (table.encoding, table.frame.to_dict("records")) == ("latin-1", _records(rows))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_reads_characters_with_a_nul_in_their_other_byte(encoding):
    rows = [("adam@x.example", "Ādam 😀😀", "一 Ltd")]  # U+0100, U+1F600 (…DE00), U+4E00
    data = _file(rows).encode(encoding)

    table = read_table(data, "export.csv")

    assert (table.encoding, table.frame.to_dict("records")) == (encoding, _records(rows))


def test_valid_utf8_is_read_as_utf8_though_cp1252_could_read_it_too():
    rows = [("zoe@muller.example", "Zoë Müller", "Señor Café")]
    data = _file(rows).encode("utf-8")
    assert "Zoë" not in data.decode("cp1252")

    table = read_table(data, "export.csv")

    assert (table.encoding, table.frame.to_dict("records")) == ("utf-8", _records(rows))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_file_cut_inside_its_last_character_keeps_its_encoding(encoding):
    text = _file(NAMES, "\n") + "cut@off.example,Zoë"

    table = read_table(text.encode(encoding)[:-1], "export.csv")

    assert table.encoding == encoding
    assert table.frame.to_dict("records") == [
        *_records(NAMES),
        {"email": "cut@off.example", "name": "Zo", "company": ""},
    ]
    assert table.short_rows == ((4, 2),)


def test_a_latin1_file_ending_in_an_accent_is_not_taken_for_cut_utf8():
    table = read_table("email,name\nchloe@fabrikam.example,Chloé".encode("latin-1"), "x.csv")

    assert (table.encoding, table.frame["name"].tolist()) == ("latin-1", ["Chloé"])


def _png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(header))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)),  # xlsx, a zip
        _png(),
        bytes(range(128, 256)) * 20,  # no NUL, no text
        b"email,na\x00me\na@b.example,Ann\n",  # NUL in header
        b"\xef\xbb\xbfemail\n\xff\xfe\n",  # BOM, then not UTF-8
    ],
    ids=["xlsx", "png", "high-bytes", "header-nul", "bom-then-garbage"],
)
def test_binary_data_is_refused_as_not_a_csv_file(data):
    assert _refusal(data) == BINARY


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\r\n \r\n", "holds no rows, not even a header (only blank lines)"),
        ("email,name\r\n", "has a header row but no rows of data under it"),
        ("email,name\r\n\r\n\r\n", "has a header row but no rows of data under it"),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_blank_and_header_only_files_keep_their_message_in_any_encoding(text, message, encoding):
    assert message in _refusal(text.encode(encoding), "leads.csv")
