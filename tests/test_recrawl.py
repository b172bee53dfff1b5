"""``-a recrawl=due``: only what is due, conditional GETs, 304 revisits, the unchanged fast path."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from newsarchive.db.models import Article, ArticleVersion, Capture
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from tests.schedule_site import StaticOutlet, StaticServer

pytestmark = pytest.mark.slow

T0 = "2026-03-01T08:00:00Z"


class Run:
    def __init__(self, server: StaticServer, tmp_path: Path, db_url: str):
        self.data = tmp_path / "data"
        self.outlets = tmp_path / "outlets.toml"
        self.outlets.write_text(server.outlets_toml())
        self.db_url = db_url

    def __call__(self, now: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("NEWSARCHIVE_NOW", now)
        result = crawl_subprocess(self.outlets, self.data, db_url=self.db_url,
                                  settings=(*FAST_LOCAL, "LOG_LEVEL=INFO"), spider_args=args)
        assert result.returncode == 0, result.stderr[-3000:]

    def sessions(self):
        from newsarchive.db.engine import db_url_from, open_database

        return open_database(db_url_from({"NEWSARCHIVE_DB_URL": self.db_url,
                                          "NEWSARCHIVE_DATA_DIR": str(self.data)}))

    def records(self) -> list:
        found = []
        for path in sorted((self.data / "warc").glob("*.warc.gz")):
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream):
                    found.append((record.rec_type, dict(record.rec_headers.headers),
                                  record.http_headers.get_statuscode() if record.http_headers else None))
        return found


@pytest.mark.parametrize("honour", [True, False], ids=["honours-etag", "ignores-etag"])
def test_due_rechecks_are_conditional_and_unchanged_pages_make_no_version(tmp_path, db_url, monkeypatch, honour):
    outlet = StaticOutlet(count=3, honour_conditional=honour)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, db_url)
        run(T0, monkeypatch=monkeypatch)
        assert len(outlet.article_requests()) == 3
        sessions = run.sessions()
        with sessions() as session:
            articles = session.scalars(select(Article)).all()
            assert len(articles) == 3 and all(a.next_check_at is not None for a in articles)

        outlet.requests.clear()
        run("2026-03-01T08:02:00Z", "recrawl=due", monkeypatch=monkeypatch)
        assert outlet.article_requests() == []  # nothing due yet: not even the listing links
        assert not any(p == "/daily/" for p, _ in outlet.requests)  # listing polled 2 min ago

        outlet.edit("story-1", "Update: the council has now confirmed the closure date.")
        outlet.requests.clear()
        run("2026-03-01T08:20:00Z", "recrawl=due", monkeypatch=monkeypatch)
        rechecks = outlet.article_requests()
        assert sorted(p for p, _ in rechecks) == [f"/daily/news/story-{n}" for n in range(3)]
        assert all("if-none-match" in h and "if-modified-since" in h for _, h in rechecks)

    with sessions() as session:
        versions = session.scalars(select(ArticleVersion)).all()
        assert len(versions) == 4  # three stories, one edit
        outcomes = sorted(c.outcome for c in session.scalars(select(Capture).where(Capture.source == "recrawl")))
        expected = "not_modified" if honour else "identical"
        assert outcomes == sorted([expected, expected, "new_version"])
        rechecked = session.scalars(select(Capture).where(Capture.outcome == expected)).all()
        assert all(c.version_id is not None and c.warc_revisit for c in rechecked)
        assert all(a.check_count == 2 for a in session.scalars(select(Article)))
    revisits = [h for kind, h, _ in run.records() if kind == "revisit"]
    profile = "server-not-modified" if honour else "identical-payload-digest"
    mine = [h for h in revisits if h["WARC-Profile"].endswith(profile) and "/daily/news/" in h["WARC-Target-URI"]]
    assert len(mine) == 2
    responses = {h["WARC-Record-ID"]: h for kind, h, status in run.records() if kind == "response" and status == "200"}
    for headers in mine:
        original = responses[headers["WARC-Refers-To"]]
        assert original["WARC-Target-URI"] == headers["WARC-Refers-To-Target-URI"] == headers["WARC-Target-URI"]
        assert headers["WARC-Refers-To-Date"] == original["WARC-Date"]


def _newsarchive(*args: str, env: dict[str, str]):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "newsarchive", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_recrawl_command_lock_summary_log_dry_run_and_status(tmp_path, monkeypatch, db_url):
    import fcntl
    import os

    outlet = StaticOutlet(count=2)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, db_url)
        env = dict(os.environ, NEWSARCHIVE_OUTLETS=str(run.outlets), NEWSARCHIVE_DATA_DIR=str(run.data),
                   NEWSARCHIVE_DB_URL=db_url, NEWSARCHIVE_ALLOW_ADDRESSES="127.0.0.1", NEWSARCHIVE_NOW=T0)
        fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
        first = _newsarchive("recrawl", *fast, env=env)  # a fresh data dir: the listing is due, logs made
        assert first.returncode == 0, first.stderr
        assert "daily: checked 0, changed 0, new 2, errors 0" in first.stdout
        assert len(list((run.data / "logs").glob("recrawl-*.log"))) == 1
        assert "Traceback" not in first.stderr and first.stderr.strip() == "", first.stderr[-4000:]

        env["NEWSARCHIVE_NOW"] = "2026-03-01T08:30:00Z"
        dry = _newsarchive("recrawl", "--dry-run", env=env)
        assert dry.returncode == 0 and dry.stdout.count("article  daily") == 2
        assert "outlet daily: 2 article(s) due" in dry.stdout

        outlet.requests.clear()
        with open(run.data / "recrawl.lock", "a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = _newsarchive("recrawl", env=env)
        assert locked.returncode == 75
        assert len(locked.stderr.strip().splitlines()) == 1 and "another run holds" in locked.stderr
        assert outlet.requests == []

        second = _newsarchive("recrawl", "--budget", "1", *fast, env=env)
        assert second.returncode == 0, second.stderr
        assert "daily: checked 1, changed 0, new 0, errors 0" in second.stdout
        assert len(outlet.article_requests()) == 1  # the budget left the other one due
        status = _newsarchive("status", env=env)
        assert status.returncode == 0
        assert "daily: 2 tracked (0 past max_age), 1 due now" in status.stdout
        assert "last 24 h: 3 checked, 0 changed" in status.stdout  # 24 h before NEWSARCHIVE_NOW
        assert "last recrawl 2026-03-01 08:30 UTC, finished, exit 0" in status.stdout


def test_recrawl_exit_codes_as_cron_sees_them(tmp_path):
    import os
    import socket

    outlet = StaticOutlet(count=1)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, "")
        env = dict(os.environ, NEWSARCHIVE_OUTLETS=str(run.outlets), NEWSARCHIVE_DATA_DIR=str(run.data),
                   NEWSARCHIVE_ALLOW_ADDRESSES="127.0.0.1")
        usage = _newsarchive("recrawl", "--outlet", "nosuch", env=env)
        assert usage.returncode == 2 and "no outlet named 'nosuch'" in usage.stderr
        assert "Traceback" not in usage.stderr and outlet.requests == []
        clock = _newsarchive("recrawl", env=dict(env, NEWSARCHIVE_NOW="yesterday"))
        assert clock.returncode == 2 and clock.stderr.strip().splitlines() == [
            "newsarchive recrawl: error: NEWSARCHIVE_NOW='yesterday' is not an ISO 8601 time "
            "(e.g. 2026-01-05T21:00:00Z)"]
        broken = tmp_path / "broken.toml"
        broken.write_text("[[outlet]\nname = 'x'\n")
        config = _newsarchive("recrawl", env=dict(env, NEWSARCHIVE_OUTLETS=str(broken)))
        assert config.returncode == 2 and "not valid TOML" in config.stderr and "Traceback" not in config.stderr
        down = dict(env, NEWSARCHIVE_DB_URL="postgresql://archive:s3cret@127.0.0.1:1/news")
        for verb in (["recrawl"], ["recrawl", "--dry-run"], ["status"]):
            unavailable = _newsarchive(*verb, env=down)
            assert unavailable.returncode == 69, (verb, unavailable.stderr)
            lines = unavailable.stderr.strip().splitlines()
            assert len(lines) == 1 and "error: database:" in lines[0] and "s3cret" not in lines[0], verb
        assert outlet.requests == []
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        run.outlets.write_text(server.outlets_toml().replace(server.base_url, f"http://127.0.0.1:{port}"))
        dead = _newsarchive("recrawl", "-s", "RETRY_TIMES=0", env=env)
        assert dead.returncode == 1 and "failed entirely" in dead.stderr, dead.stderr
