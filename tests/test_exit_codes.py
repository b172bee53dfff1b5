"""Exit statuses of ``scrapy crawl news``, run in a subprocess as cron runs it."""

from __future__ import annotations

import socket

import pytest

from newsarchive.demo.site import Reply

pytestmark = pytest.mark.slow


def _dead_outlet(url: str) -> str:
    return f"""
[[outlet]]
name = "dead"
domains = ["127.0.0.1"]
start_urls = ["{url}"]
article_patterns = ['^/nothing/']
"""


@pytest.mark.parametrize("argument, message", [
    ("recrwal=all", "unknown spider argument -a recrwal=all"),
    ("recrawl=yes", "-a recrawl=yes: expected one of"),
    ("outlets=nosuch", "no outlet named 'nosuch'"),
])
def test_bad_arguments_exit_2_with_one_line_and_send_nothing(crawl, site, argument, message):
    result = crawl(argument, check=False)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert "did you mean 'recrawl'" in errors[0] or argument != "recrwal=all"
    assert site.site.requests == []


def test_a_bad_extraction_pool_size_exits_2_before_any_request(crawl, site):
    result = crawl(settings=("NEWSARCHIVE_EXTRACTION_WORKERS=many",), check=False)
    assert result.returncode == 2
    assert "NEWSARCHIVE_EXTRACTION_WORKERS must be auto or a number, not 'many'" in result.stderr
    assert "Traceback" not in result.stderr
    assert site.site.requests == []


class AllOnlySource:
    """A recheck source written before the schedule: it can serve -a recrawl=all only."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def known_articles(self, outlets):
        return iter(())


def test_a_recheck_source_without_due_articles_exits_2_before_any_request(crawl, site):
    result = crawl("recrawl=due", settings=("NEWSARCHIVE_RECHECK_SOURCE=tests.test_exit_codes.AllOnlySource",),
                   check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "AllOnlySource has no due_articles()" in errors[0], result.stderr
    assert "Traceback" not in result.stderr and site.site.requests == []
    assert crawl("recrawl=all", settings=("NEWSARCHIVE_RECHECK_SOURCE=tests.test_exit_codes.AllOnlySource",),
                 check=False).returncode == 0


class BrokenSource:
    """A recheck source whose read fails: the crawl has no first request to make."""

    def known_articles(self, outlets):
        raise RuntimeError("the recheck source could not be read")


def test_a_crawl_that_cannot_start_exits_1_with_one_line(crawl, site):
    result = crawl("recrawl=all", settings=("NEWSARCHIVE_RECHECK_SOURCE=tests.test_exit_codes.BrokenSource",),
                   check=False)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "the crawl could not produce its first requests (start_error" in result.stderr.splitlines()[-1]
    assert site.site.requests == []


def test_bad_clock_override_exits_2(crawl, site, monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_NOW", "yesterday")
    result = crawl(check=False)
    assert result.returncode == 2
    assert "NEWSARCHIVE_NOW='yesterday' is not an ISO 8601 time" in result.stderr
    assert site.site.requests == []


def test_an_unreachable_outlet_exits_1_and_the_others_are_still_crawled(crawl, site):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    crawl.outlets.write_text(crawl.outlets.read_text() + _dead_outlet(f"http://127.0.0.1:{port}/"))
    result = crawl(settings=("RETRY_TIMES=0",), check=False)
    assert result.returncode == 1
    assert "outlet(s) failed entirely (nothing came back): dead" in result.stderr
    figures = crawl.last_report()["outlets"]
    assert figures["ledger"]["new_article"] >= 1 and figures["courier"]["new_article"] >= 1


def test_a_server_that_never_answers_exits_1(crawl, site):
    with socket.socket() as silent:  # accepts connections (backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        crawl.outlets.write_text(_dead_outlet(f"http://127.0.0.1:{port}/"))
        result = crawl(settings=("RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=1"), check=False)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "failed entirely" in result.stderr


def test_a_site_answering_only_server_errors_exits_1_and_a_good_crawl_exits_0(crawl, site):
    assert crawl(check=False).returncode == 0
    for path in ("/ledger/", "/courier/"):
        site.site.routes[path] = lambda s, q: Reply(503, b"down for maintenance")
    result = crawl(settings=("RETRY_TIMES=0",), check=False)
    assert result.returncode == 1
    assert "courier, ledger" in result.stderr
