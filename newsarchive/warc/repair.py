"""Repair and verification of WARC files at gzip-member granularity.

Why: after ``kill -9`` the ``.open`` file may end in a torn gzip member. ``warcio check``
does not notice a truncated *last* member (the decompressor simply stops), so we walk the
members ourselves: a member counts only if zlib reaches end-of-stream *and* the decompressed
bytes are exactly one well-formed WARC record whose digests verify.

A record is judged by its WARC framing and digests only, over the bytes as stored: the block
digest over the block, the payload digest over the HTTP body *still content-encoded*. The
body's Content-Encoding is never decoded here, so a brotli or zstd body that some library
cannot decode is still a good record (decoding once cut valid files short).
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from warcio.archiveiterator import ArchiveIterator

from newsarchive.warc.writer import OPEN_SUFFIX, payload_digest

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    offset: int
    length: int  # compressed length
    data: bytes  # decompressed bytes


@dataclass
class ScanResult:
    """Outcome of walking a file's gzip members."""

    members: list[Member] = field(default_factory=list)
    good_end: int = 0  # end offset of the last valid member
    file_size: int = 0
    error: str | None = None  # why scanning stopped early, if it did

    @property
    def complete(self) -> bool:
        return self.error is None and self.good_end == self.file_size


def _iter_members(fh: io.BufferedReader) -> Iterator[Member | str]:
    """Yield complete members; yield an error string (and stop) at the first bad one."""
    pending = b""
    pos = 0
    while True:
        if not pending:
            pending = fh.read(_CHUNK)
            if not pending:
                return
        start = pos
        decomp = zlib.decompressobj(zlib.MAX_WBITS | 16)
        parts: list[bytes] = []
        while True:
            try:
                parts.append(decomp.decompress(pending))
            except zlib.error as exc:
                yield f"offset {start}: gzip error: {exc}"
                return
            if decomp.eof:
                used = len(pending) - len(decomp.unused_data)
                pos += used
                pending = decomp.unused_data
                break
            pos += len(pending)
            pending = fh.read(_CHUNK)
            if not pending:
                yield f"offset {start}: gzip member truncated (no end-of-stream)"
                return
        yield Member(start, pos - start, b"".join(parts))


def check_record_bytes(data: bytes) -> str | None:
    """Return None if ``data`` is exactly one complete WARC record with valid digests."""
    head_end = data.find(b"\r\n\r\n")
    if not data.startswith(b"WARC/") or head_end < 0:
        return "not a WARC record header"
    length = None
    block_digest = None
    for line in data[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return "bad Content-Length"
        elif name == b"warc-block-digest":
            block_digest = value.strip().decode("ascii", "replace")
    if length is None:
        return "no Content-Length"
    expected = head_end + 4 + length + 4
    if len(data) != expected or not data.endswith(b"\r\n\r\n"):
        return f"record length mismatch ({len(data)} bytes, expected {expected})"
    # warcio skips the block digest of revisit records; check every block ourselves.
    block = data[head_end + 4 : head_end + 4 + length]
    if block_digest and block_digest.lower().startswith("sha1:"):
        if payload_digest(block) != "sha1:" + block_digest[5:].upper():
            return "WARC-Block-Digest mismatch"
    try:
        records = 0
        for record in ArchiveIterator(io.BytesIO(data), check_digests=True):
            records += 1
            # raw_stream: digests are checked over the stored bytes; content_stream() would
            # try to undo Content-Encoding and fail on encodings warcio cannot decode.
            record.raw_stream.read()
            problems = record.digest_checker.problems
            if problems:
                return "; ".join(str(p) for p in problems)
        if records != 1:
            return f"{records} records in one member"
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not valid"
        return f"unparseable record: {exc}"
    return None


def scan_members(path: str | os.PathLike[str]) -> ScanResult:
    """Walk every gzip member of ``path`` and validate each as one WARC record."""
    result = ScanResult(file_size=os.path.getsize(path))
    with open(path, "rb") as fh:
        for item in _iter_members(fh):  # type: ignore[arg-type]
            if isinstance(item, str):
                result.error = item
                break
            problem = check_record_bytes(item.data)
            if problem:
                result.error = f"offset {item.offset}: {problem}"
                break
            result.members.append(item)
            result.good_end = item.offset + item.length
    if result.error is None and result.good_end != result.file_size:
        result.error = f"trailing bytes after offset {result.good_end}"
    return result


@dataclass(frozen=True)
class VerifyReport:
    path: str
    ok: bool
    records: int
    error: str | None


def verify_warc(path: str | os.PathLike[str]) -> VerifyReport:
    """Full check: every member ends cleanly, holds one record, and its digests verify."""
    scan = scan_members(path)
    ok = scan.complete and bool(scan.members) and _first_is_warcinfo(scan.members[0].data)
    error = scan.error
    if error is None and not ok:
        error = "empty file" if not scan.members else "first record is not warcinfo"
    return VerifyReport(os.fspath(path), ok, len(scan.members), error)


def _first_is_warcinfo(data: bytes) -> bool:
    head = data[: data.find(b"\r\n\r\n")].lower()
    return b"\r\nwarc-type: warcinfo" in head


@dataclass(frozen=True)
class RepairAction:
    open_path: str
    closed_path: str | None  # None when the file held no complete record and was removed
    original_size: int
    kept_size: int
    records_kept: int
    action: str  # "closed" (already clean), "truncated", "removed", "skipped-locked"
    error: str | None = None


def _is_locked(path: str) -> bool:
    """True if a live writer holds the flock on ``path``."""
    with open(path, "rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return False


JOURNAL_SUFFIX = ".repair.json"


def _journal_path(open_path: str) -> str:
    return open_path[: -len(OPEN_SUFFIX)] + JOURNAL_SUFFIX


def _write_journal(action: RepairAction) -> None:
    """Record what is about to be cut *before* cutting it (fsync-ed), so that the capture rows
    pointing past the cut are marked lost even if the database is down or we die right now."""
    path = _journal_path(action.open_path)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(action.__dict__, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def pending_repairs(directory: str | os.PathLike[str]) -> list[RepairAction]:
    """Cuts whose capture rows are not known to be marked lost yet (the repair journal)."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    actions = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(JOURNAL_SUFFIX):
            try:
                with open(os.path.join(directory, name), encoding="utf-8") as fh:
                    actions.append(RepairAction(**json.load(fh)))
            except (OSError, ValueError, TypeError):
                continue  # a journal torn by a crash before os.replace cannot exist; skip junk
    return actions


def clear_repairs(actions: list[RepairAction]) -> None:
    """Drop the journal entries of ``actions`` once the database has marked their rows."""
    for action in actions:
        try:
            os.unlink(_journal_path(action.open_path))
        except FileNotFoundError:
            pass


def repair_file(open_path: str | os.PathLike[str]) -> RepairAction:
    """Truncate one ``.warc.gz.open`` file to its last complete record and close it.

    A cut is journaled first (see :func:`pending_repairs`); the caller marks the capture rows
    and then calls :func:`clear_repairs`.
    """
    open_path = os.fspath(open_path)
    closed_path = open_path[: -len(OPEN_SUFFIX)]
    size = os.path.getsize(open_path)
    if _is_locked(open_path):
        return RepairAction(open_path, None, size, size, 0, "skipped-locked")
    scan = scan_members(open_path)
    if not scan.members:
        action = RepairAction(open_path, None, size, 0, 0, "removed", scan.error)
        _write_journal(action)
        os.unlink(open_path)
        return action
    if scan.good_end != size:
        _write_journal(RepairAction(open_path, closed_path, size, scan.good_end,
                                    len(scan.members), "truncated", scan.error))
    with open(open_path, "r+b") as fh:
        fh.truncate(scan.good_end)
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(open_path, closed_path)
    action = "closed" if scan.good_end == size else "truncated"
    return RepairAction(
        open_path, closed_path, size, scan.good_end, len(scan.members), action, scan.error
    )


def repair_directory(directory: str | os.PathLike[str]) -> list[RepairAction]:
    """Repair every ``*.warc.gz.open`` in ``directory`` left behind by a dead process.

    Files still locked by a live writer (another crawl sharing the directory) are skipped.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    actions = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".warc.gz" + OPEN_SUFFIX):
            actions.append(repair_file(os.path.join(directory, name)))
    return actions
