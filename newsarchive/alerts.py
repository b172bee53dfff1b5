"""The alerting hook: POST an outlet's new verdict to a webhook URL when it changes.

Cron mails a failing ``newsarchive health``; the webhook reaches chat rooms and pagers the
moment a crawl (or a review) changes a verdict. Called from worker threads and commands,
never on the reactor. A failing hook is logged and never fails the crawl.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from newsarchive import __version__

logger = logging.getLogger(__name__)
TIMEOUT = 10


def changed(results: Iterable[Any]) -> list[Any]:
    """The outlets whose verdict differs from the one before (a first verdict counts unless healthy)."""
    return [r for r in results if r.verdict != (r.previous or "healthy")]


def notify(url: str | None, results: Iterable[Any], *, source: str) -> int:
    """POST one JSON object per changed verdict to ``url``; return how many were delivered."""
    if not url:
        return 0
    delivered = 0
    for result in changed(results):
        body = json.dumps({"event": "verdict_changed", "source": source, **result.to_dict()}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"newsarchive/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
            delivered += 1
        except (urllib.error.URLError, OSError, ValueError) as exc:
            logger.warning("health webhook %s failed for outlet %s: %s", url, result.outlet, exc)
    return delivered
