"""Read one record back from a pointer (file + offset): what ``newsarchive record`` prints."""

from __future__ import annotations

import os
from typing import NamedTuple

from warcio.archiveiterator import ArchiveIterator

from newsarchive.warc.writer import OPEN_SUFFIX


class ArchivedRecord(NamedTuple):
    warc_headers: list[tuple[str, str]]
    http_status_line: str | None  # e.g. "HTTP/1.1 200 OK"; None for non-HTTP records
    http_headers: list[tuple[str, str]]
    body: bytes  # payload as stored (still content-encoded); b"" for revisits

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.warc_headers if k.lower() == name), None)


def read_record(path: str | os.PathLike[str], offset: int) -> ArchivedRecord:
    """Parse the record whose gzip member starts at ``offset``.

    Raises ``ValueError`` if no record starts there (e.g. a pointer whose record was lost
    in a crash and cut off by repair). Pointers always name the closed file; while a crawl is
    still writing it, the ``.open`` file is read instead.
    """
    if not os.path.exists(path) and os.path.exists(os.fspath(path) + OPEN_SUFFIX):
        path = os.fspath(path) + OPEN_SUFFIX
    with open(path, "rb") as fh:
        fh.seek(offset)
        try:
            record = next(iter(ArchiveIterator(fh)), None)
        except Exception as exc:  # noqa: BLE001 - warcio raises several types
            raise ValueError(f"no WARC record at {os.fspath(path)}:{offset}: {exc}") from exc
        if record is not None:
            http = record.http_headers
            status_line = None
            http_headers: list[tuple[str, str]] = []
            if http is not None and (http.statusline or http.headers):
                status_line = f"{http.protocol} {http.statusline}".strip()
                http_headers = list(http.headers)
            body = record.content_stream().read() if http is None else record.raw_stream.read()
            return ArchivedRecord(list(record.rec_headers.headers), status_line, http_headers, body)
    raise ValueError(f"no WARC record at {os.fspath(path)}:{offset}")
