"""Bodies in every advertised Content-Encoding survive verify, repair, indexing and replay.

Scrapy sends ``Accept-Encoding: gzip, deflate, br, zstd`` and the archive stores bodies as
received; a record check that decoded content once took brotli records for torn ones and cut
good records off a crashed file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsarchive.warc import RollingWarcWriter, read_record, repair_file, verify_warc, write_cdxj
from newsarchive.warc.encodings import decode_body, encode_body
from newsarchive.warc.index import read_cdxj
from newsarchive.warc.writer import OPEN_SUFFIX
from tests.warc_support.fixtures import read_all_fastwarc
from tests.warc_support.site import ENCODINGS, encoded_body

WHEN = datetime(2026, 1, 5, 21, 0, 0, 123456, tzinfo=UTC)


def _write(directory: Path, bodies: list[tuple[str, bytes]]) -> Path:
    writer = RollingWarcWriter(directory, "enc")
    for n, (coding, body) in enumerate(bodies):
        writer.write_exchange(
            url=f"http://outlet.example/{coding}/{n}", fetched_at=WHEN,
            request_line=f"GET /{coding}/{n} HTTP/1.1",
            request_headers=[(b"Host", b"outlet.example"),
                             (b"Accept-Encoding", b"gzip, deflate, br, zstd")],
            request_body=b"", status_line="HTTP/1.1 200 OK",
            response_headers=[(b"Content-Type", b"text/html"),
                              (b"Content-Encoding", coding.encode()),
                              (b"Content-Length", str(len(body)).encode())],
            body=body)
    path = Path(writer.current_path)
    writer._file.flush()  # keep it open: the crash tests cut the .open file
    return path


def _bodies(rounds: int = 3) -> list[tuple[str, bytes]]:
    return [(c, encoded_body(c, n)) for n in range(rounds) for c in ENCODINGS]


@pytest.mark.parametrize("coding", ENCODINGS)
def test_decode_body_round_trips_every_advertised_encoding(coding: str) -> None:
    data = b"<p>Harbour ferry</p>" * 100
    assert decode_body(encode_body(data, coding), coding) == data
    assert decode_body(encode_body(encode_body(data, coding), "gzip"), f"{coding}, gzip") == data


def test_warcio_cannot_decode_current_brotli_so_checks_must_not_decode(tmp_path: Path) -> None:
    """The premise: warcio's content_stream() fails on a br body that is perfectly valid."""
    path = _write(tmp_path, [("br", encoded_body("br", 1))])
    with open(path, "rb") as fh:
        records = list(ArchiveIterator(fh))
    with open(path, "rb") as fh:
        response = [r for r in ArchiveIterator(fh) if r.rec_type == "response"][0]
        with pytest.raises(Exception):  # noqa: B017 - any failure proves the premise
            response.content_stream().read()
    assert len(records) == 3


def test_verify_accepts_a_closed_file_with_every_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path, _bodies())
    closed = Path(str(path)[: -len(OPEN_SUFFIX)])
    path.rename(closed)
    report = verify_warc(closed)
    assert report.ok, report
    assert report.records == 1 + 2 * 3 * len(ENCODINGS)
    # FastWARC (block and payload digests) and cdxj-indexer read it too
    read_all_fastwarc(closed)
    index = write_cdxj(closed)
    lines = list(read_cdxj(index))
    assert len(lines) == 3 * len(ENCODINGS)
    # the reader hands back the stored bytes; decoding them gives the page
    for line in lines:
        record = read_record(closed, int(line.fields["offset"]))
        coding = dict((k.lower(), v) for k, v in record.http_headers)["content-encoding"]
        assert decode_body(record.body, coding).startswith(b"<html><body><p>")


@pytest.mark.parametrize("cut", [1, 17, 100])
def test_repair_keeps_every_complete_record_whatever_its_encoding(tmp_path: Path, cut: int) -> None:
    """A torn tail is cut; every complete br/zstd/gzip/deflate record before it stays."""
    path = _write(tmp_path, _bodies())
    full = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(full - cut)
    action = repair_file(path)
    assert action.action == "truncated", action
    # the last exchange lost its request record; everything before is kept
    assert action.records_kept == 1 + 2 * 3 * len(ENCODINGS) - 1
    assert verify_warc(action.closed_path).ok


def test_record_command_shows_each_encoding_decoded(tmp_path: Path) -> None:
    """`newsarchive record` (via the reader + decode_body) prints decoded text for br and zstd."""
    src = _write(tmp_path, [("zstd", encoded_body("zstd", 2))])
    closed = Path(str(src)[: -len(OPEN_SUFFIX)])
    shutil.move(src, closed)
    record = read_record(closed, next(int(l.fields["offset"]) for l in read_cdxj(write_cdxj(closed))))
    assert b"harbour" in decode_body(record.body, "zstd") or b"ferry" in decode_body(record.body, "zstd")
    # and warcio's own CLI check (what archivists run) passes on the file
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(closed)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
