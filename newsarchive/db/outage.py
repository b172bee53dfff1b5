"""A database that goes away mid-crawl stops the crawl at once, with one line and exit 69.

Every capture row and version is committed in its own transaction, so what is committed is
whole; what the crawl fetched after the outage is still in the WARC files (evidence kept),
it is simply not indexed. Going on would fetch pages nobody can find again, and log a
traceback per page; cron is better served by one line and ``exitcodes.DATABASE_UNAVAILABLE``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from newsarchive.urls import mask_url

logger = logging.getLogger(__name__)

FINISH_REASON = "database_unavailable"
STAT = "newsarchive/database_unavailable"


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached (connection refused, lost, server gone), not a bad query."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def reason_of(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return mask_url(text.splitlines()[0] if text else type(exc).__name__)


def stop_crawl(crawler: Any, exc: BaseException, *, close: bool = True) -> None:
    """Record the outage once, log one line and close the spider (reason ``database_unavailable``)."""
    stats = crawler.stats
    if stats.get_value(STAT):
        return
    reason = reason_of(exc)
    stats.set_value(STAT, reason)
    logger.error("database unavailable mid-crawl (%s): stopping; pages fetched after this point "
                 "are in the WARC files but not in the database", reason)
    engine = getattr(crawler, "engine", None)
    if close and engine is not None and getattr(engine, "spider", None) is not None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason=FINISH_REASON))


def happened(crawler: Any) -> bool:
    return bool(crawler.stats.get_value(STAT))
