"""Finding an earlier capture with the same payload, so a re-fetch becomes a revisit record.

The middleware asks a :class:`RevisitLookup`; the default one remembers what this process
wrote and reads the CDXJ indexes of closed files, so a second crawl in a new process also
deduplicates. The lead can swap in a database-backed lookup with the same ``lookup`` method.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

from newsarchive.warc.index import INDEX_SUFFIX, read_cdxj
from newsarchive.warc.writer import warc_date


class Original(NamedTuple):
    record_id: str | None
    warc_date: str | datetime
    target_uri: str


@runtime_checkable
class RevisitLookup(Protocol):
    def lookup(self, url: str, payload_digest: str) -> Original | tuple | None:
        """Return ``(record_id, warc_date, target_uri)`` of an earlier full capture of ``url``
        whose payload digest equals ``payload_digest``, or None."""


class MemoryAndIndexLookup:
    """In-process memory plus the ``*.cdxj`` indexes found in a WARC directory.

    Indexes are read once, lazily, on the first lookup. Only full ``response`` captures are
    candidates (a revisit must point at a record that has the bytes); the earliest wins.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = os.fspath(directory) if directory is not None else None
        self._known: dict[tuple[str, str], Original] = {}
        self._loaded = False

    def remember(self, url: str, payload_digest: str, record_id: str, date: str) -> None:
        self._known.setdefault((url, payload_digest), Original(record_id, date, url))

    def _load(self) -> None:
        self._loaded = True
        if not self.directory or not os.path.isdir(self.directory):
            return
        for name in sorted(os.listdir(self.directory)):
            if not name.endswith(INDEX_SUFFIX):
                continue
            for line in read_cdxj(os.path.join(self.directory, name)):
                fields = line.fields
                if fields.get("mime") == "warc/revisit" or "digest" not in fields:
                    continue
                ts = line.timestamp
                date = fields.get("warc-date") or (
                    f"{ts[0:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:14]}Z"
                )
                key = (fields["url"], fields["digest"])
                self._known.setdefault(
                    key, Original(fields.get("warc-record-id"), date, fields["url"])
                )

    def lookup(self, url: str, payload_digest: str) -> Original | None:
        if not self._loaded:
            self._load()
        return self._known.get((url, payload_digest))


def as_original(found: Original | tuple | None) -> Original | None:
    """Normalise whatever a lookup returned (tuple, datetime date) into an Original."""
    if found is None:
        return None
    record_id, date, target = found
    if isinstance(date, datetime):
        date = warc_date(date)
    return Original(record_id, date, target)


#: Headers a 304 must not change in the stored response: they frame the stored payload
#: (RFC 9111 §3.2) or the connection it came on.
_FRAMING = {b"content-length", b"content-encoding", b"content-range", b"transfer-encoding",
            b"connection", b"keep-alive"}


def freshened_head(stored: list[tuple[str, str]], not_modified: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The stored response's headers updated by a 304's (RFC 9111 §4.3.4), as bytes pairs.

    A ``server-not-modified`` revisit record carries these after the stored status line:
    replay tools (pywb) then serve the confirmed payload as the 200 it is, where the 304's
    own status line would replay as an empty 304. The revisit profile says the server
    answered 304; the capture row keeps that status.
    """
    fresh = [(k, v) for k, v in not_modified if k.lower() not in _FRAMING]
    replaced = {k.lower() for k, _ in fresh}
    kept = [(k.encode("utf-8"), v.encode("utf-8")) for k, v in stored if k.lower().encode("utf-8") not in replaced]
    return kept + fresh
