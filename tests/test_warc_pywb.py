"""Replay the two-crawl WARCs through pywb (in its own venv) and compare bytes."""

from __future__ import annotations

import gzip
import re
from datetime import datetime

import pytest

from tests.warc_support import site
from tests.warc_support.fixtures import TwoCrawls, two_crawls  # noqa: F401 - fixture
from tests.warc_support.pywb_env import ensure_pywb_venv, get, wayback

pytestmark = pytest.mark.slow  # registered in pyproject; still part of the default run


def _ts(iso: str) -> str:
    return re.sub(r"\D", "", datetime.fromisoformat(iso).strftime("%Y%m%d%H%M%S"))


def _row(rows: list[dict], suffix: str) -> dict:
    return next(r for r in rows if r["url"].endswith(suffix))


def _decoded(headers: dict[str, str], body: bytes) -> bytes:
    if headers.get("content-encoding") == "gzip":
        return gzip.decompress(body)
    return body


def test_pywb_replays_originals_and_resolves_revisits(two_crawls: TwoCrawls, tmp_path) -> None:
    bin_dir = ensure_pywb_venv()
    ts1 = _ts(_row(two_crawls.rows1, "/page?x=1&y=two")["fetched_at"])
    ts2 = _ts(_row(two_crawls.rows2, "/page?x=1&y=two")["fetched_at"])
    assert ts1 != ts2  # the fixture keeps the crawls in different seconds
    warcs = two_crawls.files1 + two_crawls.files2
    with wayback(bin_dir, tmp_path, warcs) as port:
        page_url = two_crawls.base + "/page?x=1&y=two"
        for ts in (ts1, ts2):  # ts2 is a revisit record: pywb must fetch the original body
            status, headers, body = get(port, f"/coll/{ts}id_/{page_url}")
            assert status == 200
            assert body == site.PAGE_HTML
            assert headers["memento-datetime"].startswith(
                datetime.strptime(ts, "%Y%m%d%H%M%S").strftime("%a, %d %b %Y %H:%M:%S")
            )
        gz_url = two_crawls.base + "/gz"
        for rows in (two_crawls.rows1, two_crawls.rows2):
            ts = _ts(_row(rows, "/gz")["fetched_at"])
            status, headers, body = get(port, f"/coll/{ts}id_/{gz_url}")
            assert status == 200
            # pywb may pass the gzip bytes through or decode them; either way same content
            assert body == site.GZIP_BODY or _decoded(headers, body) == site.GZIP_HTML
        ts_missing = _ts(_row(two_crawls.rows2, "/missing")["fetched_at"])
        status, _, body = get(port, f"/coll/{ts_missing}id_/{two_crawls.base}/missing")
        assert status == 404 and body == b"<p>no such page</p>"
