"""Bytes of an import file → its text and the encoding that wrote it, or a refusal.

Exports come as UTF-8 (with or without BOM), UTF-16 (a spreadsheet's "Unicode text"), or
from older tools in Windows-1252 or Latin-1. A BOM decides first; NUL bytes then mean
UTF-16 when they fall on every other byte, stray characters of a broken export when they
are few and the first line is text (the reading then names the cells that hold them), else
binary data (a workbook, a zip, an image); then UTF-8 when the bytes are valid UTF-8.
Otherwise charset-normalizer tells cp1252 (the "smart quotes" and € in 0x80-0x9F) from
Latin-1. A file cut inside its last character loses that character, not its encoding.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from leaddash.errors import InvalidInput

SNIFF_BYTES = 64 * 1024
EXPORT_AS_CSV = "Export it again as CSV (comma- or semicolon-separated text) and retry."
BOMS = (
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
EIGHT_BIT = {"cp1252": "cp1252", "latin_1": "latin-1"}  # detector's name → ours
UTF16_MIN_SHARE = 0.1  # of the characters at least have a NUL byte (Latin text: nearly all)
UTF16_MAX_OTHER = 0.5  # NULs in their other byte (U+0100, emoji …) per NUL in that one
STRAY_NUL_SHARE = 0.01  # of the bytes at most are NULs in text with a few stray ones
_CUT = ("unexpected end of data", "truncated data")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # bytes no header line holds


def not_csv(filename: str) -> InvalidInput:
    """Return the refusal of a file that holds binary data rather than text."""
    return InvalidInput(
        f"{filename} is not a CSV file: it holds binary data (perhaps an "
        f"Excel workbook, a zip or an image). {EXPORT_AS_CSV}"
    )


def decode(data: bytes, filename: str) -> tuple[str, str]:
    """Return the text of `data` and the encoding that read it, or refuse binary data."""
    for bom, codec, name in BOMS:
        if data.startswith(bom):
            return _decoded(data[len(bom) :], codec, filename), name
    order = _utf16_order(data, filename)
    if order:
        return _decoded(data, order, filename), order
    text = _utf8(data)
    if text is not None:
        return text, "utf-8"
    encoding = _detected(data)
    return _decoded(data, encoding, filename), encoding


def _utf16_order(data: bytes, filename: str) -> str | None:
    """Return the UTF-16 byte order NUL bytes show (in text mostly of Latin letters, digits
    and punctuation, every character's other byte is NUL); None without NULs or with a few
    stray ones in rows of text; refuse NULs in no such pattern."""
    sample = data[: SNIFF_BYTES - SNIFF_BYTES % 2]
    if b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    least = UTF16_MIN_SHARE * len(sample) / 2
    if odd >= least and even <= odd * UTF16_MAX_OTHER:
        return "utf-16-le"
    if even >= least and odd <= even * UTF16_MAX_OTHER:
        return "utf-16-be"
    if _stray(sample):
        return None
    raise not_csv(filename)


def _stray(sample: bytes) -> bool:
    """Return True when the NULs of `sample` look like a few stray characters in text: at
    most STRAY_NUL_SHARE of it, and a first line (the header) without control bytes."""
    header = sample.split(b"\n", 1)[0]
    return sample.count(0) <= STRAY_NUL_SHARE * len(sample) and not _CONTROL.search(header)


def _utf8(data: bytes) -> str | None:
    """Return `data` as UTF-8, None when it is not. A cut last character counts as UTF-8
    only when other characters show the encoding (Latin-1 "…Chloé" would lose its é)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        whole = data[: exc.start]
        if _cut(exc, data) and not whole.isascii():
            return whole.decode("utf-8")
        return None


def _detected(data: bytes) -> str:
    """Return the 8-bit encoding charset-normalizer finds the text in: Latin-1 when it
    reads the text as cp1252 does (no byte in 0x80-0x9F), else cp1252 or Latin-1; Latin-1
    when it finds neither plausible, as Latin-1 reads any byte (the header check then
    tells binary data)."""
    best = from_bytes(data, cp_isolation=list(EIGHT_BIT)).best()
    if best is None or "latin_1" in best.could_be_from_charset:
        return "latin-1"
    return EIGHT_BIT[best.encoding]


def _decoded(data: bytes, codec: str, filename: str) -> str:
    """Return `data` decoded (an export cut inside its last character loses only that),
    or refuse it as binary."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if _cut(exc, data):
            return data[: exc.start].decode(codec)
        raise not_csv(filename) from None


def _cut(exc: UnicodeDecodeError, data: bytes) -> bool:
    """Return True when decoding failed only on a last character cut short."""
    return exc.reason in _CUT and exc.end == len(data)
