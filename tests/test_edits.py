"""Every kind of edit, made by a local newsroom across five editions and crawled for real.

One module-scoped scenario crawls editions 1..5 with ``scrapy crawl news -a recrawl=all``
(as cron would run it); each test then checks one story's stored versions and change record.
A shorter run covers SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from newsarchive.changes import ChangeRecord
from newsarchive.db.engine import default_db_url, open_database
from newsarchive.db.models import Article, ArticleVersion, Capture, Change
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import SiteServer, outlets_toml, story_path
from tests import edits_site as E

EDITIONS = 5


@pytest.fixture
def site() -> Iterator[SiteServer]:
    """Overrides conftest's demo site: the crawl/crawl_any_db fixtures crawl the edits outlet."""
    with SiteServer(E.edits_site()) as server:
        yield server


class Scenario:
    def __init__(self, server: SiteServer, data_dir: Path):
        self.server, self.data_dir = server, data_dir
        self.sessions = open_database(default_db_url(data_dir))

    def url(self, key: str) -> str:
        return self.server.url(E.path(key))

    def article(self, key: str) -> Article:
        with self.sessions() as session:
            return session.scalars(select(Article).where(Article.canonical_url == self.url(key))).one()

    def versions(self, key: str) -> list[ArticleVersion]:
        with self.sessions() as session:
            article = session.scalars(select(Article).where(Article.canonical_url == self.url(key))).one()
            return list(article.versions)

    def changes(self, key: str) -> list[Change]:
        with self.sessions() as session:
            article_id = session.scalar(select(Article.id).where(Article.canonical_url == self.url(key)))
            return list(session.scalars(select(Change).where(Change.article_id == article_id)
                                        .order_by(Change.id)))

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The ``newsarchive`` command in a child process, as cron runs it."""
        result = subprocess.run([sys.executable, "-m", "newsarchive", *args,
                                 "--data-dir", str(self.data_dir)],
                                capture_output=True, text=True, env=dict(os.environ), timeout=120)
        assert result.returncode == 0, result.stderr
        return result


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("edits")
    with SiteServer(E.edits_site()) as server:
        outlets = root / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        for edition in range(1, EDITIONS + 1):
            E.to_edition(server.site, edition)
            result = crawl_subprocess(outlets, root / "data", settings=FAST_LOCAL,
                                      spider_args=["recrawl=all"])
            assert result.returncode == 0, result.stderr[-3000:]
        yield Scenario(server, root / "data")


def only_change(scenario: Scenario, key: str) -> Change:
    found = scenario.changes(key)
    assert len(found) == 1, [c.kinds for c in found]
    return found[0]


def test_appended_update_paragraph(scenario):
    change = only_change(scenario, "update")
    assert change.kinds == ["added", "update_appended"]
    assert change.detail["added"] == [E.PIER_UPDATE]
    assert change.detail["removed"] == [] and change.detail["edited"] == []
    assert [v.seq for v in scenario.versions("update")] == [1, 2]


def test_latest_line_at_the_top(scenario):
    change = only_change(scenario, "latest")
    assert change.kinds == ["added", "latest_line"]
    assert change.detail["added"] == [E.DREDGE_LATEST]
    assert scenario.versions("latest")[-1].paragraphs[0] == E.DREDGE_LATEST


def test_correction_of_a_figure_with_a_note(scenario):
    change = only_change(scenario, "correction")
    assert change.kinds == ["added", "correction", "edited"]
    assert change.detail["added"] == [E.COSTS_NOTE]
    assert change.detail["edited"] == [{"old": E.COSTS[1], "new": E.COSTS_FIXED[1]}]
    assert change.detail["removed"] == []


def test_softened_headline(scenario):
    change = only_change(scenario, "headline")
    assert change.kinds == ["headline_changed"]
    assert change.detail["headline"] == {"old": E.CLUB_TITLE, "new": E.CLUB_TITLE_SOFT}
    assert change.detail["added"] == [] and change.detail["removed"] == []


def test_byline_change(scenario):
    change = only_change(scenario, "byline")
    assert change.kinds == ["byline_changed"]
    assert [v.byline for v in scenario.versions("byline")] == ["Ada Mwangi", "Ada Mwangi, Jonas Feld"]  # as the cleaner splits it


def test_deleted_paragraph(scenario):
    change = only_change(scenario, "deleted")
    assert change.kinds == ["deleted", "paragraph_deleted"]
    assert change.detail["removed"] == ["A driver who asked not to be named said staff had not been told.",
                                        "Several drivers fear for their jobs."]
    assert change.detail["added"] == []


def test_moved_paragraph(scenario):
    change = only_change(scenario, "moved")
    assert change.kinds == ["moved"]
    assert change.detail["moved"] == [E.SCHOOL[3]]
    assert change.detail["added"] == [] and change.detail["removed"] == []


def test_live_entries_with_24_hour_wire_time_stamps_on_top_are_updates(scenario):
    """"1935 GMT - ..." above the story: an update, though it is not after the published end."""
    changes = scenario.changes("liveblog")
    assert [c.kinds for c in changes] == [["added", "update_appended"]] * 2
    assert [c.detail["added"] for c in changes] == [[E.STORM_ENTRY_1], [E.STORM_ENTRY_2]]
    assert all(c.detail["removed"] == [] and c.detail["edited"] == [] for c in changes)
    assert [v.paragraphs[0] for v in scenario.versions("liveblog")] == [
        E.STORM[0], E.STORM_ENTRY_1, E.STORM_ENTRY_2]


def test_deleted_paragraph_sharing_a_sentence_with_its_neighbour(scenario):
    """The alignment keeps the deleted paragraph's copy of the shared sentence; still a whole
    paragraph's text is gone."""
    change = only_change(scenario, "shared_cut")
    assert change.kinds == ["deleted", "paragraph_deleted"]
    assert change.detail["removed"] == [
        "The finance chair said a final decision was expected within weeks.",
        "The plan would also close two of the town's four swimming pools."]
    assert change.detail["added"] == [] and change.detail["edited"] == []
    assert scenario.versions("shared_cut")[-1].paragraphs == list(E.BUDGET_CUT)


def test_typography_and_punctuation_only_make_no_version(scenario):
    assert scenario.changes("typography") == []
    assert len(scenario.versions("typography")) == 1
    assert scenario.article("typography").check_count == EDITIONS


def test_boilerplate_churn_over_five_editions_makes_no_version(scenario):
    article = scenario.article("boilerplate")
    assert (article.version_count, article.check_count) == (1, EDITIONS)
    unedited = ("boilerplate", "typography")
    assert [scenario.article(k).version_count for k in unedited] == [1, 1]


def test_404_on_recheck_is_article_removed_once(scenario):
    article = scenario.article("removed")
    assert article.status == "removed"
    change = only_change(scenario, "removed")
    assert change.kinds == ["article_removed"] and change.to_version_id is None
    with scenario.sessions() as session:
        capture = session.get(Capture, change.capture_id)
        assert capture.status == 404 and capture.source == "recrawl"
    assert article.version_count == 1


def test_301_to_a_new_url_is_the_same_article_redirected(scenario):
    article = scenario.article("redirected")
    new_url = scenario.server.url(story_path(E.MOVED_TO))
    assert (article.status, article.redirected_to) == ("redirected", new_url)
    change = only_change(scenario, "redirected")
    assert change.kinds == ["redirected"] and change.detail == {"redirected_to": new_url}
    with scenario.sessions() as session:
        assert session.scalar(select(Article).where(Article.canonical_url == new_url)) is None
        fetched = session.scalars(select(Capture.url).where(Capture.article_id == article.id,
                                                            Capture.status == 200)).all()
    assert fetched[0].split("?")[0] == scenario.url("redirected")  # as listed, maybe with utm_*
    assert set(fetched[1:]) == {new_url}
    assert article.version_count == 1  # same content at the new address: no new version
    assert article.check_count == EDITIONS


def test_a_b_flips_are_events_on_two_versions(scenario):
    """A, B, A, B, A over five editions: every flip in the feed, two versions, the current one marked."""
    article = scenario.article("flapping")
    assert article.flapping and article.version_count == 2
    assert [c.kinds for c in scenario.changes("flapping")] == [
        ["headline_changed"], *[["headline_changed", "reverted"]] * 3]
    with scenario.sessions() as session:
        outcomes = session.scalars(select(Capture.outcome).where(Capture.article_id == article.id)
                                   .order_by(Capture.id)).all()
        current = session.get(ArticleVersion, article.current_version_id)
    assert outcomes == ["new_article", "new_version", "reverted", "reverted", "reverted"]
    assert current.seq == 1 and current.title == E.FESTIVAL_A  # edition 5 shows A
    rows = [json.loads(line) for line in scenario.cli("changes").stdout.splitlines()]
    feed = [(r["event"], r["version"], r["previous_version"], r["title"]) for r in rows
            if r["url"] == scenario.url("flapping")]
    assert feed == [("version", 1, None, E.FESTIVAL_A), ("version", 2, 1, E.FESTIVAL_B),
                    ("reverted", 1, 2, E.FESTIVAL_A), ("reverted", 2, 1, E.FESTIVAL_B),
                    ("reverted", 1, 2, E.FESTIVAL_A)]
    flips = [r for r in rows if r["event"] == "reverted"]
    assert all(r["warc"]["record_id"].startswith("<urn:uuid:") for r in flips)
    assert len({r["captured_at"] for r in flips}) == 3  # one per flip, at its capture
    lines = scenario.cli("versions", scenario.url("flapping")).stdout.splitlines()
    assert {line.split()[0]: line.split()[1] == "now" for line in lines[2::2]} == {"1": True, "2": False}


def test_diff_command_shows_the_update_paragraph_verbatim(scenario):
    out = scenario.cli("diff", scenario.url("update")).stdout
    assert E.PIER_UPDATE in out
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_changes_feed_parses_and_round_trips(scenario):
    lines = scenario.cli("changes", "--format", "jsonl").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    versions = [r for r in rows if r["event"] == "version"]
    with scenario.sessions() as session:
        assert len(versions) == len(session.scalars(select(ArticleVersion)).all())
    for row in rows:
        if row["change"] is not None:
            assert ChangeRecord.from_dict(row["change"]).to_dict() == row["change"]
        assert row["warc"] is None or set(row["warc"]) == {"file", "offset", "record_id"}
    update = [r for r in rows if r["url"] == scenario.url("update")]
    assert [(r["version"], r["change"] and r["change"]["kinds"]) for r in update] == [
        (1, None), (2, ["added", "update_appended"])]
    assert update[1]["paragraphs"][-1] == E.PIER_UPDATE and update[1]["outlet"] == "ledger"
    assert update[1]["warc"]["record_id"].startswith("<urn:uuid:")
    removed = [r for r in rows if r["event"] == "article_removed"]
    assert [(r["url"], r["version"], r["change"]["kinds"]) for r in removed] == [
        (scenario.url("removed"), 1, ["article_removed"])]
    moved = [r for r in rows if r["event"] == "redirected"]
    assert [r["redirected_to"] for r in moved] == [scenario.server.url(story_path(E.MOVED_TO))]


def test_changes_feed_filters(scenario):
    def urls(*args: str) -> list[str]:
        return [json.loads(line)["url"] for line in scenario.cli("changes", *args).stdout.splitlines()]

    assert urls("--kind", "latest_line") == [scenario.url("latest")]
    assert sorted(urls("--kind", "moved", "--kind", "byline_changed")) == sorted(
        [scenario.url("moved"), scenario.url("byline")])
    courier = urls("--outlet", "courier")
    assert courier and all("/courier/" in u for u in courier)
    assert urls("--since", "2999-01-01") == []
    assert len(urls("--since", "2000-01-01T00:00:00Z")) == len(urls())


def test_recrawl_on_sqlite_and_postgresql(crawl_any_db, site):
    crawl = crawl_any_db
    crawl("recrawl=all")
    E.to_edition(site.site, 2)
    crawl("recrawl=all")
    with crawl.sessions()() as session:
        by_url = {a.canonical_url: a for a in session.scalars(select(Article))}
        assert len(by_url) == len(E.STORIES)
        kinds = {a.canonical_url: [c.kinds for c in session.scalars(
            select(Change).where(Change.article_id == a.id))] for a in by_url.values()}
    assert kinds[site.url(E.path("update"))] == [["added", "update_appended"]]
    assert kinds[site.url(E.path("removed"))] == [["article_removed"]]
    assert kinds[site.url(E.path("redirected"))] == [["redirected"]]
    assert by_url[site.url(E.path("redirected"))].redirected_to == site.url(story_path(E.MOVED_TO))
    assert kinds[site.url(E.path("typography"))] == []
    report = crawl.last_report()
    assert report["outlets"]["ledger"]["rechecks"] == 6  # every known ledger article, once
