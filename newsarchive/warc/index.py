"""CDXJ indexes and file listings for closed WARC files.

One ``<file>.warc.gz.cdxj`` is written beside each closed file, so indexing is incremental
and a file and its index travel together. Lines are in the pywb / cdxj-indexer format
(``SURT TIMESTAMP {json}``, sorted) produced by the cdxj_indexer package, with one extra
JSON keys, ``warc-record-id`` and ``warc-date`` (full precision), so a revisit can name
the record it refers to.

Only ``response``, ``revisit`` and ``resource`` records are indexed: ``metadata`` records
share the article's URL and would otherwise compete with the response at replay time.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

from cdxj_indexer import CDXJIndexer

from newsarchive.warc.repair import _iter_members
from newsarchive.warc.writer import OPEN_SUFFIX, WARC_SUFFIX

INDEX_SUFFIX = ".cdxj"
INDEXED_RECORDS = "response,revisit,resource"
EXTRA_FIELDS = "warc-record-id,warc-date"


def index_path_for(warc_path: str) -> str:
    return warc_path + INDEX_SUFFIX


def write_cdxj(warc_path: str | os.PathLike[str], output: str | None = None) -> str:
    """Index one closed WARC file; returns the index path. Written atomically."""
    warc_path = os.fspath(warc_path)
    if warc_path.endswith(OPEN_SUFFIX):
        raise ValueError(f"refusing to index an open file: {warc_path}")
    output = output or index_path_for(warc_path)
    tmp = f"{output}.{os.getpid()}.tmp"  # per process: overlapping crawls index the same file
    indexer = CDXJIndexer(
        output=tmp,
        inputs=[warc_path],
        sort=True,
        fields=EXTRA_FIELDS,
        records=INDEXED_RECORDS,
    )
    try:
        indexer.process_all()
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return output


def closed_warcs(directory: str | os.PathLike[str]) -> list[str]:
    """Closed ``*.warc.gz`` files in ``directory``, sorted by name (= by time)."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    return [
        os.path.join(directory, name)
        for name in sorted(os.listdir(directory))
        if name.endswith(WARC_SUFFIX)
    ]


def index_directory(directory: str | os.PathLike[str], *, force: bool = False) -> list[str]:
    """Write missing (or, with ``force``, all) per-file indexes; returns paths written."""
    written = []
    for path in closed_warcs(directory):
        if force or not os.path.exists(index_path_for(path)):
            written.append(write_cdxj(path))
    return written


@dataclass(frozen=True)
class CdxjLine:
    urlkey: str
    timestamp: str
    fields: dict[str, str]


def read_cdxj(path: str | os.PathLike[str]) -> Iterator[CdxjLine]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("!"):
                continue
            urlkey, timestamp, blob = line.split(" ", 2)
            yield CdxjLine(urlkey, timestamp, json.loads(blob))


@dataclass(frozen=True)
class WarcFileInfo:
    path: str
    name: str
    size: int
    records: int


def merged_cdxj_lines(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """The index lines of several sorted CDXJ files as one sorted stream, newline-terminated.

    One line per file is in memory at a time; blank and ``!`` header lines are dropped.
    """
    with ExitStack() as stack:
        sources = [stack.enter_context(open(p, encoding="utf-8")) for p in paths]
        for line in heapq.merge(*sources):
            if line.strip() and not line.startswith("!"):
                yield line if line.endswith("\n") else line + "\n"


def count_records(path: str | os.PathLike[str]) -> int:
    """Number of complete gzip members (= records) in a file."""
    with open(path, "rb") as fh:
        return sum(1 for item in _iter_members(fh) if not isinstance(item, str))  # type: ignore[arg-type]


def list_warcs(directory: str | os.PathLike[str]) -> list[WarcFileInfo]:
    """Closed WARC files with size and record count, oldest first."""
    return [
        WarcFileInfo(path, os.path.basename(path), os.path.getsize(path), count_records(path))
        for path in closed_warcs(directory)
    ]
