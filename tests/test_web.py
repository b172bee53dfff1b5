"""The web view (``newsarchive serve``) over an archive built by real crawls, in a real browser.

One module-scoped archive: the demo site (plus a story whose headline carries ``<script>``
and quotes) crawled over two editions by ``scrapy crawl news`` subprocesses. The server is
``newsarchive serve --port 0`` in a child process, as a user starts it; pages are read by
headless Chromium (Debian's ``chromium`` driven by Playwright) and, for the feed and the
raw record, by feedparser and warcio.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from newsarchive.db.engine import default_db_url, open_database
from newsarchive.db.models import Article, ArticleVersion, Outlet
from newsarchive.demo.run import crawl_subprocess
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml, story_path
from newsarchive.demo.stories import DEMO_STORIES, Story, StoryState
from newsarchive.web.readonly import read_only_sessions

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("NEWSARCHIVE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE_TITLE = 'Council says "no" to <script>alert(1)</script> plan & the \'quiet\' vote'
HOSTILE = Story("ledger", "city", "council-says-no", "2026-01-06T10:00:00+00:00", (
    StoryState(1, HOSTILE_TITLE, (
        "The council voted against the plan on Tuesday evening after a long debate in the chamber.",
        "Members said the proposal had not been costed and would return next year.")),
))
FERRY = next(s for s in DEMO_STORIES if s.slug == "ferry-terminal-to-close")
UPDATE_START = "Update # 1 \u2014 4:09 P.M.: Mayor Daniel Osei"


class Archive:
    def __init__(self, server: SiteServer, data_dir: Path):
        self.site, self.data_dir = server, data_dir

    def url(self, story: Story) -> str:
        return self.site.url(story_path(story))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    root = tmp_path_factory.mktemp("web")
    site = NewsSite((*DEMO_STORIES, HOSTILE), edition=1)
    with SiteServer(site) as server:
        outlets = root / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        for edition in (1, 2):
            site.edition = edition
            result = crawl_subprocess(outlets, root / "data")
            assert result.returncode == 0, result.stderr[-3000:]
        yield Archive(server, root / "data")


class Server:
    def __init__(self, process: subprocess.Popen[str], base_url: str):
        self.process, self.base_url = process, base_url

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=60) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()


def start_server(*args: str) -> Server:
    """``newsarchive serve`` in a child process; its first stderr line names the address."""
    process = subprocess.Popen([sys.executable, "-m", "newsarchive", "serve", "--port", "0", *args],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = process.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not match:
        process.kill()
        raise AssertionError(f"serve did not start: {line}{process.stderr.read()}")
    return Server(process, match.group(0))


@pytest.fixture(scope="module")
def server(archive: Archive) -> Iterator[Server]:
    served = start_server("--data-dir", str(archive.data_dir))
    yield served
    served.process.terminate()
    served.process.wait(timeout=30)
    served.process.stderr.close()


@pytest.fixture(scope="module")
def story_ids(archive: Archive) -> dict[str, int]:
    with open_database(default_db_url(archive.data_dir), migrate=False)() as session:
        return {url: aid for aid, url in session.execute(select(Article.id, Article.canonical_url))}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def screenshot(tab, name: str) -> None:
    """With NEWSARCHIVE_SCREENSHOTS=DIR, save what the test saw (docs/ holds the README's)."""
    folder = os.environ.get("NEWSARCHIVE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


# -- in the browser -------------------------------------------------------------------------


def test_story_page_highlights_the_appended_update_as_an_insertion(server, archive, story_ids, page):
    page.goto(server.url(f"/story/{story_ids[archive.url(FERRY)]}"))
    inserted = page.locator("#diff ins", has_text=UPDATE_START)
    assert inserted.count() == 1 and inserted.is_visible()
    style = inserted.evaluate("e => { const s = getComputedStyle(e);"
                              " return [s.textDecorationLine, s.backgroundColor, s.color]; }")
    assert "underline" in style[0] and style[1] != style[2]  # marked beyond colour alone
    kinds = page.locator("#diff .diff-kinds li.kind").all_inner_texts()
    assert "update appended" in kinds
    timeline = page.locator("ol.timeline li.version")
    assert timeline.count() == 2
    assert "update appended" in timeline.nth(1).locator("li.kind").all_inner_texts()
    assert timeline.nth(1).locator("time").get_attribute("datetime")
    # the unchanged lede is shown, not marked
    assert page.locator("#diff .inline p", has_text="The harbour authority told").locator("ins, del").count() == 0
    screenshot(page, "story-desktop")


def test_side_by_side_view_puts_the_update_on_the_newer_side(server, archive, story_ids, page):
    page.goto(server.url(f"/story/{story_ids[archive.url(FERRY)]}?from=1&to=2&view=side"))
    assert page.locator(".side .new ins", has_text=UPDATE_START).count() == 1
    assert page.locator(".side .old", has_text=UPDATE_START).count() == 0
    assert page.locator(".side .old", has_text="The harbour authority told").count() == 1
    screenshot(page, "diff-side-desktop")


def test_phone_width_stacks_the_diff_without_sideways_scrolling(server, archive, story_ids, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                  is_mobile=True, has_touch=True)
    tab = context.new_page()
    try:
        for path, name in ((f"/story/{story_ids[archive.url(FERRY)]}?view=side", "diff-side-phone"),
                           (f"/story/{story_ids[archive.url(FERRY)]}", "story-phone"), ("/", "home-phone")):
            tab.goto(server.url(path))
            assert tab.evaluate("document.documentElement.scrollWidth") <= 390, path
            screenshot(tab, name)
        tab.goto(server.url(f"/story/{story_ids[archive.url(FERRY)]}?view=side"))
        cells = tab.locator(".side-row.changed > div.new").first.bounding_box()
        assert cells["width"] > 300  # one column: the newer text spans the screen
    finally:
        context.close()


def test_readable_without_javascript(server, archive, story_ids, browser):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(server.url(f"/story/{story_ids[archive.url(FERRY)]}"))
        assert tab.locator("#diff ins", has_text=UPDATE_START).count() == 1
        tab.select_option("select[name=from]", "1")
        tab.check("input[name=view][value=side]")
        tab.click("form.compare button")  # a plain GET form
        assert "view=side" in tab.url
        assert tab.locator(".side .new ins", has_text=UPDATE_START).count() == 1
    finally:
        context.close()


def test_home_lists_the_edited_story_among_the_latest_changes(server, page):
    page.goto(server.url("/"))
    outlets = page.locator("table.outlets tbody tr").all_inner_texts()
    assert any(row.startswith("ledger") for row in outlets) and any(row.startswith("courier") for row in outlets)
    change = page.locator("ol.changes li.change", has_text="Harbour authority to close old ferry terminal")
    assert change.count() == 1
    assert "update appended" in change.locator("li.kind").all_inner_texts()
    change.locator("a.headline").click()
    assert page.locator("#diff ins", has_text=UPDATE_START).count() == 1
    page.goto(server.url("/"))
    screenshot(page, "home-desktop")


def test_search_finds_the_story_by_headline_words_and_by_url(server, archive, page):
    page.goto(server.url("/"))
    page.fill("input[name=q]", "ferry terminal")
    page.press("input[name=q]", "Enter")
    hits = page.locator("ol.stories li a.headline")
    assert hits.all_inner_texts() == ["Harbour authority to close old ferry terminal"]
    page.goto(server.url("/search?" + urllib.parse.urlencode({"q": archive.url(FERRY) + "?utm_source=x"})))
    assert page.locator("ol.stories li a.headline").all_inner_texts() == [
        "Harbour authority to close old ferry terminal"]
    page.goto(server.url("/search?q=nothing+like+this+anywhere"))
    assert page.locator("ol.stories li").count() == 0


def test_outlet_page_filters_by_change_kind_and_sorts_by_edits(server, page):
    page.goto(server.url("/outlet/ledger?sort=edited"))
    titles = page.locator("ol.stories a.headline").all_inner_texts()
    assert titles[0] == "Harbour authority to close old ferry terminal" and len(titles) == 4
    page.select_option("select[name=kind]", "update_appended")
    page.click("form.filters button")
    assert page.locator("ol.stories a.headline").all_inner_texts() == [
        "Harbour authority to close old ferry terminal"]
    page.goto(server.url("/outlet/ledger?kind=headline_changed"))
    assert page.locator("ol.stories a.headline").count() == 0


def test_a_hostile_headline_renders_as_text(server, archive, story_ids, page):
    with open_database(default_db_url(archive.data_dir), migrate=False)() as session:
        stored = session.scalars(select(ArticleVersion.title).join(Article, ArticleVersion.article_id == Article.id)
                                 .where(Article.canonical_url == archive.url(HOSTILE))).one()
    assert stored == HOSTILE_TITLE  # the crawl kept the markup as text: a real test of escaping
    for path in (f"/story/{story_ids[archive.url(HOSTILE)]}", "/outlet/ledger",
                 "/search?q=council+says"):
        page.goto(server.url(path))
        assert page.locator("script").count() == 0, path
        assert page.get_by_text(HOSTILE_TITLE, exact=True).first.is_visible(), path
        assert page.dialogs == [], path
    page.goto(server.url(f"/story/{story_ids[archive.url(HOSTILE)]}"))
    assert page.locator("h1.story-headline").inner_text() == HOSTILE_TITLE
    assert page.title().startswith(HOSTILE_TITLE)


# -- over HTTP --------------------------------------------------------------------------------


def test_atom_feeds_parse_and_carry_the_change(server, archive, story_ids):
    status, headers, body = server.get("/feed.atom")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    entries = [e for e in feed.entries if e.title.startswith("Harbour authority to close old ferry terminal")]
    assert len(entries) == 1
    entry = entries[0]
    assert "update_appended" in {t.term for t in entry.tags}
    assert entry.link == server.url(f"/story/{story_ids[archive.url(FERRY)]}?from=1&to=2")
    assert UPDATE_START in entry.summary
    assert entry.id.startswith("urn:newsarchive:change:")
    ledger = feedparser.parse(server.get("/outlet/ledger/feed.atom")[2])
    assert not ledger.bozo and [e.id for e in ledger.entries] == [entry.id]
    assert feedparser.parse(server.get("/outlet/courier/feed.atom")[2]).entries == []
    assert server.get("/outlet/nosuch/feed.atom")[0] == 404


def test_each_version_links_to_its_raw_warc_record(server, archive, story_ids):
    from warcio.archiveiterator import ArchiveIterator

    status, _, html = server.get(f"/story/{story_ids[archive.url(FERRY)]}")
    links = re.findall(r'href="http://127\.0\.0\.1:\d+(/capture/\d+\.warc\.gz)"', html.decode())
    assert status == 200 and len(links) == 2
    status, headers, body = server.get(links[1])
    assert status == 200 and headers["content-type"] == "application/warc"
    assert "attachment" in headers["content-disposition"]
    records = [(r.rec_type, r.rec_headers.get("WARC-Target-URI"), r.rec_headers.get("WARC-Record-ID"),
                r.content_stream().read()) for r in ArchiveIterator(io.BytesIO(body))]
    assert len(records) == 1  # exactly the one record, a valid .warc.gz of its own
    kind, target, record_id, payload = records[0]
    assert kind == "response" and target.startswith(archive.url(FERRY))
    assert headers["warc-record-id"] == record_id
    assert "Update # 1 \u2014 4:09 P.M." in payload.decode("utf-8")


def test_replay_url_setting_links_versions_to_the_replay_server(archive, story_ids):
    served = start_server("--data-dir", str(archive.data_dir), "--replay-url", "http://127.0.0.1:8080/news/")
    try:
        _, _, html = served.get(f"/story/{story_ids[archive.url(FERRY)]}")
    finally:
        served.process.terminate()
        served.process.wait(timeout=30)
        served.process.stderr.close()
    links = re.findall(r'href="(http://127\.0\.0\.1:8080/news/\d{14}/[^"]+)"', html.decode())
    assert len(links) == 2 and all(f"/{archive.url(FERRY)}" in link for link in links)  # the URL as fetched


def test_replay_links_drop_credentials_and_fragments():
    """The web view builds replay links with archivist.replay's one builder: the URL the record
    is filed under (no ``user:password@``, no fragment), http(s) only."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from newsarchive.web.app import ViewConfig, WebView

    view = WebView(ViewConfig(db_url="", warc_dir="", replay_url="http://127.0.0.1:8080/news/"), sessions=None)
    row = SimpleNamespace(capture_id=7, warc_record_id="<urn:uuid:1>", warc_lost=False,
                          capture_url="https://editor:s3cret@ledger.example/2026/01/05/story#top",
                          fetched_at=datetime(2026, 1, 5, 9, 30, 1, tzinfo=UTC))
    assert view.capture_link(None, row) == \
        "http://127.0.0.1:8080/news/20260105093001/https://ledger.example/2026/01/05/story"
    assert view.capture_link(None, SimpleNamespace(**{**vars(row), "capture_url": "javascript:alert(1)"})) is None
    assert view.capture_link(None, SimpleNamespace(**{**vars(row), "warc_lost": True})) is None


def test_pages_send_a_strict_content_security_policy(server):
    status, headers, _ = server.get("/")
    assert status == 200
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_bad_parameters_answer_400_or_404_with_a_page(server, archive, story_ids):
    story = story_ids[archive.url(FERRY)]
    for path, code in ((f"/story/{story}?from=1&to=9", 404), (f"/story/{story}?from=x", 400),
                       ("/story/999999", 404), ("/outlet/ledger?kind=nope", 400),
                       ("/outlet/ledger?sort=sideways", 400), ("/outlet/nosuch", 404),
                       ("/capture/999999.warc.gz", 404)):
        status, _, body = server.get(path)
        assert status == code, path
        assert b"<h1>" in body


def test_serve_refuses_a_missing_archive_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "newsarchive", "serve", "--data-dir",
                             str(tmp_path / "none")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no archive at" in result.stderr
    assert not (tmp_path / "none").exists()  # a reader never creates the archive


# -- read-only access ---------------------------------------------------------------------------


def test_the_web_view_cannot_write_to_the_archive(db_url):
    open_database(db_url)().close()  # migrate an empty archive
    sessions = read_only_sessions(db_url)
    with sessions() as session:
        assert session.scalars(select(Outlet)).all() == []
        with pytest.raises((OperationalError, SQLAlchemyError)) as raised:
            session.execute(text("INSERT INTO outlets (name, config, created_at) "
                                 "VALUES ('x', '{}', CURRENT_TIMESTAMP)"))
            session.commit()
        assert re.search(r"read.only|readonly", str(raised.value), re.IGNORECASE)
    with open_database(db_url, migrate=False)() as session:
        assert session.scalars(select(Outlet)).all() == []
