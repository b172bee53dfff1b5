"""``newsarchive export --format warc``: the selected records as WARC files of their own.

What goes in: a new ``warcinfo`` record first (what was exported, from which files, the
capture fidelity statement); then, file by file in time order, each contributing file's own
``warcinfo``, every selected capture's response or revisit record, every record concurrent to
it (its request, the metadata record of an article), and the original record of every
selected revisit, with its request and metadata, so the export replays on its own.

Records are copied as stored (their gzip members byte for byte), so every digest and record
id is unchanged and checkable against the source archive. Streaming: the export holds one
source file's selected offsets at a time (plus the revisits' original pointers), never the
whole archive.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsarchive import __version__
from newsarchive.archivist.records import iter_records
from newsarchive.archivist.selection import Selection
from newsarchive.db.models import Capture
from newsarchive.warc.index import write_cdxj
from newsarchive.warc.reader import read_record
from newsarchive.warc.writer import FIDELITY_STATEMENT, WARC_SUFFIX

DEFAULT_MAX_SIZE = 1_000_000_000


class ExportError(Exception):
    """The selection cannot be exported whole (one line; nothing is left half-written)."""


@dataclass
class ExportResult:
    files: list[str] = field(default_factory=list)
    records: int = 0
    captures: int = 0
    originals: int = 0


def _originals(session: Session, directory: str, selection: Selection) -> dict[str, set[int]]:
    """file -> offsets of the original records the selected revisits refer to."""
    wanted: dict[str, set[int]] = defaultdict(set)
    revisits = selection.captures().where(Capture.warc_revisit.is_(True)).order_by(Capture.id)
    for capture in session.scalars(revisits.execution_options(yield_per=500)):
        record = read_record(os.path.join(directory, capture.warc_filename), capture.warc_offset)
        refers_to = record.header("WARC-Refers-To")
        original = session.scalar(select(Capture).where(Capture.warc_record_id == refers_to,
                                                        Capture.warc_lost.is_(False)).limit(1)) \
            if refers_to else None
        if original is None or not original.warc_filename:
            raise ExportError(f"revisit {capture.warc_record_id} ({capture.url}) refers to "
                              f"{refers_to or 'no record'}, which is not in the archive "
                              "(newsarchive verify)")
        wanted[original.warc_filename].add(original.warc_offset)
    return wanted


class _Output:
    """Export files ``PATH``, ``PATH-00002.warc.gz``, ...: warcinfo first in each."""

    def __init__(self, path: str, info: dict[str, str], max_size: int):
        self.base, self.info, self.max_size = path, info, max_size
        self.files: list[str] = []
        self.fh = None

    def _open(self) -> None:
        from io import BytesIO

        from warcio.warcwriter import WARCWriter

        n = len(self.files) + 1
        stem = self.base[: -len(WARC_SUFFIX)] if self.base.endswith(WARC_SUFFIX) else self.base
        path = self.base if n == 1 else f"{stem}-{n:05d}{WARC_SUFFIX}"
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()/roll
        self.files.append(path)
        sink = BytesIO()
        writer = WARCWriter(sink, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(os.path.basename(path), self.info))
        self.fh.write(sink.getvalue())

    def write(self, member: bytes) -> None:
        if self.fh is None or self.fh.tell() >= self.max_size:
            self.close()
            self._open()
        self.fh.write(member)

    def close(self) -> None:
        if self.fh is not None:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            self.fh = None


def export_warc(session: Session, directory: str | os.PathLike[str], selection: Selection, out: str, *,
                max_size: int = DEFAULT_MAX_SIZE, index: bool = True,
                progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write the selection to ``out`` (rolled over at ``max_size``); a CDXJ beside each file."""
    directory = os.fspath(directory)
    originals = _originals(session, directory, selection)
    names_query = selection.captures().with_only_columns(Capture.warc_filename).distinct()
    names = sorted(set(session.scalars(names_query)) | set(originals))
    result = ExportResult()
    info = {
        "software": f"newsarchive/{__version__} export",
        "format": "WARC File Format 1.1",
        "description": "records copied unchanged from a newsarchive archive: " + _describe(selection),
        "source-files": " ".join(names),
        "fidelity": FIDELITY_STATEMENT,
    }
    output = _Output(out, info, max_size)
    try:
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.exists(path):
                raise ExportError(f"{name} is missing from {directory} (newsarchive verify)")
            rows = selection.captures().where(Capture.warc_filename == name)
            selected = set(session.scalars(rows.with_only_columns(Capture.warc_offset)))
            result.captures += len(selected)
            extra = originals.pop(name, set()) - selected
            result.originals += len(extra)
            primaries = selected | extra
            primary_ids: set[str] = set()
            src = os.open(path, os.O_RDONLY)
            try:
                for index_in_file, record in enumerate(iter_records(path, check=False)):
                    keep = record.offset in primaries
                    if keep:
                        primary_ids.add(record.record_id)
                    elif index_in_file == 0 and record.type == "warcinfo":
                        keep = True
                    elif primary_ids.intersection(record.concurrent_to):
                        keep = True
                    if keep:
                        output.write(os.pread(src, record.length, record.offset))
                        result.records += 1
                        if progress is not None:
                            progress(1)
            finally:
                os.close(src)
    except BaseException:
        output.close()
        for path in output.files:
            os.unlink(path)
        raise
    output.close()
    result.files = output.files
    if index:
        for path in output.files:
            write_cdxj(path)
    return result


def _describe(selection: Selection) -> str:
    parts: Iterable[str] = (
        f"outlet={selection.outlet}" if selection.outlet else "",
        f"since={selection.since.isoformat()}" if selection.since else "",
        f"until={selection.until.isoformat()}" if selection.until else "",
        f"url={selection.url}" if selection.url else "",
    )
    return ", ".join(p for p in parts if p) or "everything"
