"""``newsarchive replay`` in a subprocess on a real two-crawl archive: it starts pywb (from
its own virtualenv), serves archived captures (a revisit with its original's body) and
stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from newsarchive.db.models import Article, ArticleVersion, Capture
from tests.warc_support.pywb_env import VENV, ensure_pywb_venv, get

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def sqlite_archive(crawl, site):
    """The same two crawls into the default SQLite store only: what is checked here reads the
    WARC files (and the package), not the database, so the PostgreSQL variant adds nothing."""
    crawl()
    site.site.edition = 2
    crawl()
    return crawl
pytestmark = pytest.mark.slow


def replay_cmd(crawl, *args: str) -> list[str]:
    db = ["--db", crawl.db_url] if crawl.db_url else []
    return [sys.executable, "-m", "newsarchive", "replay", "--data-dir", str(crawl.data_dir), *db, *args]


def bodies(warc_dir: Path) -> dict[str, bytes]:
    """record id -> HTTP body of every response record (warcio, digests checked)."""
    out = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh, check_digests="raise"):
                if record.rec_type == "response":
                    out[record.rec_headers.get_header("WARC-Record-ID")] = record.content_stream().read()
    return out


def test_replay_serves_captures_and_stops_on_sigterm(sqlite_archive):
    archive = sqlite_archive
    ensure_pywb_venv()  # skips with pip's error when pywb cannot be installed
    env = dict(os.environ, PYTHONPATH=str(REPO), NEWSARCHIVE_PYWB_VENV=str(VENV))
    unknown = subprocess.run(replay_cmd(archive, "--outlet", "nope"), env=env, capture_output=True, text=True,
                             timeout=60)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1, unknown.stderr

    with archive.sessions()() as session:
        version = session.scalars(select(ArticleVersion).where(ArticleVersion.seq == 2)).first()
        first = session.get(Capture, version.first_capture_id)
        article_url = session.get(Article, version.article_id).record_url
        revisit = session.scalars(select(Capture).where(Capture.warc_revisit.is_(True),
                                                        Capture.payload_digest.is_not(None))).first()
        assert revisit is not None
        original = session.scalars(select(Capture).where(Capture.url == revisit.url,
                                                         Capture.warc_revisit.is_(False),
                                                         Capture.payload_digest == revisit.payload_digest)).first()
    warc_bodies = bodies(archive.data_dir / "warc")

    proc, port, seen, lines = start_replay(archive, env)
    try:
        stamp = first.fetched_at.strftime("%Y%m%d%H%M%S")
        status, headers, body = get(port, f"/news/{stamp}id_/{first.url}")
        assert status == 200 and body == warc_bodies[first.warc_record_id] and b"<p" in body
        stamp = revisit.fetched_at.strftime("%Y%m%d%H%M%S")
        status, headers, body = get(port, f"/news/{stamp}id_/{revisit.url}")
        assert status == 200 and body == warc_bodies[original.warc_record_id] and body
        assert headers["memento-datetime"].startswith(revisit.fetched_at.strftime("%a, %d %b %Y %H:%M:%S"))
        check_diff_links(archive, env, f"http://127.0.0.1:{port}/news", article_url, first, warc_bodies)
        # A second replay beside it (another port) builds its own collection: the first one
        # still serves what it served.
        other, other_port, _, _ = start_replay(archive, env)
        try:
            assert other_port != port
            collections = archive.data_dir / "replay"
            for served in (port, other_port):  # (with --outlet they would hold different files)
                assert (collections / f"port-{served}" / "collections" / "news" / "indexes" / "index.cdxj").exists()
            status, _, body = get(other_port, f"/news/{stamp}id_/{revisit.url}")
            assert status == 200 and body == warc_bodies[original.warc_record_id]
            status, _, body = get(port, f"/news/{stamp}id_/{revisit.url}")
            assert status == 200 and body == warc_bodies[original.warc_record_id]
        finally:
            other.send_signal(signal.SIGTERM)
            assert other.wait(timeout=60) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=60)
    time.sleep(0.5)
    rest = "".join(seen) + "".join(lines.get() for _ in range(lines.qsize()))
    assert status == 0, rest
    assert "Traceback" not in rest
    with socket.socket() as sock:  # pywb stopped with it: nothing listens on the port any more
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def start_replay(archive, env):
    """Start ``newsarchive replay`` on a free port; returns once it announces its address."""
    proc = subprocess.Popen(replay_cmd(archive, "--port", "0"), env=env, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    port = None
    deadline = time.monotonic() + 600  # the first run may build pywb's venv
    while port is None:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            pytest.fail("replay did not announce its address: " + "".join(seen))
        seen.append(line)
        found = re.search(r"http://127\.0\.0\.1:(\d+)/news/", line)
        port = int(found.group(1)) if found else None
        assert proc.poll() is None or port, "".join(seen)
    return proc, port, seen, lines


def diff(crawl, env: dict[str, str], *args: str) -> str:
    db = ["--db", crawl.db_url] if crawl.db_url else []
    result = subprocess.run([sys.executable, "-m", "newsarchive", "diff", "--data-dir", str(crawl.data_dir), *db,
                             *args], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_diff_links(crawl, env, base: str, article_url: str, capture, warc_bodies) -> None:
    """``diff`` (text and HTML) links each version to its capture, and the link replays it."""
    env = {k: v for k, v in env.items() if k != "NEWSARCHIVE_REPLAY_URL"}
    assert "as archived" not in diff(crawl, env, article_url)  # no replay server configured
    text = diff(crawl, env, article_url, "--replay-url", base)
    links = dict(re.findall(r"^  version (\d+) as archived: (\S+)$", text, re.M))
    assert set(links) == {"1", "2"}
    stamp = capture.fetched_at.strftime("%Y%m%d%H%M%S")
    assert links["2"] == f"{base}/{stamp}/{capture.url}"
    port = int(base.split(":")[2].split("/")[0])
    path = links["2"].removeprefix(f"http://127.0.0.1:{port}")
    status, _, _ = get(port, path)  # the framed page a reader opens
    assert status == 200
    status, _, body = get(port, path.replace(f"/{stamp}/", f"/{stamp}id_/", 1))
    assert status == 200 and body == warc_bodies[capture.warc_record_id]
    html = diff(crawl, dict(env, NEWSARCHIVE_REPLAY_URL=base), article_url, "--format", "html")
    assert f'<a href="{links["1"]}">version 1 as archived</a>' in html
    assert f'<a href="{links["2"]}">version 2 as archived</a>' in html
