"""``newsarchive export --format wacz`` on a real two-crawl archive of the local news site:
one page per stored version, a package the ``wacz`` validator accepts, and pywb replaying
every page (and every revisit) from the WACZ alone."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from newsarchive.archivist.export_wacz import _merged_index
from newsarchive.db.models import Article, ArticleVersion, Capture, Outlet
from newsarchive.warc.writer import warc_date
from tests.test_archivist_verify import archive  # noqa: F401 - fixture: edition 1, then edition 2
from tests.warc_support.pywb_env import ensure_pywb_venv, ensure_wacz_venv, get, wayback

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def sqlite_archive(crawl, site):
    """The same two crawls into the default SQLite store only: what is checked here reads the
    WARC files (and the package), not the database, so the PostgreSQL variant adds nothing."""
    crawl()
    site.site.edition = 2
    crawl()
    return crawl


def export_wacz(crawl, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    db = ["--db", crawl.db_url] if crawl.db_url else []
    return subprocess.run([sys.executable, "-m", "newsarchive", "export", "--format", "wacz", "--out", str(out),
                           "--data-dir", str(crawl.data_dir), *db, *args],
                          capture_output=True, text=True, timeout=300, env=env)


def pages_of(wacz: zipfile.ZipFile) -> tuple[dict, list[dict]]:
    header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()]
    return header, pages


def records_of(wacz: zipfile.ZipFile) -> list[tuple[str, dict[str, str], bytes]]:
    """(WARC-Type, headers, HTTP body) of every record in the package's WARC files."""
    out = []
    for name in wacz.namelist():
        if name.startswith("archive/"):
            for record in ArchiveIterator(io.BytesIO(wacz.read(name)), check_digests=True):
                body = record.content_stream().read() if record.rec_type == "response" else b""
                assert not record.digest_checker.problems, record.digest_checker.problems
                out.append((record.rec_type, dict(record.rec_headers.headers), body))
    return out


def zipnum_lines(idx: bytes, cdx_gz: bytes) -> list[str]:
    """Check a ZipNum index (``!meta`` header, then first key, offset, length and sha256 of
    each gzip block, blocks back to back) against its ``.cdx.gz``; return the CDXJ lines."""
    header, *entries = idx.decode().splitlines()
    assert header.startswith("!meta 0 ")
    assert json.loads(header.split(" ", 2)[2]) == {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}
    lines: list[str] = []
    end = 0
    for entry in entries:
        key, _, info = entry.partition(" {")
        info = json.loads("{" + info)
        assert info["offset"] == end
        block = cdx_gz[end:end + info["length"]]
        assert info["digest"] == "sha256:" + hashlib.sha256(block).hexdigest()
        text = gzip.decompress(block).decode().splitlines()  # one whole gzip member
        assert text and text[0].startswith(key + " {")
        lines += text
        end += info["length"]
    assert end == len(cdx_gz)
    return lines


def test_the_index_blocks_are_sorted_gzip_members_each_named_in_the_idx(tmp_path):
    """Several blocks (the package test's small archive fills only one): merged, sorted, every
    block its own gzip member starting at the key its ``.idx`` line names."""
    a, b = tmp_path / "a.cdxj", tmp_path / "b.cdxj"
    a.write_text("".join(f'org,example)/a{i:02d} 20260105100000 {{"filename": "a.warc.gz"}}\n'
                         for i in range(0, 10, 2)), encoding="utf-8")
    b.write_text("!meta 0 {}\n" + "".join(f'org,example)/a{i:02d} 20260105110000 {{"filename": "b.warc.gz"}}\n'
                                          for i in range(1, 10, 2)), encoding="utf-8")
    cdx, idx = tmp_path / "index.cdx.gz", tmp_path / "index.idx"
    assert _merged_index([str(a), str(b)], str(cdx), str(idx), block_lines=3) == 10
    lines = zipnum_lines(idx.read_bytes(), cdx.read_bytes())
    assert len(idx.read_text().splitlines()) == 1 + 4  # header, then ceil(10 / 3) blocks
    assert lines == sorted(lines) and [line.split(" ")[0][-2:] for line in lines] == [f"{i:02d}" for i in range(10)]


def stored_versions(crawl, outlet: str | None = None) -> set[tuple[str, str, str]]:
    """(capture URL, WARC-Date of the first capture, title) of every stored version."""
    with crawl.sessions()() as session:
        query = (select(ArticleVersion, Capture).join(Capture, ArticleVersion.first_capture_id == Capture.id)
                 .join(Article, ArticleVersion.article_id == Article.id)
                 .join(Outlet, Article.outlet_id == Outlet.id))
        if outlet:
            query = query.where(Outlet.name == outlet)
        return {(c.url, warc_date(c.fetched_at), f"{v.title} (version {v.seq})")
                for v, c in session.execute(query)}


def test_pages_are_the_stored_versions_and_the_package_is_whole(archive, tmp_path):
    out = tmp_path / "all.wacz"
    result = export_wacz(archive, out)
    assert result.returncode == 0, result.stderr
    with archive.sessions()() as session:
        n_versions = session.scalar(select(func.count()).select_from(ArticleVersion))
        assert session.scalar(select(func.max(ArticleVersion.seq))) >= 2  # edition 2 made new versions
    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl",
                "indexes/index.cdx.gz", "indexes/index.idx"} <= names
        header, pages = pages_of(wacz)
        assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
        # (c) exactly one page per stored version: url, ts as WARC-Date, headline + version number
        assert len(pages) == n_versions
        assert {(p["url"], p["ts"], p["title"]) for p in pages} == stored_versions(archive)
        assert len({p["id"] for p in pages}) == len(pages)
        assert any(p["title"].endswith("(version 2)") for p in pages)
        # each page's ts is the WARC-Date of a response record of that URL in the package
        records = records_of(wacz)
        dated = {(h["WARC-Target-URI"], h["WARC-Date"]) for kind, h, _ in records if kind == "response"}
        assert all((p["url"], p["ts"]) in dated for p in pages)
        # every revisit's original travels with it
        ids = {h["WARC-Record-ID"] for _, h, _ in records}
        revisits = [h for kind, h, _ in records if kind == "revisit"]
        assert revisits and all(h["WARC-Refers-To"] in ids for h in revisits)
        # the index: CDXJ, sorted, every line naming a WARC of archive/
        lines = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode().splitlines()
        assert lines == sorted(lines) and len(lines) >= len(pages) + len(revisits)
        warcs = {n.removeprefix("archive/") for n in names if n.startswith("archive/")}
        assert {json.loads(line.split(" ", 2)[2])["filename"] for line in lines} <= warcs
        # ... as a ZipNum cluster: index.idx names each gzip block (ReplayWeb.page reads only this)
        assert zipnum_lines(wacz.read("indexes/index.idx"), wacz.read("indexes/index.cdx.gz")) == lines
        # datapackage: every file with its sha256 and size; stored (not deflated) WARCs and index
        package = json.loads(wacz.read("datapackage.json"))
        assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
        assert package["created"] and package["software"].startswith("newsarchive")
        listed = {r["path"]: r for r in package["resources"]}
        assert set(listed) == names - {"datapackage.json", "datapackage-digest.json"}
        for name, resource in listed.items():
            data = wacz.read(name)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and resource["bytes"] == len(data)
            if not name.endswith(".jsonl"):
                assert wacz.getinfo(name).compress_type == zipfile.ZIP_STORED
        digest = json.loads(wacz.read("datapackage-digest.json"))
        assert digest == {"path": "datapackage.json",
                          "hash": "sha256:" + hashlib.sha256(wacz.read("datapackage.json")).hexdigest()}
    # one outlet: only its versions
    ledger = tmp_path / "ledger.wacz"
    result = export_wacz(archive, ledger, "--outlet", "ledger")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(ledger) as wacz:
        _, pages = pages_of(wacz)
    assert {(p["url"], p["ts"], p["title"]) for p in pages} == stored_versions(archive, "ledger")
    assert pages and all(p["outlet"] == "ledger" for p in pages)
    # one article (any URL variant): its versions only
    url = next(p["article"] for p in pages if p["version"] == 2)
    story = tmp_path / "story.wacz"
    result = export_wacz(archive, story, "--url", url)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(story) as wacz:
        _, pages = pages_of(wacz)
    assert [p["version"] for p in pages] == [1, 2] and {p["article"] for p in pages} == {url}
    empty = export_wacz(archive, tmp_path / "none.wacz", "--until", "2000-01-01")
    assert empty.returncode == 2 and "nothing to package" in empty.stderr
    assert not (tmp_path / "none.wacz").exists() and not list(tmp_path.glob(".wacz-*"))
    bad = export_wacz(archive, tmp_path / "x.zip")
    assert bad.returncode == 2 and ".wacz" in bad.stderr and bad.stderr.count("\n") == 1


def _ts14(warc_date_text: str) -> str:
    return "".join(ch for ch in warc_date_text if ch.isdigit())[:14]


@pytest.mark.slow
def test_the_wacz_validates_and_pywb_replays_every_page_from_it(sqlite_archive, tmp_path):
    out = tmp_path / "archive.wacz"
    result = export_wacz(sqlite_archive, out)
    assert result.returncode == 0, result.stderr
    # (a) py-wacz's validator, from its own environment
    validate = subprocess.run([str(ensure_wacz_venv() / "wacz"), "validate", "-f", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "Validation succeeded" in validate.stdout
    with zipfile.ZipFile(out) as wacz:
        _, pages = pages_of(wacz)
        records = records_of(wacz)
    bodies = {h["WARC-Record-ID"]: body for kind, h, body in records if kind == "response"}
    by_date = {(h["WARC-Target-URI"], h["WARC-Date"]): body for kind, h, body in records if kind == "response"}
    revisits = [h for kind, h, _ in records if kind == "revisit"]
    assert revisits
    # (b) pywb loads the WACZ itself (wb-manager add --unpack-wacz: its WARCs and index.cdx.gz,
    # read whole; it ignores index.idx)
    root = tmp_path / "pywb"
    root.mkdir()
    with wayback(ensure_pywb_venv(), root, [out], "--unpack-wacz") as port:
        for page in pages:
            status, headers, body = get(port, f"/coll/{_ts14(page['ts'])}id_/{page['url']}")
            assert status == 200, page
            assert body == by_date[(page["url"], page["ts"])], page
        for revisit in revisits:  # a revisit replays its original's body
            status, headers, body = get(port, f"/coll/{_ts14(revisit['WARC-Date'])}id_/{revisit['WARC-Target-URI']}")
            assert status == 200, revisit
            assert body == bodies[revisit["WARC-Refers-To"]], revisit
