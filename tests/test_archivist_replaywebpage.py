"""A WACZ from ``newsarchive export --format wacz`` opened in ReplayWeb.page, offline.

The archive is the local news site crawled twice (edition 2 appends an update to the ferry
story). ReplayWeb.page's own app (the npm package's ``index.html``, ``ui.js``, ``sw.js``) and
the package are served from 127.0.0.1 by a static server with Range support; headless
Chromium (Debian's, driven by Playwright, as the web view's tests do) resolves no host name,
so nothing can come from the internet. The app must list one page per stored version, titled
"headline (version N)", and clicking a version must replay the capture that version came
from: version 2 of the ferry story shows the update, version 1 (which the live site no longer
serves) does not.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from newsarchive.demo.stories import FERRY, FERRY_UPDATE
from tests.test_archivist_wacz import export_wacz, pages_of, sqlite_archive, stored_versions  # noqa: F401
from tests.warc_support.replaywebpage_env import VERSION, ensure_replaywebpage, static_server

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("NEWSARCHIVE_TEST_CHROMIUM", "/usr/bin/chromium")
# No host but 127.0.0.1 resolves: offline by construction.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

# The app's page list: each <wr-page-entry> (nested shadow roots) holds a link and its title.
PAGE_ENTRIES = """() => { const out = [];
  const walk = root => { for (const el of root.querySelectorAll('*')) {
    if (!el.shadowRoot) continue;
    if (el.tagName === 'WR-PAGE-ENTRY') {
      const a = el.shadowRoot.querySelector('a'), t = el.shadowRoot.querySelector('.page-title');
      if (a && t) out.push({title: t.textContent.trim(), href: a.getAttribute('href'), link: a});
    }
    walk(el.shadowRoot);
  } };
  walk(document); return out; }"""
# The replay iframe (same origin, served by the app's service worker): its address and text.
REPLAYED = """() => { const out = [];
  const walk = root => { for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) walk(el.shadowRoot);
    if (el.tagName === 'IFRAME' && el.contentDocument && el.contentDocument.body
        && el.contentWindow.location.href.includes('mp_/'))
      out.push([el.contentWindow.location.href, el.contentDocument.body.innerText]);
  } };
  walk(document); return out; }"""


def _ts14(ts: str) -> str:
    return "".join(ch for ch in ts if ch.isdigit())[:14]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def screenshot(tab, name: str) -> None:
    """With NEWSARCHIVE_SCREENSHOTS=DIR, save what the test saw."""
    folder = os.environ.get("NEWSARCHIVE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(folder) / f"{name}.png"))


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_replaywebpage_lists_every_version_and_opens_its_capture(sqlite_archive, browser, tmp_path):
    app = ensure_replaywebpage()
    root = tmp_path / "www"
    root.mkdir()
    for name in ("index.html", "ui.js", "sw.js"):
        shutil.copy(app / name, root / name)
    result = export_wacz(sqlite_archive, root / "archive.wacz")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(root / "archive.wacz") as wacz:
        _, pages = pages_of(wacz)
    titles = sorted(p["title"] for p in pages)
    assert titles == sorted(t for _, _, t in stored_versions(sqlite_archive))
    ferry = {p["version"]: p for p in pages if p["url"].endswith("/ferry-terminal-to-close")}
    assert sorted(ferry) == [1, 2]

    with static_server(root) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        outside = []
        tab.on("request", lambda r: r.url.startswith((base, "data:", "blob:")) or outside.append(r.url))
        try:
            def page_list() -> list[dict]:
                tab.goto("about:blank")
                tab.goto(f"{base}/?source=archive.wacz#view=pages")
                tab.wait_for_function(f"() => ({PAGE_ENTRIES})().length >= {len(pages)}", timeout=60_000)
                return tab.evaluate(f"() => ({PAGE_ENTRIES})().map(e => [e.title, e.href])")

            # (a) the Pages view: exactly the package's pages, "headline (version N)"
            listed = page_list()
            assert sorted(title for title, _ in listed) == titles
            assert any(title.endswith("(version 2)") for title, _ in listed)
            screenshot(tab, "replaywebpage-pages")

            # (b) every page opens its own capture: the address carries the version's capture
            # time and URL, and the archived page (its headline) renders in the replay frame
            replayed = {}
            for page in pages:
                if page is not pages[0]:
                    page_list()
                tab.evaluate(f"t => ({PAGE_ENTRIES})().find(e => e.title === t).link.click()", page["title"])
                want = f"{_ts14(page['ts'])}mp_/{page['url']}"
                headline = page["title"].rsplit(" (version ", 1)[0]
                try:
                    tab.wait_for_function(
                        f"([w, h]) => ({REPLAYED})().some(([u, t]) => u.endsWith(w) && t.includes(h))",
                        arg=[want, headline], timeout=60_000)
                except PlaywrightTimeout:  # say what the replay frame shows instead
                    shown = [(url, _squash(text)[:300]) for url, text in tab.evaluate(f"() => ({REPLAYED})()")]
                    pytest.fail(f"{page['title']!r} did not replay {want}; the replay frame shows {shown}")
                replayed[page["id"]] = _squash(next(text for url, text in tab.evaluate(f"() => ({REPLAYED})()")
                                                    if url.endswith(want)))
                if page is ferry[2]:
                    screenshot(tab, "replaywebpage-version-2")

            # (c) the two ferry versions are the two captures: the update only in version 2
            update, lede = _squash(FERRY_UPDATE[:80]), _squash(FERRY[0][:80])
            assert update in replayed[ferry[2]["id"]] and lede in replayed[ferry[2]["id"]]
            assert update not in replayed[ferry[1]["id"]] and lede in replayed[ferry[1]["id"]]
            assert not outside, outside  # nothing but the app, the package and data/blob URLs
        finally:
            context.close()


def test_the_app_version_is_the_one_the_readme_names():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"ReplayWeb.page {VERSION}" in readme
