"""Revisits written by ``-a recrawl=due`` replay in pywb as the capture they confirm.

A 304 to a conditional re-check is a ``server-not-modified`` revisit; a 200 with the same
payload is an ``identical-payload-digest`` revisit. Either way, asking pywb for the page at
the re-check's time must give the original capture's body, not a 304 or an empty page.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.schedule_site import StaticOutlet, StaticServer
from tests.test_recrawl import T0, Run
from tests.warc_support.pywb_env import ensure_pywb_venv, get, wayback

pytestmark = pytest.mark.slow


def _ts(warc_date: str) -> str:
    return re.sub(r"\D", "", datetime.fromisoformat(warc_date.replace("Z", "+00:00")).strftime("%Y%m%d%H%M%S"))


@pytest.mark.parametrize("honour", [True, False], ids=["server-not-modified", "identical-payload-digest"])
def test_pywb_replays_a_recheck_revisit_as_the_original_body(tmp_path, monkeypatch, honour):
    bin_dir = ensure_pywb_venv()
    outlet = StaticOutlet(count=1, honour_conditional=honour)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, "")
        run(T0, monkeypatch=monkeypatch)
        run("2026-03-01T08:20:00Z", "recrawl=due", monkeypatch=monkeypatch)
        url = f"{server.base_url}/daily/news/story-0"
        expected = outlet.page("/daily/news/story-0")
        if honour:
            assert any(h.get("if-none-match") for p, h in outlet.article_requests())
    records = {}
    warcs = sorted((run.data / "warc").glob("*.warc.gz"))
    for path in warcs:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_headers.get_header("WARC-Target-URI") == url and \
                        record.rec_type in ("response", "revisit"):
                    records[record.rec_type] = (record.rec_headers, record.http_headers)
    revisit, block = records["revisit"]
    original, original_block = records["response"]
    profile = "server-not-modified" if honour else "identical-payload-digest"
    assert revisit.get_header("WARC-Profile").endswith(profile)
    assert revisit.get_header("WARC-Refers-To-Target-URI") == url
    assert revisit.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
    # A 304's record repeats the confirmed response's status line and headers, updated by the
    # 304's own (RFC 9111 4.3.4): the ETag the server just confirmed, the stored Content-Type.
    assert block.get_statuscode() == "200"
    assert block.get_header("ETag") == original_block.get_header("ETag")
    assert block.get_header("Content-Type") == original_block.get_header("Content-Type")
    with wayback(bin_dir, tmp_path, warcs) as port:
        for headers in (original, revisit):
            code, replay_headers, body = get(port, f"/coll/{_ts(headers.get_header('WARC-Date'))}id_/{url}")
            assert code == 200, (headers.get_header("WARC-Type"), code, body[:300])
            assert body == expected
            assert replay_headers["memento-datetime"].startswith(
                datetime.strptime(_ts(headers.get_header("WARC-Date")), "%Y%m%d%H%M%S")
                .strftime("%a, %d %b %Y %H:%M:%S"))
