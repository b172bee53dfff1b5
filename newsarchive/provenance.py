"""Which extractor produced a version, and reading an old capture again with today's.

A version's fingerprint depends on what trafilatura, htmldate, extruct and ftfy output and
on newsarchive's own cleaning rules (``extract.EXTRACTION_RULES_VERSION``). Every version
records that identity. When the running extractor differs, the previous version's capture
is extracted again from its WARC record before comparing, so an upgrade alone never makes
a version, and the stored text of old versions is never rewritten.
"""

from __future__ import annotations

import gzip
import logging
import os
import zlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from newsarchive.warc.reader import ArchivedRecord, read_record

logger = logging.getLogger(__name__)

#: The libraries whose output shapes the stored fields (pinned in pyproject.toml).
EXTRACTOR_PACKAGES = ("trafilatura", "htmldate", "extruct", "ftfy")


@cache
def _package_versions() -> tuple[tuple[str, str | None], ...]:
    found = []
    for name in EXTRACTOR_PACKAGES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, None))
    return tuple(found)


def extractor_identity() -> dict[str, Any]:
    """The running extractor: ``{"rules": N, "trafilatura": "2.3.1", ...}`` (JSON-ready)."""
    from newsarchive import extract  # read at call time: the rules version is the module's

    return {"rules": extract.EXTRACTION_RULES_VERSION, **dict(_package_versions())}


def _decoded_body(record: ArchivedRecord, body: bytes) -> bytes:
    """The payload without its Content-Encoding (the WARC keeps it as received)."""
    encoding = next((v for k, v in record.http_headers if k.lower() == "content-encoding"), "")
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            body = gzip.decompress(body)
        elif coding == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:  # raw deflate, as some servers send it
                body = zlib.decompress(body, -zlib.MAX_WBITS)
        elif coding != "identity":
            raise ValueError(f"unsupported Content-Encoding {coding!r}")
    return body


def reextract(warc_dir: str, filename: str, offset: int, url: str, captured_at: Any,
              original: Callable[[str], tuple[str, int] | None] | None = None) -> dict[str, Any] | None:
    """Extract the archived response at ``filename``/``offset`` again, with today's rules.

    ``original(record_id)`` gives (file, offset) of the record a revisit refers to. Returns
    the extracted fields, or None (logged) when the record cannot be read or extracted.
    """
    from newsarchive.extract import decode_html, extract_article

    try:
        record = read_record(os.path.join(warc_dir, filename), offset)
        body = record.body
        if record.header("WARC-Type") == "revisit":
            target = original(record.header("WARC-Refers-To") or "") if original else None
            if target is None:
                raise ValueError("revisit without its original record")
            body = read_record(os.path.join(warc_dir, target[0]), target[1]).body
        content_type = next((v for k, v in record.http_headers if k.lower() == "content-type"), None)
        decoded = decode_html(_decoded_body(record, body), content_type)
        return extract_article(decoded.text, url, captured_at=captured_at)
    except Exception as exc:  # an unreadable old record: compare the stored fields instead
        logger.warning("cannot re-extract %s from %s@%s: %s", url, filename, offset, exc)
        return None
