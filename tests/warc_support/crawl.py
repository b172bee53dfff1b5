"""Run a real Scrapy crawl with WarcCaptureMiddleware (in its own process: the Twisted
reactor cannot restart). Usage: python crawl.py BASE_URL WARC_DIR OUT_JSONL PATH...

Each response seen by the spider is written to OUT_JSONL (one JSON object per line, flushed)
with its ``meta["warc"]`` pointer; article-like pages also get a metadata record.
"""

from __future__ import annotations

import json
import os
import sys

import scrapy
from scrapy.crawler import CrawlerProcess

from newsarchive.middlewares.warc import get_middleware


class WarcTestSpider(scrapy.Spider):
    name = "warc_test"

    def __init__(self, base: str, paths: list[str], out: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.base = base
        self.paths = paths
        self.out = open(out, "a", encoding="utf-8")  # noqa: SIM115

    async def start(self):  # Scrapy >= 2.13
        for item in self.start_requests():
            yield item

    def start_requests(self):
        for path in self.paths:
            meta = {"dont_archive": True} if path.startswith("/skip") else {}
            yield scrapy.Request(self.base + path, meta=meta, dont_filter=True)

    def parse(self, response: scrapy.http.Response):
        warc = dict(response.meta.get("warc") or {})
        if "date" in warc:
            warc["date"] = warc["date"].isoformat()
        row = {
            "url": response.url,
            "status": response.status,
            "redirect_urls": response.meta.get("redirect_urls", []),
            "fetched_at": response.meta["newsarchive_fetched_at"].isoformat(),
            "warc": warc,
            "body_len": len(response.body),
        }
        if "/page?" in response.url:
            mw = get_middleware(self.crawler)
            ptr = mw.write_metadata(
                response.meta["warc"], response.url, {"title": "Harbour ferry", "version": 1}
            )
            row["metadata"] = ptr._asdict()
        self.out.write(json.dumps(row) + "\n")
        self.out.flush()

    def closed(self, reason: str) -> None:
        stats = {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith("warc/")}
        self.out.write(json.dumps({"stats": stats}) + "\n")
        self.out.close()


def main() -> None:
    base, warc_dir, out, *paths = sys.argv[1:]
    process = CrawlerProcess(
        settings={
            "DOWNLOADER_MIDDLEWARES": {"newsarchive.middlewares.warc.WarcCaptureMiddleware": 950,
                                       "newsarchive.netguard.AddressGuardMiddleware": 50},
            "TWISTED_DNS_RESOLVER": "newsarchive.netguard.GuardedResolver",
            "NEWSARCHIVE_ALLOW_ADDRESSES": ["127.0.0.1"],  # the local site, nothing else
            "WARC_DIR": warc_dir,
            "WARC_PREFIX": os.environ.get("WARC_PREFIX", "test"),
            "WARC_MAX_SIZE": int(os.environ.get("WARC_MAX_SIZE", "1000000000")),
            "WARC_OPERATOR": "Test Operator <ops@example.invalid>",
            "WARC_DESCRIPTION": "newsarchive WARC test crawl",
            "ROBOTSTXT_OBEY": True,
            "RETRY_ENABLED": False,
            "HTTPERROR_ALLOW_ALL": True,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "CONCURRENT_REQUESTS": 8,
            "USER_AGENT": "newsarchive-test (+https://example.invalid)",
        }
    )
    process.crawl(WarcTestSpider, base=base, paths=paths, out=out)
    process.start()


if __name__ == "__main__":
    main()
