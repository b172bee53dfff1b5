"""Rolling, crash-safe WARC writer.

Why it exists: archivists need files that standard tools (warcio, pywb, FastWARC,
cdxj-indexer) read without complaint, even after the crawler died mid-write. So:

* every record is its own gzip member (``WARCWriter(gzip=True)``), so a torn tail can be cut
  off at a member boundary (see :mod:`newsarchive.warc.repair`);
* files are written as ``*.warc.gz.open`` and renamed only when complete;
* the file is ``fsync``-ed before a pointer that the database will keep is handed back, so a
  capture row never names bytes that are not on disk: once per fetch (its response and
  request records together), not once per record; a metadata record (what ``verify`` checks
  every stored version against) is synced too;
* an exclusive ``flock`` is held on the ``.open`` file, so repair never touches a file that a
  live process is still writing;
* names ``PREFIX-YYYYMMDDhhmmssffffff-SERIAL-HOST-PID.warc.gz`` sort by time and never
  collide between processes (PID + exclusive create).

Digests: ``WARC-Block-Digest`` and ``WARC-Payload-Digest`` are SHA-1, base32, written as
``sha1:<BASE32>`` (warcio's default and the de-facto standard used by Heritrix, wget and
pywb). The payload digest covers the HTTP entity body exactly as received, i.e. *before*
content decoding: a gzip-encoded response is digested as gzip bytes.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import os
import re
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, BinaryIO, NamedTuple

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

import newsarchive
from newsarchive import clock

OPEN_SUFFIX = ".open"
# Metadata records get ``urn:newsarchive:metadata:<article url>`` as WARC-Target-URI (the
# ``urn:<kind>:<url>`` convention of Webrecorder's ``urn:pageinfo:`` records). With the bare
# article URL, pywb indexes the JSON record under the page's URL and timestamp and replays
# it *instead of the page*; the prefix keeps it findable by URL without shadowing replay.
METADATA_URI_PREFIX = "urn:newsarchive:metadata:"
WARC_SUFFIX = ".warc.gz"
DEFAULT_MAX_SIZE = 1_000_000_000

FIDELITY_STATEMENT = (
    "Captured with Scrapy over Twisted. HTTP status code, protocol version, header names, "
    "header values and body bytes are recorded as received; the body is kept exactly as "
    "sent on the wire after transfer decoding (Content-Encoding such as gzip is NOT undone). "
    "Not preserved: the original case and order of header names (Scrapy normalises them), "
    "repeated headers are grouped by name, and the reason phrase of the status line (it is "
    "synthesised from the status code). Hop-by-hop framing headers (Transfer-Encoding, "
    "Connection) are consumed by the HTTP client and not recorded, so the records carry no "
    "chunked framing that would contradict the stored body. Request records list the "
    "headers Scrapy handed to the HTTP client plus the Host header the client adds. "
    "Digests: sha1, base32."
)

HeaderList = list[tuple[bytes, bytes]]


class WarcPointer(NamedTuple):
    """Where a record lives: enough for a database row to find it again."""

    filename: str  # final (closed) file name, without directory and without ".open"
    offset: int  # byte offset of the record's gzip member
    length: int  # compressed length of the member
    record_id: str  # WARC-Record-ID, e.g. "<urn:uuid:...>"


@dataclass(frozen=True)
class HttpHead:
    """Raw HTTP head (status/request line + headers) as bytes, plus the parsed form."""

    first_line: str
    headers: HeaderList


class _RawHead(StatusAndHeaders):
    """StatusAndHeaders whose serialised form is fixed bytes.

    warcio re-encodes header values (percent-encoding non-ASCII); we want the header bytes
    exactly as Scrapy received them, so we precompute the buffer and never let warcio
    recompute it.
    """

    def __init__(self, first_line: str, headers: HeaderList, *, is_request: bool) -> None:
        parsed = [(_text(k), _text(v)) for k, v in headers]
        protocol, _, rest = first_line.partition(" ")
        super().__init__(rest, parsed, protocol=protocol, is_http_request=is_request)
        raw = first_line.encode("latin-1") + b"\r\n"
        raw += b"".join(k + b": " + v + b"\r\n" for k, v in headers)
        self._raw = raw + b"\r\n"
        self.headers_buff = self._raw

    def compute_headers_buffer(self, header_filter: Any = None) -> None:  # noqa: ARG002
        self.headers_buff = self._raw


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def payload_digest(body: bytes) -> str:
    """``sha1:BASE32`` digest of a payload, identical to what warcio writes and checks."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(when: datetime) -> str:
    """WARC/1.1 date with microseconds, always UTC (``2026-01-02T03:04:05.123456Z``)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    if when.microsecond:
        return datetime_to_iso_date(when, use_micros=True)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def normalise_response_headers(headers: Iterable[tuple[bytes, bytes]]) -> HeaderList:
    """Drop hop-by-hop framing headers that would contradict a de-framed body.

    Scrapy hands us the body after transfer decoding; a stored ``Transfer-Encoding: chunked``
    would make replay tools try to de-chunk it again.
    """
    dropped = {b"transfer-encoding"}
    return [(k, v) for k, v in headers if k.lower() not in dropped]


def _safe_host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "localhost"


class RollingWarcWriter:
    """Writes WARC records into size-limited, gzip-per-record files.

    Files are opened lazily on the first write, so a crawl that fetches nothing leaves no
    file behind. All public ``write_*`` methods return :class:`WarcPointer` values.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        prefix: str = "newsarchive",
        max_size: int = DEFAULT_MAX_SIZE,
        *,
        operator: str = "",
        description: str = "",
        robots: str = "obey",
        extra_info: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = os.fspath(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.operator = operator
        self.description = description
        self.robots = robots
        self.extra_info = dict(extra_info or {})
        self.hostname = _safe_host()
        self.pid = os.getpid()
        self.closed_files: list[str] = []  # full paths of files this writer closed
        self._serial = 0
        self._file: BinaryIO | None = None
        self._sink = io.BytesIO()
        self._warc: WARCWriter | None = None
        self._name: str | None = None
        self._lock = threading.RLock()
        #: Why writing stopped (a failed write), or None. Set once; no record is written after.
        self.failed: str | None = None
        os.makedirs(self.directory, exist_ok=True)

    # ------------------------------------------------------------------ files
    @property
    def current_path(self) -> str | None:
        """Path of the ``.open`` file being written, if any."""
        if self._name is None:
            return None
        return os.path.join(self.directory, self._name + OPEN_SUFFIX)

    def _new_name(self) -> str:
        self._serial += 1
        # The one clock: `newsarchive warcs --since` reads this stamp against record dates.
        stamp = clock.now().strftime("%Y%m%d%H%M%S%f")
        return f"{self.prefix}-{stamp}-{self._serial:05d}-{self.hostname}-{self.pid}{WARC_SUFFIX}"

    def _open(self) -> None:
        while True:
            name = self._new_name()
            path = os.path.join(self.directory, name + OPEN_SUFFIX)
            if os.path.exists(os.path.join(self.directory, name)):
                continue
            try:
                # Unbuffered: each record is written whole by _write_record, so a failed write
                # never leaves stale bytes in a buffer that a later flush would append.
                fh = open(path, "xb", buffering=0)  # noqa: SIM115 - lives until close()
            except FileExistsError:
                continue
            break
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file = fh
        self._name = name
        self._sink = io.BytesIO()  # warcio serialises one record here; we write it out
        self._warc = WARCWriter(self._sink, gzip=True, warc_version="1.1")
        self._write_record(self._warcinfo_record())

    def _warcinfo_record(self) -> Any:
        assert self._warc is not None
        info: dict[str, str] = {
            "software": f"newsarchive/{newsarchive.__version__} (Scrapy, warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "ip": _local_ip(),
            "operator": self.operator,
            "description": self.description,
            "robots": self.robots,
            "fidelity": FIDELITY_STATEMENT,
        }
        info.update(self.extra_info)
        return self._warc.create_warcinfo_record(self._name, info)

    def _roll_if_needed(self) -> None:
        if self._file is not None and self._file.tell() >= self.max_size:
            self._close_current()
        if self._file is None:
            self._open()

    def _close_current(self) -> None:
        if self._file is None:
            return
        assert self._name is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        open_path = os.path.join(self.directory, self._name + OPEN_SUFFIX)
        final_path = os.path.join(self.directory, self._name)
        os.rename(open_path, final_path)
        _fsync_dir(self.directory)
        self._file.close()  # releases the flock after the rename
        self.closed_files.append(final_path)
        self._file = self._warc = self._name = None

    def close(self) -> None:
        """Finish the current file: fsync, rename ``.open`` away. Safe to call twice."""
        with self._lock:
            self._close_current()

    def __enter__(self) -> RollingWarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- records
    def _write_record(self, record: Any, *, durable: bool = True) -> WarcPointer:
        assert self._file is not None and self._warc is not None and self._name is not None
        if self.failed is not None:
            raise OSError(f"WARC writer stopped after a failed write: {self.failed}")
        offset = self._file.tell()
        self._sink.seek(0)
        self._sink.truncate()
        self._warc.write_record(record)
        data = self._sink.getvalue()
        try:
            view = memoryview(data)
            while view:  # a raw write may be short (disk nearly full): the next one raises
                written = self._file.write(view)
                view = view[written or 0:]
                if not written:
                    raise OSError(28, "No space left on device")
            if durable:
                os.fsync(self._file.fileno())
        except OSError as exc:
            # Disk full (or any I/O error) mid-record: cut the torn member off now, so that the
            # file still ends at a record boundary, and refuse further writes.
            self.failed = f"{exc.strerror or exc} ({self.current_path})"
            self._discard_from(offset)
            raise
        length = len(data)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        return WarcPointer(self._name, offset, length, record_id)

    def _discard_from(self, offset: int) -> None:
        assert self._file is not None
        try:
            self._file.truncate(offset)
            self._file.seek(offset)
            os.fsync(self._file.fileno())
        except (OSError, ValueError):
            pass  # repair cuts it back on the next start; this writer writes nothing more

    def _response_record(
        self,
        url: str,
        status_line: str,
        headers: HeaderList,
        body: bytes,
        warc_headers: dict[str, str],
    ) -> Any:
        assert self._warc is not None
        head = _RawHead(status_line, normalise_response_headers(headers), is_request=False)
        return self._warc.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=head,
            warc_headers_dict=warc_headers,
        )

    def write_exchange(
        self,
        *,
        url: str,
        fetched_at: datetime,
        request_line: str,
        request_headers: HeaderList,
        request_body: bytes,
        status_line: str,
        response_headers: HeaderList,
        body: bytes,
        ip_address: str | None = None,
        revisit_of: RevisitTarget | None = None,
        truncated: str | None = None,
    ) -> tuple[WarcPointer, WarcPointer]:
        """Write one fetch: the response (or revisit) record, then its request record.

        Both land in the same file. Returns ``(response_pointer, request_pointer)``.
        ``status_line`` is e.g. ``"HTTP/1.1 200 OK"``; ``request_line`` e.g.
        ``"GET /a?b=c HTTP/1.1"``.
        """
        with self._lock:
            self._roll_if_needed()
            assert self._warc is not None
            date = warc_date(fetched_at)
            digest = payload_digest(body)
            common: dict[str, str] = {"WARC-Date": date}
            if ip_address:
                common["WARC-IP-Address"] = ip_address
            if revisit_of is not None:
                head = _RawHead(
                    status_line, normalise_response_headers(response_headers), is_request=False
                )
                extra = dict(common)
                if revisit_of.record_id:
                    extra["WARC-Refers-To"] = revisit_of.record_id
                record = self._warc.create_revisit_record(
                    url,
                    revisit_of.payload_digest or digest,
                    revisit_of.target_uri,
                    revisit_of.date,
                    http_headers=head,
                    warc_headers_dict=extra,
                )
                if revisit_of.profile == "server-not-modified":
                    record.rec_headers.replace_header("WARC-Profile", SERVER_NOT_MODIFIED)
            else:
                extra = dict(common, **{"WARC-Payload-Digest": digest})
                if truncated:
                    extra["WARC-Truncated"] = truncated
                record = self._response_record(url, status_line, response_headers, body, extra)
            response_ptr = self._write_record(record, durable=False)  # synced with its request

            req_head = _RawHead(request_line, request_headers, is_request=True)
            req_record = self._warc.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(request_body),
                length=len(request_body),
                http_headers=req_head,
                warc_headers_dict=dict(common, **{"WARC-Concurrent-To": response_ptr.record_id}),
            )
            request_ptr = self._write_record(req_record)
            return response_ptr, request_ptr

    def write_metadata(
        self,
        url: str,
        payload: Mapping[str, Any],
        fetched_at: datetime,
        concurrent_to: str | None = None,
    ) -> WarcPointer:
        """Write a ``metadata`` record (``application/json``) describing a capture of ``url``.

        Its WARC-Target-URI is ``METADATA_URI_PREFIX + url`` (see the constant for why).
        """
        with self._lock:
            self._roll_if_needed()
            assert self._warc is not None
            data = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
            headers = {"WARC-Date": warc_date(fetched_at)}
            if concurrent_to:
                headers["WARC-Concurrent-To"] = concurrent_to
            record = self._warc.create_warc_record(
                METADATA_URI_PREFIX + url,
                "metadata",
                payload=io.BytesIO(data),
                length=len(data),
                warc_content_type="application/json",
                warc_headers_dict=headers,
            )
            return self._write_record(record)  # `verify` holds every version to its record


SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class RevisitTarget(NamedTuple):
    """The earlier capture a revisit record refers to."""

    record_id: str | None
    date: str  # WARC-Date of the original
    target_uri: str
    #: ``server-not-modified`` for a 304 to a conditional request (the default: identical payload)
    profile: str | None = None
    #: for a 304: the payload digest of the capture it confirms (the 304 itself has none)
    payload_digest: str | None = None


def _local_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return ""


def _fsync_dir(directory: str) -> None:
    """Make a rename durable (POSIX needs the directory entry synced too)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
