"""Walking a WARC file record by record: offsets, lengths, headers and digest checks.

Built on the gzip-member walk of :mod:`newsarchive.warc.repair` (one gzip member per record),
so a record is judged the way repair judges it: by its framing and its digests, over the bytes
as stored. Verification and the exports share this one walk.
"""

from __future__ import annotations

import hashlib
import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from newsarchive.warc.repair import _iter_members, check_record_bytes


@dataclass(frozen=True)
class Record:
    """One record of a file: where it is, its WARC headers, and what is wrong with it."""

    offset: int
    length: int  # compressed length of its gzip member
    headers: dict[str, str] = field(repr=False)  # lower-cased names; repeated names joined by " "
    data: bytes = field(repr=False)  # the decompressed record
    problem: str | None = None  # framing or digest problem; None when the record is good

    @property
    def type(self) -> str:
        return self.headers.get("warc-type", "")

    @property
    def record_id(self) -> str:
        return self.headers.get("warc-record-id", "")

    @property
    def date(self) -> str:
        return self.headers.get("warc-date", "")

    @property
    def target_uri(self) -> str:
        return self.headers.get("warc-target-uri", "")

    @property
    def concurrent_to(self) -> list[str]:
        return self.headers.get("warc-concurrent-to", "").split()

    @property
    def block(self) -> bytes:
        start = self.data.find(b"\r\n\r\n") + 4
        return self.data[start:start + int(self.headers.get("content-length", "0") or 0)]

    def payload_sha1(self) -> str:
        """``sha1:BASE32`` of the HTTP body as stored (response records)."""
        block = self.block
        cut = block.find(b"\r\n\r\n")
        body = block[cut + 4:] if cut >= 0 else b""
        return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def parse_headers(data: bytes) -> dict[str, str]:
    head = data[: data.find(b"\r\n\r\n")]
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower().decode("latin-1")
        text = value.strip().decode("utf-8", "replace")
        headers[key] = f"{headers[key]} {text}" if key in headers else text
    return headers


class BrokenFile(Exception):
    """The file cannot be walked past ``offset`` (a gzip member does not decompress)."""

    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset


def iter_records(path: str | os.PathLike[str], *, check: bool = True) -> Iterator[Record]:
    """Every record of ``path`` in file order; raises :class:`BrokenFile` at a torn member.

    With ``check``, each record's block and payload digests are recomputed (``problem``).
    """
    with open(path, "rb") as fh:
        for member in _iter_members(fh):  # type: ignore[arg-type]
            if isinstance(member, str):
                offset_text = member.split(":", 1)[0].removeprefix("offset ").strip()
                raise BrokenFile(int(offset_text) if offset_text.isdigit() else -1,
                                 member.split(":", 1)[1].strip())
            problem = check_record_bytes(member.data) if check else None
            yield Record(member.offset, member.length, parse_headers(member.data), member.data, problem)


def copy_member(src: int, offset: int, length: int) -> bytes:
    """The stored (compressed) bytes of one member: copied as they are, digests intact."""
    return os.pread(src, length, offset)
