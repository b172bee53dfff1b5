"""A headline edit that changes the slug keeps the story whole: real crawls of a local newsroom.

The newsroom (``newsarchive.demo.newsroom``) puts the headline in the URL. Its old URLs answer
301 to the new one, or, on an outlet whose URLs carry a stable id, nothing at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from newsarchive.db.engine import default_db_url, open_database
from newsarchive.db.models import Article, ArticleVersion, Change
from newsarchive.demo.newsroom import Newsroom, State, Story, outlets_toml
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import SiteServer
from newsarchive.urls import canonical_url

BODY = (
    "The transport ministry opened an inquiry into the rail strike in Kilmory on Monday.",
    "About 2,400 commuters were affected, according to figures released by the operator.",
    "\u201cWe cannot accept this,\u201d Aoife Brennan, the union's general secretary, told reporters.",
)
UPDATE = "UPDATE 1-Ministry opens inquiry into Kilmory rail strike"
EXTRA = "The ministry said it would publish its findings within six weeks."


def _story(template: str, number: int) -> Story:
    first = State("Ministry opens inquiry into Kilmory rail strike", ("Aoife Brennan",), BODY)
    second = State(UPDATE, ("Aoife Brennan",), (*BODY, EXTRA))
    return Story(template, number, "2026-11-30T08:00:00Z", {1: first, 2: second})


def _crawl(outlets: Path, data: Path, *args: str) -> None:
    result = crawl_subprocess(outlets, data, settings=FAST_LOCAL, spider_args=args)
    assert result.returncode == 0, result.stderr[-3000:]


def _one_story(data: Path, base: str, story: Story) -> tuple[Article, list[ArticleVersion], list[Change]]:
    sessions = open_database(default_db_url(data))
    with sessions() as session:
        articles = session.scalars(select(Article)).all()
        assert len(articles) == 1, [(a.canonical_url, a.status) for a in articles]
        (article,) = articles
        assert article.canonical_url == canonical_url(base + story.path(1))  # the matching key
        assert article.url == base + story.path(2)  # the URL of record: where the story lives now
        versions = list(session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                        .order_by(ArticleVersion.seq)))
        changes = list(session.scalars(select(Change).where(Change.article_id == article.id).order_by(Change.id)))
        return article, versions, changes


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("template", ["tabloid", "metro"])
def test_new_slug_found_first_then_the_301_joins_it_to_the_story(tmp_path: Path, template: str) -> None:
    story = _story(template, 7)
    site = Newsroom([story], editions=2)
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        data = tmp_path / "data"
        _crawl(outlets, data)
        site.edition = 2
        _crawl(outlets, data)  # the listing links the new slug: stored before the move is known
        _crawl(outlets, data, "recrawl=all")  # the old URL's 301 joins the two
        article, versions, changes = _one_story(data, server.base_url, story)
        assert (article.status, article.redirected_to) == ("redirected", canonical_url(server.base_url + story.path(2)))
        assert [v.title for v in versions] == ["Ministry opens inquiry into Kilmory rail strike", UPDATE]
        by_kind = {tuple(c.kinds): c for c in changes}
        edit = next(c for c in changes if c.to_version_id == versions[1].id)
        assert edit.kinds == ["added", "headline_changed", "update_appended"]
        assert edit.detail["added"] == [EXTRA]
        assert edit.detail["headline"]["wire_prefix"] == {"old": None, "new": "UPDATE 1"}
        assert ("redirected",) in by_kind
        # Either URL finds the one story from the command line.
        for path in story.paths(2):
            shown = subprocess.run([sys.executable, "-m", "newsarchive", "versions", server.base_url + path,
                                    "--data-dir", str(data)], capture_output=True, text=True, timeout=120)
            assert shown.returncode == 0, shown.stderr
            assert UPDATE in shown.stdout


def test_a_stable_id_keeps_the_story_when_the_old_slug_answers_404(tmp_path: Path) -> None:
    story = _story("wire", 9)
    site = Newsroom([story], editions=2, redirect_old_slugs=False)
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        data = tmp_path / "data"
        _crawl(outlets, data)
        site.edition = 2
        _crawl(outlets, data)
        _crawl(outlets, data, "recrawl=all")  # re-checks the story where it lives now
        article, versions, changes = _one_story(data, server.base_url, story)
        assert article.outlet_article_id == "300009"
        assert (article.status, article.redirected_to) == ("redirected", canonical_url(server.base_url + story.path(2)))
        assert len(versions) == 2
        kinds = [c.kinds for c in changes]
        assert kinds == [["redirected"], ["added", "headline_changed", "update_appended"]] or kinds == [
            ["added", "headline_changed", "update_appended"], ["redirected"]]
        assert not any("article_removed" in k for k in kinds)  # the old URL's 404 is not a removal
        feed = subprocess.run([sys.executable, "-m", "newsarchive", "changes", "--format", "jsonl",
                               "--data-dir", str(data)], capture_output=True, text=True, timeout=120)
        events = [json.loads(line)["event"] for line in feed.stdout.splitlines()]
        assert "article_removed" not in events


def test_without_an_id_pattern_a_slug_change_without_redirect_is_two_stories(tmp_path: Path) -> None:
    """The id pattern is what joins them; without it the archive cannot know (and says so)."""
    story = _story("wire", 9)
    site = Newsroom([story], editions=2, redirect_old_slugs=False)
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url, id_patterns=False), encoding="utf-8")
        data = tmp_path / "data"
        _crawl(outlets, data)
        site.edition = 2
        _crawl(outlets, data)
        with open_database(default_db_url(data))() as session:
            assert len(session.scalars(select(Article)).all()) == 2
