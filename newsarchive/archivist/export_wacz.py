"""``newsarchive export --format wacz``: a WACZ 1.1.1 package whose pages are article versions.

The package (a ZIP, https://specs.webrecorder.net/wacz/1.1.1/) holds:

* ``archive/data.warc.gz`` (and ``data-00002.warc.gz``, ... past 1 GB): exactly the records of
  ``export --format warc`` for the same selection, so revisits bring their originals and the
  package replays on its own;
* ``indexes/index.cdx.gz`` + ``indexes/index.idx``: the sorted CDXJ of those files
  (``filename`` relative to ``archive/``) as a ZipNum cluster, as py-wacz writes it: the
  ``.cdx.gz`` is one gzip member per block of ``INDEX_BLOCK_LINES`` lines, and the ``.idx``
  names each block's first key, offset, length and sha256. ReplayWeb.page (wabac.js) reads
  only ``.idx``, ``.cdx`` or ``.cdxj`` index files: given a bare ``index.cdx.gz`` it finds no
  capture at all. It then fetches just the blocks a lookup needs; pywb's ``wb-manager add
  --unpack-wacz`` reads the ``.cdx.gz`` whole (gzip members concatenate) and ignores the ``.idx``;
* ``pages/pages.jsonl``: a header line, then one page per stored article version: the URL
  fetched, ``ts`` = the version's first capture time exactly as that record's ``WARC-Date``,
  ``title`` = headline + `` (version N)``; so a replay tool lists "Story X (version 3)" and
  opens the capture that version came from;
* ``datapackage.json`` (sha256 and size of every file) and ``datapackage-digest.json``.

Streaming: the WARC and the page list are written to temporary files beside the output and
copied into the ZIP entry by entry (WARCs and the gzip index stored, not re-compressed), so
neither the records nor the version rows are ever all in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsarchive import __version__
from newsarchive.archivist.export_warc import ExportError, _describe, export_warc
from newsarchive.archivist.selection import Selection
from newsarchive.db.models import Article, ArticleVersion, Capture, Outlet
from newsarchive.warc.index import index_path_for, merged_cdxj_lines
from newsarchive.warc.writer import warc_date

WACZ_VERSION = "1.1.1"
PAGES_FORMAT = "json-pages-1.0"
INDEX_NAME = "indexes/index.cdx.gz"
INDEX_IDX_NAME = "indexes/index.idx"
INDEX_BLOCK_LINES = 1024  # py-wacz's block size: one gzip member (one Range read) per block
PAGES_NAME = "pages/pages.jsonl"


@dataclass
class WaczResult:
    path: str
    warcs: list[str] = field(default_factory=list)  # names inside archive/
    records: int = 0
    captures: int = 0
    originals: int = 0
    index_lines: int = 0
    pages: int = 0
    versions: int = 0  # selected stored versions (pages < versions: some lost their record)


def page_url(capture_url: str) -> str:
    """The URL a capture's record is filed under: no fragment, no ``user:password@``."""
    url = capture_url.split("#", 1)[0]
    parts = urlsplit(url)
    if "@" in parts.netloc:
        url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    return url


def iter_pages(session: Session, selection: Selection) -> Iterator[dict[str, object]]:
    """One page object per selected stored version whose first capture is in the export."""
    exported = selection.captures().with_only_columns(Capture.id)
    query = (selection.versions()
             .join(Capture, ArticleVersion.first_capture_id == Capture.id)
             .join(Outlet, Article.outlet_id == Outlet.id)
             .where(Capture.id.in_(exported))
             .add_columns(Capture.url, Capture.fetched_at, Article.url, Article.canonical_url, Outlet.name))
    for version, url, fetched_at, article_url, canonical, outlet in session.execute(
            query.execution_options(yield_per=500)):
        headline = (version.title or "").strip() or (article_url or canonical)
        yield {
            "id": f"version-{version.id}",
            "url": page_url(url),
            "ts": warc_date(fetched_at),
            "title": f"{headline} (version {version.seq})",
            "article": article_url or canonical,
            "outlet": outlet,
            "version": version.seq,
        }


def _merged_index(cdxj_paths: list[str], out: str, idx_out: str,
                  block_lines: int = INDEX_BLOCK_LINES) -> int:
    """Merge the per-file sorted CDXJ indexes into a ZipNum cluster (``out``: gzip blocks,
    ``idx_out``: one line per block); still sorted, one block in memory; returns lines."""
    count = 0
    with ExitStack() as stack:
        sink = stack.enter_context(open(out, "wb"))
        idx = stack.enter_context(open(idx_out, "w", encoding="utf-8"))
        idx.write("!meta 0 " + json.dumps({"format": "cdxj-gzip-1.0",
                                           "filename": os.path.basename(INDEX_NAME)}) + "\n")
        block: list[str] = []
        offset = 0

        def flush() -> None:
            nonlocal offset
            data = gzip.compress("".join(block).encode("utf-8"), mtime=0)
            key = block[0].split(" {", 1)[0].strip()  # "urlkey timestamp"
            idx.write(key + " " + json.dumps({"offset": offset, "length": len(data),
                                              "digest": "sha256:" + hashlib.sha256(data).hexdigest()}) + "\n")
            sink.write(data)
            offset += len(data)
            block.clear()

        for line in merged_cdxj_lines(cdxj_paths):
            block.append(line)
            count += 1
            if len(block) == block_lines:
                flush()
        if block:
            flush()
    return count


def _hash(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return "sha256:" + digest.hexdigest(), size


def export_wacz(session: Session, directory: str | os.PathLike[str], selection: Selection, out: str, *,
                progress: Callable[[int], None] | None = None) -> WaczResult:
    """Write the selection as a WACZ at ``out`` (written to ``out.part``, renamed when whole)."""
    result = WaczResult(out)
    parent = os.path.dirname(os.path.abspath(out))
    work = tempfile.mkdtemp(prefix=".wacz-", dir=parent)  # same filesystem: no cross-device copy
    part = out + ".part"
    try:
        warc = export_warc(session, directory, selection, os.path.join(work, "data.warc.gz"),
                           index=True, progress=progress)
        if not warc.files:
            raise ExportError("the selection holds no archived capture: nothing to package")
        result.records, result.captures, result.originals = warc.records, warc.captures, warc.originals
        result.warcs = [os.path.basename(p) for p in warc.files]
        index, index_idx = os.path.join(work, "index.cdx.gz"), os.path.join(work, "index.idx")
        result.index_lines = _merged_index([index_path_for(p) for p in warc.files], index, index_idx)
        pages = os.path.join(work, "pages.jsonl")
        with open(pages, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"format": PAGES_FORMAT, "id": "pages",
                                 "title": "Article versions", "hasText": False}) + "\n")
            for page in iter_pages(session, selection):
                fh.write(json.dumps(page, ensure_ascii=False) + "\n")
                result.pages += 1
        result.versions = session.scalar(
            select(func.count()).select_from(selection.versions().order_by(None).subquery())) or 0

        entries = [(p, "archive/" + os.path.basename(p), zipfile.ZIP_STORED) for p in warc.files]
        entries += [(index, INDEX_NAME, zipfile.ZIP_STORED), (index_idx, INDEX_IDX_NAME, zipfile.ZIP_STORED),
                    (pages, PAGES_NAME, zipfile.ZIP_DEFLATED)]
        resources = []
        for path, name, _ in entries:
            digest, size = _hash(path)
            resources.append({"name": os.path.basename(name).lower(), "path": name, "hash": digest,
                              "bytes": size})
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": "newsarchive export: " + _describe(selection),
            "description": (f"{result.pages} article versions as pages (title: headline and version "
                            f"number; ts: the version's first capture), {result.captures} captures and "
                            f"{result.originals} revisit original(s), records copied unchanged from a "
                            "newsarchive archive."),
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "software": f"newsarchive {__version__}",
            "resources": resources,
        }
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        digest_bytes = json.dumps({"path": "datapackage.json",
                                   "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()},
                                  indent=2).encode("utf-8")
        with zipfile.ZipFile(part, "w", allowZip64=True) as wacz:
            for path, name, compression in entries:
                wacz.write(path, name, compress_type=compression)  # copied in chunks
            wacz.writestr("datapackage.json", package_bytes, compress_type=zipfile.ZIP_DEFLATED)
            wacz.writestr("datapackage-digest.json", digest_bytes, compress_type=zipfile.ZIP_DEFLATED)
        with open(part, "rb") as fh:
            os.fsync(fh.fileno())
        os.rename(part, out)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result
