"""``newsarchive verify``: prove the archive is intact, record by record.

Checks, for every closed WARC file in scope:

* every record's framing and its block and payload digests (recomputed over the stored bytes);
* every capture row against its record: file, offset, length, record id, type, and
  ``WARC-Date`` = ``captures.fetched_at``;
* every stored version against the metadata record written beside its first capture
  (the content fingerprint);
* every CDXJ line against the record it points at (offset, length, record id, URL, digest),
  and every response/revisit record has a line;
* every revisit's original record exists and has the revisit's payload digest.

One line per problem, naming the file and the record; a summary line; exit status 1 when
anything is wrong. Nothing is changed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsarchive.archivist.records import BrokenFile, iter_records
from newsarchive.db.models import Article, ArticleVersion, Capture
from newsarchive.warc.index import INDEXED_RECORDS, index_path_for, read_cdxj
from newsarchive.warc.index import closed_warcs
from newsarchive.warc.reader import read_record
from newsarchive.warc.writer import OPEN_SUFFIX, warc_date

_INDEXED = set(INDEXED_RECORDS.split(","))


@dataclass
class FileReport:
    name: str
    records: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class VerifyResult:
    files: list[FileReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not tied to one file
    records: int = 0
    captures: int = 0
    lost: int = 0
    versions: int = 0
    index_lines: int = 0
    revisits: int = 0
    open_files: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and not any(f.problems for f in self.files)

    @property
    def problem_count(self) -> int:
        return len(self.problems) + sum(len(f.problems) for f in self.files)

    def summary(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0.0
        verdict = "OK" if self.ok else f"FAILED, {self.problem_count} problem(s)"
        return (f"verify: {verdict}: {len(self.files)} file(s), {self.records} records, "
                f"{self.captures} capture rows ({self.lost} marked lost), {self.versions} versions, "
                f"{self.index_lines} index lines, {self.revisits} revisits in {self.seconds:.2f}s "
                f"({rate:.0f} records/s)")


def _files_in_scope(session: Session, directory: str, since: datetime | None,
                    outlet_id: int | None) -> list[str]:
    files = closed_warcs(directory)
    if since is None and outlet_id is None:
        return files
    query = select(Capture.warc_filename).where(Capture.warc_filename.is_not(None)).distinct()
    if since is not None:
        query = query.where(Capture.fetched_at >= since)
    if outlet_id is not None:
        query = query.where(Capture.outlet_id == outlet_id)
    names = set(session.scalars(query))
    return [f for f in files if os.path.basename(f) in names]


def verify_archive(session: Session, directory: str | os.PathLike[str], *,
                   since: datetime | None = None, outlet_id: int | None = None,
                   progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Check the files, rows and indexes in scope; see the module docstring."""
    started = time.perf_counter()
    directory = os.fspath(directory)
    result = VerifyResult()
    if os.path.isdir(directory):
        result.open_files = sum(1 for n in os.listdir(directory) if n.endswith(OPEN_SUFFIX))
    # versions to check against metadata records: first capture id -> (version, fingerprint)
    versions_query = (select(ArticleVersion.first_capture_id, ArticleVersion.id, ArticleVersion.seq,
                             ArticleVersion.fingerprint, Article.url, Article.canonical_url)
                      .join(Article, ArticleVersion.article_id == Article.id)
                      .join(Capture, ArticleVersion.first_capture_id == Capture.id)
                      .where(Capture.warc_record_id.is_not(None), Capture.warc_lost.is_(False)))
    if since is not None:
        versions_query = versions_query.where(ArticleVersion.captured_at >= since)
    if outlet_id is not None:
        versions_query = versions_query.where(Article.outlet_id == outlet_id)
    wanted: dict[int, tuple[int, int, str, str]] = {
        cid: (vid, seq, fp, url or key) for cid, vid, seq, fp, url, key in session.execute(versions_query)}
    metadata: dict[int, str] = {}  # capture id -> fingerprint in its metadata record
    payloads: dict[str, str] = {}  # response record id -> payload digest (revisit originals)
    revisits: list[tuple[str, int, str, str, str]] = []  # file, offset, id, refers-to, digest
    files = _files_in_scope(session, directory, since, outlet_id)
    present = {os.path.basename(f) for f in closed_warcs(directory)}

    for path in files:
        name = os.path.basename(path)
        report = FileReport(name)
        result.files.append(report)
        by_offset: dict[int, tuple[int, str, str, str, str, str]] = {}

        def problem(offset: int | None, record_id: str, message: str, report: FileReport = report) -> None:
            where = f"{report.name}@{offset}" if offset is not None else report.name
            report.problems.append(f"{where}{' ' + record_id if record_id else ''}: {message}")

        try:
            for index, record in enumerate(iter_records(path)):
                report.records += 1
                if progress is not None:
                    progress(1)
                rtype = record.type
                if index == 0 and rtype != "warcinfo":
                    problem(record.offset, record.record_id, "first record is not warcinfo")
                if record.problem:
                    problem(record.offset, record.record_id, record.problem)
                digest = record.headers.get("warc-payload-digest", "")
                by_offset[record.offset] = (record.length, record.record_id, rtype, record.date,
                                            record.target_uri, digest)
                if rtype == "response":
                    payloads[record.record_id] = digest
                elif rtype == "revisit":
                    revisits.append((name, record.offset, record.record_id,
                                     record.headers.get("warc-refers-to", ""), digest))
                elif rtype == "metadata":
                    try:
                        data = json.loads(record.block)
                    except ValueError:
                        data = None
                    if isinstance(data, dict) and isinstance(data.get("capture_id"), int):
                        metadata[data["capture_id"]] = str(data.get("fingerprint"))
        except BrokenFile as exc:
            problem(exc.offset, "", f"{exc}; the records after it were not checked")
        result.records += report.records

        # capture rows pointing into this file
        rows = select(Capture).where(Capture.warc_filename == name, Capture.warc_record_id.is_not(None))
        if outlet_id is not None:
            rows = rows.where(Capture.outlet_id == outlet_id)
        for capture in session.scalars(rows.execution_options(yield_per=500)):
            result.captures += 1
            if capture.warc_lost:
                result.lost += 1
                continue
            found = by_offset.get(capture.warc_offset or -1)
            label = f"capture {capture.id} ({capture.url})"
            if found is None:
                problem(capture.warc_offset, capture.warc_record_id,
                        f"{label}: no record starts at offset {capture.warc_offset}")
                continue
            length, record_id, rtype, date, uri, _ = found
            wrong = []
            if record_id != capture.warc_record_id:
                wrong.append(f"record there is {record_id}")
            if length != capture.warc_length:
                wrong.append(f"length {length}, row says {capture.warc_length}")
            if date != warc_date(capture.fetched_at):
                wrong.append(f"WARC-Date {date}, fetched_at {warc_date(capture.fetched_at)}")
            if rtype != ("revisit" if capture.warc_revisit else "response"):
                wrong.append(f"record is a {rtype}")
            if uri != capture.url.split("#", 1)[0] and "@" not in capture.url:
                wrong.append(f"WARC-Target-URI {uri}")
            if wrong:
                problem(capture.warc_offset, capture.warc_record_id, f"{label}: " + "; ".join(wrong))

        # the CDXJ index beside the file
        index = index_path_for(path)
        indexed = {o for o, (_, _, rtype, *_rest) in by_offset.items() if rtype in _INDEXED}
        if not os.path.exists(index):
            problem(None, "", f"no CDXJ index ({os.path.basename(index)})")
        else:
            for line in read_cdxj(index):
                result.index_lines += 1
                fields = line.fields
                try:
                    offset, length = int(fields["offset"]), int(fields["length"])
                except (KeyError, ValueError):
                    problem(None, "", f"{os.path.basename(index)}: line without offset/length: {line.urlkey}")
                    continue
                found = by_offset.get(offset)
                where = f"{os.path.basename(index)} line {line.urlkey} {line.timestamp}"
                if fields.get("filename") != name:
                    problem(offset, fields.get("warc-record-id", ""), f"{where}: names file {fields.get('filename')}")
                elif found is None:
                    problem(offset, fields.get("warc-record-id", ""), f"{where}: no record starts at offset {offset}")
                else:
                    rlength, record_id, _, _, uri, digest = found
                    wrong = []
                    if rlength != length:
                        wrong.append(f"length {length}, record has {rlength}")
                    if fields.get("warc-record-id") and fields["warc-record-id"] != record_id:
                        wrong.append(f"record there is {record_id}")
                    if fields.get("url") and fields["url"] != uri:
                        wrong.append(f"url {fields['url']}, record is {uri}")
                    if fields.get("digest") and digest and fields["digest"] != digest:
                        wrong.append(f"digest {fields['digest']}, record has {digest}")
                    if wrong:
                        problem(offset, fields.get("warc-record-id", ""), f"{where}: " + "; ".join(wrong))
                    indexed.discard(offset)
            for offset in sorted(indexed):
                problem(offset, by_offset[offset][1], "record missing from the CDXJ index")

    # rows pointing at files that are not there
    missing = select(Capture).where(Capture.warc_filename.is_not(None), Capture.warc_lost.is_(False),
                                    Capture.warc_filename.not_in(present) if present else Capture.id > 0)
    if since is not None:
        missing = missing.where(Capture.fetched_at >= since)
    if outlet_id is not None:
        missing = missing.where(Capture.outlet_id == outlet_id)
    for capture in session.scalars(missing.execution_options(yield_per=500)):
        result.captures += 1
        if Path(directory, capture.warc_filename + OPEN_SUFFIX).exists():
            continue  # a crawl is still writing it
        result.problems.append(f"capture {capture.id} ({capture.url}): file {capture.warc_filename} "
                               f"is missing (record {capture.warc_record_id})")

    # revisits: the original exists and holds the same payload
    for name, offset, record_id, refers_to, digest in revisits:
        result.revisits += 1
        report = next(f for f in result.files if f.name == name)
        original = payloads.get(refers_to)
        if original is None and refers_to:  # outside the files in scope: follow the database
            row = session.scalar(select(Capture).where(Capture.warc_record_id == refers_to).limit(1))
            if row is not None and row.warc_filename and not row.warc_lost:
                try:
                    rec = read_record(os.path.join(directory, row.warc_filename), row.warc_offset)
                    if rec.header("WARC-Record-ID") == refers_to:
                        original = rec.header("WARC-Payload-Digest") or ""
                except (OSError, ValueError):
                    original = None
        if original is None:
            report.problems.append(f"{name}@{offset} {record_id}: revisit's original {refers_to or '(none named)'} "
                                   "is not in the archive")
        elif original and digest and original != digest:
            report.problems.append(f"{name}@{offset} {record_id}: revisit's payload digest {digest} differs "
                                   f"from its original's {original}")

    # versions against their metadata records
    for capture_id, (version_id, seq, fingerprint, url) in wanted.items():
        result.versions += 1
        found_fp = metadata.get(capture_id)
        if found_fp is None:
            result.problems.append(f"version {seq} of {url} (id {version_id}): no metadata record for "
                                   f"its first capture {capture_id}")
        elif found_fp != fingerprint:
            result.problems.append(f"version {seq} of {url} (id {version_id}): fingerprint {fingerprint} "
                                   f"differs from its metadata record's {found_fp}")
    result.seconds = time.perf_counter() - started
    return result
