"""Extraction health, on real crawls of a local outlet whose template changes between editions.

(1) the body moves into a client-rendered container and extraction returns the sidebar: broken,
in the same run; (2) a "Subscribe to our newsletter" paragraph appears in every article: the
storm is held out of the change feed, ``--reject`` keeps it out (and the archive does not
flip-flop when the template is fixed), ``--confirm`` releases another; (3) a normal edition
with a few real edits: healthy, the edits in the feed at once. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from newsarchive.db.models import Article, ArticleVersion, CrawlRun, Outlet, OutletRun
from newsarchive.db.queries import change_feed
from newsarchive.demo.site import SiteServer
from newsarchive.health import Thresholds, judge
from tests import health_site as H


@pytest.fixture
def site() -> Iterator[SiteServer]:
    """Overrides conftest's demo site: the crawl fixtures crawl the templated outlets."""
    with SiteServer(H.TemplatedSite()) as server:
        yield server


class Hook:
    """A local webhook receiver: every POSTed JSON body, in order."""

    def __init__(self) -> None:
        posts = self.posts = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.httpd.shutdown()
    receiver.httpd.server_close()


def cli(crawl, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``newsarchive`` in a child process, as cron runs it (exit status left to the caller)."""
    target = ["--db", crawl.db_url] if crawl.db_url else ["--data-dir", str(crawl.data_dir)]
    return subprocess.run([sys.executable, "-m", "newsarchive", *args, *target], capture_output=True,
                          text=True, env=dict(os.environ, **(env or {})), timeout=120)


def feed(crawl, since: datetime | None = None) -> list[dict]:
    """The change feed (``newsarchive changes``' query, in process: the commands are slow to start)."""
    with crawl.sessions()() as session:
        return list(change_feed(session, since=since))


def edits(rows: list[dict], outlet: str) -> list[dict]:
    return [r for r in rows if r["outlet"] == outlet and r["event"] == "version" and r["version"] > 1]


def health(crawl, *args: str) -> tuple[int, dict]:
    result = cli(crawl, "health", "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, {o["outlet"]: o for o in json.loads(result.stdout)["outlets"]}


def edition(site: SiteServer, number: int, template: str) -> None:
    site.site.edition, site.site.template = number, template


@pytest.mark.slow
def test_redesign_that_loses_the_body_is_broken_in_the_same_run(crawl_any_db, site, hook):
    webhook = (f"NEWSARCHIVE_HEALTH_WEBHOOK={hook.url}",)
    crawl_any_db("recrawl=all", settings=webhook)
    assert hook.posts == []  # a first healthy verdict is no news
    edition(site, 2, "redesign")
    crawl_any_db("recrawl=all", settings=webhook)

    report = crawl_any_db.last_report()
    assert report["outlets"]["ledger"]["health"] == "broken"
    assert report["outlets"]["courier"]["health"] == "healthy"
    status, outlets = health(crawl_any_db)
    assert status == 1
    ledger = outlets["ledger"]
    assert ledger["verdict"] == "broken"
    assert any("same text as another article 100%" in r for r in ledger["reasons"]), ledger["reasons"]
    run = ledger["runs"][0]
    assert run["figures"]["duplicate_text"] == 8 and run["figures"]["stored"] == 8
    # the sidebar text replaced every body: held, never published as eight edits
    assert run["storm"]["held_versions"] == 8
    assert any(H.SIDEBAR[0] == e["text"] for e in run["storm"]["common"])
    rows = feed(crawl_any_db)
    assert edits(rows, "ledger") == []
    assert len(edits(rows, "courier")) == 2
    # the alerting hook heard of the change of verdict, for that outlet only
    assert [(p["outlet"], p["previous"], p["verdict"]) for p in hook.posts] == [("ledger", "healthy", "broken")]
    text = cli(crawl_any_db, "health", "--outlet", "courier")
    assert text.returncode == 0 and "courier: HEALTHY" in text.stdout


@pytest.mark.slow
def test_newsletter_storm_is_held_rejected_then_another_confirmed(crawl_any_db, site):
    crawl_any_db("recrawl=all")
    edition(site, 2, "newsletter")  # from edition 2, two stories per outlet also carry a real update
    crawl_any_db("recrawl=all")
    storm_run = crawl_any_db.last_report()["run_id"]
    assert crawl_any_db.last_report()["outlets"]["ledger"]["health"] == "storm held"

    status, outlets = health(crawl_any_db)
    assert status == 1 and outlets["ledger"]["verdict"] == "storm held"
    assert outlets["courier"]["verdict"] == "healthy"
    held = outlets["ledger"]["runs"][0]
    assert held["storm"]["held_versions"] == 8 and held["storm"]["likely"] == "leaked boilerplate"
    assert held["leaked_text"] == [H.NEWSLETTER]
    rows = feed(crawl_any_db)
    assert edits(rows, "ledger") == [] and len(edits(rows, "courier")) == 2
    edited = site.url(next(p for p, s in site.site.paths.items()
                           if s.outlet == "ledger" and s.slug.startswith("harbour")))
    assert cli(crawl_any_db, "diff", edited).returncode == 2  # held versions are not diffed

    rejected = cli(crawl_any_db, "health", "--reject", str(storm_run))
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    assert "8 version(s) rejected" in rejected.stdout
    assert H.NEWSLETTER in cli(crawl_any_db, "health").stdout  # the leaked text, for a cleaning rule
    assert edits(feed(crawl_any_db), "ledger") == []

    # (a leak that persists after the rejection: test_a_killed_runs_storm_... below)
    # the template is fixed: compared with the last accepted version, only the real edits are new
    edition(site, 2, "classic")
    crawl_any_db("recrawl=all")
    assert health(crawl_any_db)[0] == 0
    ledger_edits = edits(feed(crawl_any_db), "ledger")
    assert len(ledger_edits) == 2
    assert all(r["change"]["kinds"] == ["added", "update_appended"] for r in ledger_edits)
    with crawl_any_db.sessions()() as session:
        counts = session.execute(select(Article.version_count).join(Outlet).where(Outlet.name == "ledger")).all()
        assert sorted(c for c, in counts) == [2] * 6 + [3] * 2  # v1, the rejected v2, (v3 = real edit)
        rejected_versions = session.scalars(select(ArticleVersion).where(ArticleVersion.review == "rejected")).all()
        assert len(rejected_versions) == 8

    # another leak, and this time a person confirms it: it enters the feed, with --since too
    edition(site, 2, "app")
    crawl_any_db("recrawl=all")
    app_run = crawl_any_db.last_report()["run_id"]
    assert crawl_any_db.last_report()["outlets"]["ledger"]["health"] == "storm held"
    before = datetime.now(UTC)
    assert [r for r in feed(crawl_any_db, before) if r["outlet"] == "ledger"] == []
    confirmed = cli(crawl_any_db, "health", "--confirm", str(app_run), "--outlet", "ledger")
    assert confirmed.returncode == 0 and "8 version(s) confirmed" in confirmed.stdout
    released = [r for r in feed(crawl_any_db, before) if r["outlet"] == "ledger"]
    assert len(released) == 8 and all(H.APP in r["change"]["added"] for r in released)
    assert cli(crawl_any_db, "diff", edited).returncode == 0


@pytest.mark.slow
def test_normal_edition_with_real_edits_is_healthy_and_in_the_feed(crawl_any_db, site):
    crawl_any_db("recrawl=all")
    edition(site, 2, "classic")
    crawl_any_db("recrawl=all")
    report = crawl_any_db.last_report()
    assert {o: report["outlets"][o]["health"] for o in ("ledger", "courier")} == {
        "ledger": "healthy", "courier": "healthy"}
    rows = feed(crawl_any_db)
    for outlet in ("ledger", "courier"):
        found = edits(rows, outlet)
        assert sorted(r["url"].rsplit("/", 1)[-1].split("-petition")[0] for r in found) == ["harbour", "old-town"]
        assert all(r["change"]["kinds"] == ["added", "update_appended"] for r in found)
    status, outlets = health(crawl_any_db)
    assert status == 0
    assert outlets["ledger"]["runs"][0]["figures"]["changed"] == 2
    with crawl_any_db.sessions()() as session:
        run = session.scalars(select(OutletRun).order_by(OutletRun.id.desc())).first()
        assert run.storm is None and run.review is None
        assert session.scalar(select(ArticleVersion).where(ArticleVersion.review.is_not(None))) is None


# -- the verdict rules, without a crawl ---------------------------------------------------------

FIGURES = {"article_pages": 20, "stored": 20, "checked": 20, "changed": 1, "short_share": 0.05,
           "error_share": 0.0, "duplicate_share": 0.0, "missing_title_share": 0.0,
           "missing_byline_share": 1.0, "missing_date_share": 0.0, "changed_share": 0.05,
           "length": {"p50": 2000}}
BASE = {**{k: v for k, v in FIGURES.items() if k.endswith("_share")}, "length_p50": 2100, "runs": 5}


def test_an_outlet_without_bylines_is_healthy_against_its_own_history():
    assert judge(FIGURES, BASE, None, None, Thresholds()) == ("healthy", [])


def test_bylines_lost_after_a_history_of_bylines_degrade():
    verdict, reasons = judge(FIGURES, {**BASE, "missing_byline_share": 0.0}, None, None, Thresholds())
    assert verdict == "degraded" and reasons == ["missing byline 100% (baseline 0%)"]


def test_text_much_shorter_than_usual_is_broken():
    verdict, reasons = judge({**FIGURES, "length": {"p50": 300}}, BASE, None, None, Thresholds())
    assert verdict == "broken" and "median text length 300 chars (baseline 2100)" in reasons


def test_many_different_changes_at_once_degrade_without_holding():
    verdict, reasons = judge({**FIGURES, "changed": 15, "changed_share": 0.75}, BASE, None, None, Thresholds())
    assert verdict == "degraded" and "each differently (not held)" in reasons[0]


# -- the review rules on stored rows, without a crawl (SQLite and PostgreSQL) -----------------------

LEAK = "Enjoying this story? Subscribe to our newsletter for the morning briefing."


def _content(i: int, *extra: str) -> dict:
    paragraphs = [*H._paragraphs(i), *extra]
    return {"title": f"Story {i}", "byline": "Ada Mwangi", "paragraphs": paragraphs,
            "published": H.PUBLISHED}


def _store_run(sessions, run_id: int, contents: list[dict], minutes: int) -> list[str]:
    from newsarchive.db import store

    at = datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(minutes=minutes)
    outcomes = []
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "ledger", {})
        for i, content in enumerate(contents):
            url = f"https://ledger.example/story-{i}"
            capture = store.add_capture(session, url=url, fetched_at=at, status=200, outlet_id=outlet.id,
                                        run_id=run_id)
            outcomes.append(store.record_article(session, outlet=outlet, canonical_url=url, content=content,
                                                 fetched_at=at, capture=capture, run_id=run_id,
                                                 pending=True).outcome)
    return outcomes


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_runs_storm_is_judged_by_the_next_run_and_rejection_does_not_flip_flop(sessions):
    from newsarchive import health as health_module
    from newsarchive.db import runs

    with sessions.begin() as session:
        first = runs.start_run(session, ["ledger"]).id
    _store_run(sessions, first, [_content(i) for i in range(6)], 0)
    with sessions.begin() as session:
        [result] = health_module.close_run(session, session.get(CrawlRun, first))
        assert result.verdict == "healthy" and result.previous is None
        crashed = runs.start_run(session, ["ledger"])
        crashed.pid, crashed_id = _dead_pid(), crashed.id
    assert _store_run(sessions, crashed_id, [_content(i, LEAK) for i in range(6)], 60) == ["new_version"] * 6
    with sessions() as session:  # pending: the run was never judged, nothing in the feed yet
        assert [r for r in change_feed(session) if r["version"] > 1] == []

    with sessions.begin() as session:  # what the next crawl's HealthMonitor does when it opens
        [stale] = runs.stale_runs(session, older_than=timedelta(hours=12))
        assert stale.id == crashed_id
        [result] = health_module.close_run(session, stale, status="interrupted")
        assert (result.previous, result.verdict) == ("healthy", "storm held")
    with sessions() as session:
        assert session.get(CrawlRun, crashed_id).status == "interrupted"
        held = session.scalars(select(OutletRun).where(OutletRun.run_id == crashed_id)).one()
        assert held.storm["held_versions"] == 6 and health_module.leaked_text(held.storm) == [LEAK]
        assert [r for r in change_feed(session) if r["version"] > 1] == []

    with sessions.begin() as session:
        between = runs.start_run(session, ["ledger"]).id
    # while the storm is held, a page back to its last accepted version is no edit ("reverted")
    assert _store_run(sessions, between, [_content(i) for i in range(6)], 90) == ["unchanged"] * 6
    with sessions.begin() as session:
        health_module.close_run(session, session.get(CrawlRun, between))
        [(result, changed)] = health_module.review_run(session, crashed_id, "rejected")
        assert changed == 6 and result.verdict == "healthy"
    with sessions.begin() as session:
        third = runs.start_run(session, ["ledger"]).id
    # the leak persists: a capture of the rejected version, no new version
    assert _store_run(sessions, third, [_content(i, LEAK) for i in range(6)], 120) == ["unchanged"] * 6
    with sessions.begin() as session:
        [result] = health_module.close_run(session, session.get(CrawlRun, third))
        assert result.verdict == "degraded"
        fourth = runs.start_run(session, ["ledger"]).id
    # the leak is gone: the last accepted version again, not a "reverted" version 3
    assert _store_run(sessions, fourth, [_content(i) for i in range(6)], 180) == ["unchanged"] * 6
    with sessions() as session:
        assert session.scalars(select(func.max(ArticleVersion.seq))).one() == 2
        assert [r for r in change_feed(session) if r["version"] > 1] == []
