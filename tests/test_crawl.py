"""Real crawls of the local news site: discovery, identity, versioning, bad input."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from newsarchive.db.models import Article, ArticleVersion, Capture
from newsarchive.demo.site import Reply

FERRY = "/ledger/2026/01/05/ferry-terminal-to-close"


def articles(crawl) -> dict[str, Article]:
    with crawl.sessions()() as session:
        rows = session.scalars(select(Article)).all()
        return {a.canonical_url.split(":", 2)[2].split("/", 1)[1]: a for a in rows}


def test_crawl_discovers_every_article_once_through_sections_and_pagination(crawl, site):
    crawl()
    found = articles(crawl)
    assert len(found) == 6
    assert {a.version_count for a in found.values()} == {1}
    requested = Counter(path.split("?")[0] for path in site.site.requests)
    article_paths = [p for p in requested if p.startswith(("/ledger/20", "/courier/news/"))]
    assert len(article_paths) == 6 and all(requested[p] == 1 for p in article_paths)  # utm / #comments links deduplicated
    assert "/ledger/?page=2" in site.site.requests and "/ledger/section/city/" in site.site.requests
    assert requested["/robots.txt"] == 1
    canonical = {a.canonical_url for a in found.values()}
    assert all("utm_" not in url and "#" not in url for url in canonical)
    report = crawl.last_report()
    assert report["outlets"]["ledger"]["new_article"] == 3
    assert report["outlets"]["courier"]["new_article"] == 3


def test_robots_txt_is_obeyed(crawl, site):
    site.site.robots_txt = "User-agent: *\nDisallow: /ledger/2026/01/04/\n"
    crawl()
    assert not any(p.startswith("/ledger/2026/01/04/") for p in site.site.requests)
    assert len(articles(crawl)) == 5


def test_depth_limit_stops_pagination(crawl, site):
    crawl.outlets.write_text(crawl.outlets.read_text().replace(
        'name = "ledger"', 'name = "ledger"\nmax_depth = 0'))
    crawl("outlets=ledger")
    assert not any("page=2" in p or "/section/" in p for p in site.site.requests)
    assert not any(p.startswith("/courier/") for p in site.site.requests)  # -a outlets=ledger
    assert set(articles(crawl)) == {"ledger/2026/01/06/eastgate-bridge-repairs-delayed",
                                    "ledger/2026/01/05/ferry-terminal-to-close"}


def test_boilerplate_churn_makes_no_version_and_an_edit_does(crawl_any_db, site):
    crawl = crawl_any_db
    crawl()
    crawl()  # edition 1 again: related headlines, counters, ad ids and nonces all differ
    found = articles(crawl)
    assert {a.version_count for a in found.values()} == {1}
    assert {a.check_count for a in found.values()} == {2}
    site.site.edition = 2  # the newsroom appends "Update # 1 — 4:09 P.M.: ..." to the ferry story
    crawl()
    found = articles(crawl)
    ferry = found[FERRY.lstrip("/")]
    assert ferry.version_count == 2
    assert [a.version_count for k, a in found.items() if k != FERRY.lstrip("/")] == [1] * 5
    with crawl.sessions()() as session:
        v2 = session.scalars(select(ArticleVersion).where(ArticleVersion.seq == 2)).one()
        assert v2.paragraphs[0].startswith("Update # 1 \u2014 4:09 P.M.: Mayor Daniel Osei")
        assert not any("minutes ago" in p or "Advertisement" in p or "shares" in p for p in v2.paragraphs)
        captures = session.scalars(select(Capture).where(Capture.article_id == ferry.id)).all()
        assert [c.outcome for c in captures] == ["new_article", "unchanged", "new_version"]


def test_bad_pages_are_reported_and_the_crawl_goes_on(crawl, site):
    lying = ("<html><head><meta charset='utf-8'><title>Caf\xe9 owners protest</title></head><body>"
             "<article><h1>Caf\xe9 owners protest</h1>" + "<p>The caf\xe9 owners of Eastgate said the new "
             "rules would cost them dearly this winter, and asked the council to think again.</p>" * 3
             + "</article></body></html>").encode("cp1252")
    site.site.routes.update({
        "/ledger/2026/02/01/server-error": lambda s, q: Reply(500, b"oops"),
        "/ledger/2026/02/01/empty-page": lambda s, q: Reply(body=b"<html><body><nav>Home</nav></body></html>"),
        "/ledger/2026/02/01/cafe-owners-protest": lambda s, q: Reply(
            body=lying, headers={"Content-Type": "text/html; charset=utf-8"}),
    })
    site.site.extra_links["ledger"] = list(site.site.routes)
    result = crawl()
    stats = crawl.last_report()["stats"]
    assert stats["newsarchive/errors/no_text"] == 1
    assert stats["newsarchive/errors/encoding"] == 1
    assert stats["newsarchive/errors/http_500"] == 1
    assert "/ledger/2026/02/01/empty-page" in result.stderr  # logged with its URL
    found = articles(crawl)
    assert len(found) == 7  # the six stories and the mis-declared page, decoded correctly
    with crawl.sessions()() as session:
        cafe = session.scalars(select(ArticleVersion).where(ArticleVersion.title.like("Caf%"))).one()
        assert cafe.title == "Caf\xe9 owners protest"
        errors = session.scalars(select(Capture).where(Capture.status == 500)).all()
        # every fetch is a capture: the first try and Scrapy's two retries
        assert [c.url.rsplit("/", 1)[1] for c in errors] == ["server-error"] * 3
