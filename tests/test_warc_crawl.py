"""Two real Scrapy crawls of a local site, read back with warcio, FastWARC and cdxj-indexer."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from warcio.utils import Digester

from newsarchive.warc import list_warcs, read_cdxj, read_record, verify_warc
from newsarchive.warc.writer import FIDELITY_STATEMENT, METADATA_URI_PREFIX, payload_digest
from tests.warc_support import site
from tests.warc_support.fixtures import (  # noqa: F401 - fixture
    TwoCrawls,
    read_all_fastwarc,
    read_all_warcio,
    two_crawls,
)

NAME_RE = re.compile(r"^test-\d{20}-\d{5}-[A-Za-z0-9._-]+-\d+\.warc\.gz$")


def _records(path: Path):
    return read_all_warcio(path)


def _by_url(records, rec_type: str, suffix: str):
    return [
        r
        for r in records
        if r.rec_type == rec_type and r.headers.get("WARC-Target-URI", "").endswith(suffix)
    ]


def _one(records, rec_type: str, suffix: str):
    found = _by_url(records, rec_type, suffix)
    assert len(found) == 1, (rec_type, suffix, len(found))
    return found[0]


def _http_header(record, name: str) -> str | None:
    return next((v for k, v in record.http_headers if k.lower() == name.lower()), None)


def test_files_named_closed_and_valid_in_every_reader(two_crawls: TwoCrawls) -> None:
    assert len(two_crawls.files1) == 1 and len(two_crawls.files2) == 1
    assert not list(two_crawls.warc_dir.glob("*.open"))
    for path in two_crawls.files1 + two_crawls.files2:
        assert NAME_RE.match(path.name), path.name
        report = verify_warc(path)
        assert report.ok, report
        warcio_records = _records(path)
        fast_records = read_all_fastwarc(path)
        assert [r.headers["WARC-Record-ID"] for r in warcio_records] == [
            rid for _, rid, _ in fast_records
        ]
        assert report.records == len(warcio_records)
    # names sort by time: the second crawl's file sorts after the first's
    assert two_crawls.files1[0].name < two_crawls.files2[0].name


def test_warcinfo_first_with_provenance(two_crawls: TwoCrawls) -> None:
    import newsarchive

    for path in two_crawls.files1 + two_crawls.files2:
        first = _records(path)[0]
        assert first.rec_type == "warcinfo"
        assert first.headers["WARC-Filename"] == path.name
        info = first.raw_payload.decode()
        assert f"newsarchive/{newsarchive.__version__}" in info
        assert "operator: Test Operator <ops@example.invalid>" in info
        assert "description: newsarchive WARC test crawl" in info
        assert "robots: obey" in info
        assert "hostname: " in info
        assert FIDELITY_STATEMENT in info


def test_request_record_has_query_string_and_sent_headers(two_crawls: TwoCrawls) -> None:
    records = _records(two_crawls.files1[0])
    req = _one(records, "request", "/page?x=1&y=two")
    resp = _one(records, "response", "/page?x=1&y=two")
    assert f"{req.http_protocol} {req.http_statusline}" == "GET /page?x=1&y=two HTTP/1.1"
    names = {k.lower() for k, _ in req.http_headers}
    assert {"host", "user-agent", "accept", "accept-encoding"} <= names
    assert _http_header(req, "User-Agent") == "newsarchive-test (+https://example.invalid)"
    assert req.headers["WARC-Concurrent-To"] == resp.headers["WARC-Record-ID"]
    assert req.headers["WARC-Date"] == resp.headers["WARC-Date"]


def test_response_record_status_headers_body_ip(two_crawls: TwoCrawls) -> None:
    records = _records(two_crawls.files1[0])
    resp = _one(records, "response", "/page?x=1&y=two")
    assert resp.http_protocol == "HTTP/1.1" and resp.http_statusline == "200 OK"
    assert resp.raw_payload == site.PAGE_HTML
    assert _http_header(resp, "Server").startswith("TestSite/1.0")
    assert _http_header(resp, "Content-Type") == "text/html; charset=utf-8"
    assert resp.headers["WARC-IP-Address"] == "127.0.0.1"
    assert resp.headers["WARC-Payload-Digest"] == payload_digest(site.PAGE_HTML)
    assert resp.headers["WARC-Block-Digest"].startswith("sha1:")
    for suffix, status in [("/missing", "404 Not Found"), ("/error", "500 Internal Server Error")]:
        rec = _one(records, "response", suffix)
        assert rec.http_statusline == status
        assert rec.raw_payload in (b"<p>no such page</p>", b"<p>server error</p>")
    robots = _one(records, "response", "/robots.txt")
    assert robots.raw_payload == site.ROBOTS


def test_gzip_body_kept_compressed_and_digest_matches_warcio(two_crawls: TwoCrawls) -> None:
    resp = _one(_records(two_crawls.files1[0]), "response", "/gz")
    assert _http_header(resp, "Content-Encoding") == "gzip"
    assert resp.raw_payload == site.GZIP_BODY  # compressed bytes, not the HTML
    digester = Digester("sha1")
    digester.update(resp.raw_payload)
    assert resp.headers["WARC-Payload-Digest"] == str(digester)
    # the spider itself still got the decompressed page from HttpCompressionMiddleware
    row = next(r for r in two_crawls.rows1 if r["url"].endswith("/gz"))
    assert row["body_len"] == len(site.GZIP_HTML)


def test_chunked_response_has_no_contradicting_framing(two_crawls: TwoCrawls) -> None:
    resp = _one(_records(two_crawls.files1[0]), "response", "/chunked")
    assert _http_header(resp, "Transfer-Encoding") is None
    assert resp.raw_payload == b"".join(site.CHUNKS)


def test_one_record_pair_per_redirect_hop(two_crawls: TwoCrawls) -> None:
    records = _records(two_crawls.files1[0])
    hops = [("/r1", "301 Moved Permanently"), ("/r2", "302 Found"), ("/final", "200 OK")]
    dates = []
    for suffix, status in hops:
        resp = _one(records, "response", suffix)
        req = _one(records, "request", suffix)
        assert resp.http_statusline == status
        assert req.headers["WARC-Concurrent-To"] == resp.headers["WARC-Record-ID"]
        dates.append(resp.headers["WARC-Date"])
    assert _http_header(_one(records, "response", "/r1"), "Location") == "/r2"
    assert dates == sorted(dates) and len(set(dates)) == 3  # each hop has its own time
    row = next(r for r in two_crawls.rows1 if r["url"].endswith("/final"))
    assert [u.rsplit("/", 1)[1] for u in row["redirect_urls"]] == ["r1", "r2"]
    # the pointer in meta is the final hop's record, and WARC-Date == fetched_at
    final = _one(records, "response", "/final")
    assert row["warc"]["record_id"] == final.headers["WARC-Record-ID"]
    assert datetime.fromisoformat(row["fetched_at"]) == datetime.fromisoformat(
        final.headers["WARC-Date"].replace("Z", "+00:00")
    )


def test_dont_archive_is_respected(two_crawls: TwoCrawls) -> None:
    records = _records(two_crawls.files1[0])
    assert not _by_url(records, "response", "/skip")
    assert not _by_url(records, "request", "/skip")


def test_meta_pointers_resolve_to_their_records(two_crawls: TwoCrawls) -> None:
    for rows, files in [(two_crawls.rows1, two_crawls.files1), (two_crawls.rows2, two_crawls.files2)]:
        archived = [r for r in rows if r["warc"]]
        assert len(archived) == 6  # page, gz, final, missing, error, chunked
        for row in archived:
            ptr = row["warc"]
            assert ptr["filename"] == files[0].name
            rec = read_record(files[0].parent / ptr["filename"], ptr["offset"])
            assert rec.header("WARC-Record-ID") == ptr["record_id"]
            assert rec.header("WARC-Target-URI") == row["url"]
            assert rec.header("WARC-Date").replace("Z", "+00:00") == ptr["date"]
            assert rec.header("WARC-Type") == ("revisit" if ptr["revisit"] else "response")
            with open(files[0], "rb") as fh:  # length covers exactly one gzip member
                fh.seek(ptr["offset"] + ptr["length"])
                assert fh.read(2) in (b"\x1f\x8b", b"")
        skip = next(r for r in rows if r["url"].endswith("/skip"))
        assert skip["warc"] == {}


def test_metadata_record_beside_article(two_crawls: TwoCrawls) -> None:
    records = _records(two_crawls.files1[0])
    resp = _one(records, "response", "/page?x=1&y=two")
    meta = _one(records, "metadata", "/page?x=1&y=two")
    assert meta.headers["WARC-Target-URI"] == METADATA_URI_PREFIX + resp.headers["WARC-Target-URI"]
    assert meta.headers["Content-Type"] == "application/json"
    assert meta.headers["WARC-Concurrent-To"] == resp.headers["WARC-Record-ID"]
    assert meta.headers["WARC-Date"] == resp.headers["WARC-Date"]
    assert json.loads(meta.raw_payload) == {"title": "Harbour ferry", "version": 1}
    row = next(r for r in two_crawls.rows1 if "/page?" in r["url"])
    assert row["metadata"]["record_id"] == meta.headers["WARC-Record-ID"]
    assert read_record(two_crawls.files1[0], row["metadata"]["offset"]).body == meta.raw_payload


def test_second_crawl_writes_revisits_to_originals(two_crawls: TwoCrawls) -> None:
    first = _records(two_crawls.files1[0])
    second = _records(two_crawls.files2[0])
    assert not [r for r in first if r.rec_type == "revisit"]
    originals = {r.headers["WARC-Target-URI"]: r for r in first if r.rec_type == "response"}
    revisits = [r for r in second if r.rec_type == "revisit"]
    assert not [r for r in second if r.rec_type == "response"]
    assert {r.headers["WARC-Target-URI"] for r in revisits} == set(originals)
    for rev in revisits:
        orig = originals[rev.headers["WARC-Target-URI"]]
        assert rev.headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")
        assert rev.headers["WARC-Refers-To"] == orig.headers["WARC-Record-ID"]
        assert rev.headers["WARC-Refers-To-Target-URI"] == orig.headers["WARC-Target-URI"]
        assert rev.headers["WARC-Refers-To-Date"] == orig.headers["WARC-Date"]
        assert rev.headers["WARC-Payload-Digest"] == orig.headers["WARC-Payload-Digest"]
        assert rev.raw_payload == b""  # headers kept, body omitted
        assert rev.http_statusline == orig.http_statusline
    assert two_crawls.stats1["warc/records"] == 19  # 9 exchanges x 2 + 1 metadata
    assert "warc/revisits" not in two_crawls.stats1
    assert two_crawls.stats2["warc/revisits"] == 9


def test_cdxj_index_beside_each_file(two_crawls: TwoCrawls) -> None:
    for path in two_crawls.files1 + two_crawls.files2:
        index = Path(str(path) + ".cdxj")
        lines = list(read_cdxj(index))
        raw = [line for line in index.read_text().splitlines() if line]
        assert raw == sorted(raw)
        records = {r.headers["WARC-Record-ID"]: r for r in _records(path)}
        assert len(lines) == 9
        for line in lines:
            rec = records[line.fields["warc-record-id"]]
            assert line.fields["filename"] == path.name
            assert int(line.fields["offset"]) == rec.offset
            assert int(line.fields["length"]) == rec.length
            assert line.fields["digest"] == rec.headers["WARC-Payload-Digest"]
            assert line.timestamp == re.sub(r"\D", "", rec.headers["WARC-Date"])[:14]
            assert (line.fields["mime"] == "warc/revisit") == (rec.rec_type == "revisit")
        assert line.urlkey.startswith("1,0,0,127:")


def test_list_warcs_reports_sizes_and_counts(two_crawls: TwoCrawls) -> None:
    listing = list_warcs(two_crawls.warc_dir)
    assert [info.name for info in listing] == [p.name for p in two_crawls.files1 + two_crawls.files2]
    assert [info.records for info in listing] == [20, 20]  # warcinfo + 18 + metadata
    assert all(info.size == Path(info.path).stat().st_size for info in listing)
