"""A small real archive for the archivist benchmarks: the demo site crawled twice.

Edition 1, then edition 2 (the newsroom's edits), each with a real ``scrapy crawl news``
subprocess, into ``data`` (a SQLite archive and its WARC files).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsarchive.demo.run import crawl_subprocess  # noqa: E402
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml  # noqa: E402


def crawl_two_editions(work: Path) -> Path | None:
    """The data directory of the two crawls under ``work``, or None (stderr says why)."""
    data = work / "data"
    site = NewsSite(edition=1)
    with SiteServer(site) as server:
        outlets = work / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        for edition in (1, 2):
            site.edition = edition
            result = crawl_subprocess(outlets, data)
            if result.returncode != 0:
                sys.stderr.write(result.stderr[-3000:])
                return None
    return data
