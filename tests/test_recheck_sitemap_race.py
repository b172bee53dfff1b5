"""A re-check stays a conditional GET when a sitemap lists the same stories.

robots.txt's ``Sitemap:`` line is scheduled as soon as robots.txt is read, while Scrapy is
still taking the re-check requests one by one: a sitemap parsed meanwhile must not fetch a
known story first, without ``If-None-Match`` (no 304, full extraction again).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from newsarchive.db.models import Capture
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from tests.schedule_site import StaticOutlet, StaticServer

pytestmark = pytest.mark.slow


class SitemapOutlet(StaticOutlet):
    base = ""

    def page(self, path: str) -> bytes | None:
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.base}/daily/news/{s}</loc></url>" for s in sorted(self.texts))
            return ("<?xml version='1.0' encoding='utf-8'?><urlset "
                    f"xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>").encode()
        return super().page(path)

    def handler(self):
        base_handler, outlet = super().handler(), self

        class Handler(base_handler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/robots.txt":
                    with outlet.lock:
                        outlet.requests.append((self.path, {}))
                    body = f"User-agent: *\nAllow: /\nSitemap: {outlet.base}/sitemap.xml\n".encode()
                    return self._send(200, body, {"Content-Type": "text/plain"})
                return super().do_GET()

        return Handler


def test_recrawl_all_rechecks_are_conditional_even_when_a_sitemap_lists_them(tmp_path, monkeypatch):
    outlet = SitemapOutlet(count=60)
    with StaticServer(outlet) as server:
        outlet.base = server.base_url
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(server.outlets_toml())
        data, db_url = tmp_path / "data", f"sqlite:///{tmp_path / 'a.sqlite3'}"
        for now, args in (("2026-03-01T08:00:00Z", ()), ("2026-03-01T09:00:00Z", ("recrawl=all",))):
            outlet.requests.clear()
            monkeypatch.setenv("NEWSARCHIVE_NOW", now)
            result = crawl_subprocess(outlets, data, db_url=db_url, settings=FAST_LOCAL, spider_args=args)
            assert result.returncode == 0, result.stderr[-3000:]
        rechecks = outlet.article_requests()
        assert any(p == "/sitemap.xml" for p, _ in outlet.requests)  # the sitemap was read again
        assert len(rechecks) == 60
        unconditional = [p for p, h in rechecks if "if-none-match" not in h]
        assert unconditional == []

    from newsarchive.db.engine import db_url_from, open_database

    sessions = open_database(db_url_from({"NEWSARCHIVE_DB_URL": db_url, "NEWSARCHIVE_DATA_DIR": str(data)}))
    with sessions() as session:
        second = session.scalars(select(Capture).where(Capture.source == "recrawl")).all()
        assert len(second) == 60 and {c.outcome for c in second} == {"not_modified"}
