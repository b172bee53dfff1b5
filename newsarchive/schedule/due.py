"""The schedule in the archive: what is due now, and the update after each check or poll.

Storage code (no Scrapy). The crawl pipeline calls :func:`schedule_article` and
:func:`note_poll` in the transaction that stores a fetch, so the schedule never disagrees
with what was stored: a run killed mid-way leaves everything it did not store due.
:func:`due_articles` and :func:`due_sources` are the due query, shared by
``newsarchive recrawl`` (through the spider's recheck source), ``--dry-run``,
``newsarchive status`` and the distributed producer (``newsarchive enqueue``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from newsarchive.db.models import Article, ArticleVersion, Outlet, PollSource
from newsarchive.schedule.policy import History, Plan, Policy, PollPolicy, plan_next_check, plan_next_poll


@dataclass(frozen=True)
class DueArticle:
    outlet: str
    url: str  # the URL of record (where the story lives now)
    key: str  # the matching key
    next_check_at: datetime | None  # None: never scheduled (new in the archive, or before 0011)
    article_id: int

    def as_recheck(self) -> tuple[str, str, str]:
        """The recheck source's 3-tuple (outlet, URL of record, matching key)."""
        return self.outlet, self.url, self.key


@dataclass(frozen=True)
class DueSource:
    outlet: str
    url: str
    kind: str  # listing | feed | sitemap
    next_poll_at: datetime | None


def _rng(article: Article) -> random.Random:
    """Jitter that differs between stories but is the same on a retried transaction."""
    return random.Random(f"{article.id}:{article.check_count}")


def history_of(article: Article, published_at: datetime | None = None) -> History:
    return History(first_seen_at=article.first_seen_at, checks=article.check_count,
                   changes=article.change_count, last_checked_at=article.last_checked_at,
                   last_changed_at=article.last_changed_at, published_at=published_at)


def published_at_of(session: Session, article: Article) -> datetime | None:
    """The publication date the current version states (None when it states none).

    The storing transaction has usually loaded that version already (an unchanged re-check
    links its capture to it): then this costs no query; else one column is read, without
    flushing the transaction's pending changes first.
    """
    if article.current_version_id is None:
        return None
    loaded = session.identity_map.get(session.identity_key(ArticleVersion, article.current_version_id))
    if loaded is not None and "published_at" in loaded.__dict__:
        return loaded.published_at
    with session.no_autoflush:
        return session.scalar(select(ArticleVersion.published_at)
                              .where(ArticleVersion.id == article.current_version_id))


def schedule_article(session: Session, article: Article, policy: Policy, *, now: datetime,
                     published_at: datetime | None = None) -> Plan:
    """Set the article's next check from its history after a check at ``now``."""
    if published_at is None:
        published_at = published_at_of(session, article)
    plan = plan_next_check(policy, history_of(article, published_at), now, _rng(article))
    article.next_check_at = plan.next_check_at
    article.checks_stopped_at = now if plan.next_check_at is None else None
    return plan


def due_articles(session: Session, outlets: Iterable[str], *, now: datetime,
                 per_outlet: Mapping[str, int] | None = None, limit: int = 0) -> list[DueArticle]:
    """Articles of ``outlets`` whose next check is due at ``now``, most overdue first.

    ``per_outlet`` caps each outlet (0 or missing: no cap), ``limit`` all of them together
    (0: no cap); what a cap leaves out stays due, first in line for the next run. Stories
    never scheduled (first seen before migration 0011) count as the most overdue.
    """
    per_outlet = per_outlet or {}
    current = func.coalesce(Article.url, Article.redirected_to, Article.canonical_url)
    found: list[DueArticle] = []
    for name in dict.fromkeys(outlets):
        query = (select(Outlet.name, current, Article.canonical_url, Article.next_check_at, Article.id)
                 .join(Article.outlet)
                 .where(Outlet.name == name, Article.checks_stopped_at.is_(None),
                        or_(Article.next_check_at.is_(None), Article.next_check_at <= now))
                 .order_by(Article.next_check_at.is_not(None), Article.next_check_at, Article.id))
        cap = per_outlet.get(name) or limit
        if cap:
            query = query.limit(cap)
        found += [DueArticle(*row) for row in session.execute(query).all()]
    found.sort(key=lambda d: (d.next_check_at is not None, d.next_check_at or now, d.article_id))
    return found[:limit] if limit else found


def due_counts(session: Session, outlets: Iterable[str], *, now: datetime) -> dict[str, int]:
    """How many articles of each outlet are due at ``now`` (no caps)."""
    rows = session.execute(
        select(Outlet.name, func.count(Article.id)).join(Article.outlet)
        .where(Outlet.name.in_(list(outlets)), Article.checks_stopped_at.is_(None),
               or_(Article.next_check_at.is_(None), Article.next_check_at <= now))
        .group_by(Outlet.name)).all()
    return dict(rows)


# -- listings, feeds, sitemaps ------------------------------------------------------------------


def note_poll(session: Session, *, outlet_id: int, url: str, kind: str, digest: str | None,
              now: datetime, policy: PollPolicy) -> PollSource:
    """Record one read of a listing, feed or sitemap and plan the next one.

    ``digest`` stands for what the source listed (its article links or entries); a
    different digest than last time is a change and halves the interval, the same one
    grows it. None (a 304, or nothing parsed) counts as unchanged.
    """
    source = session.scalar(select(PollSource).where(PollSource.outlet_id == outlet_id, PollSource.url == url))
    if source is None:
        source = PollSource(outlet_id=outlet_id, url=url, kind=kind, first_polled_at=now,
                            poll_count=0, change_count=0)
        session.add(source)
    previous = timedelta(seconds=source.interval_seconds) if source.interval_seconds else None
    changed = digest is not None and source.content_digest is not None and digest != source.content_digest
    first = source.poll_count == 0
    source.poll_count += 1
    if changed:
        source.change_count += 1
    if changed or first:
        source.last_changed_at = now
    if digest is not None:
        source.content_digest = digest
    source.kind, source.last_polled_at = kind, now
    rng = random.Random(f"{url}:{source.poll_count}")
    source.next_poll_at, interval = plan_next_poll(policy, previous, changed, now, rng)
    source.interval_seconds = interval.total_seconds()
    session.flush()
    return source


def source_schedule(session: Session, outlets: Iterable[str]) -> dict[tuple[str, str], DueSource]:
    """Every known source of ``outlets`` with its next poll, by (outlet, URL)."""
    rows = session.execute(select(Outlet.name, PollSource.url, PollSource.kind, PollSource.next_poll_at)
                           .join(Outlet, Outlet.id == PollSource.outlet_id)
                           .where(Outlet.name.in_(list(outlets)))).all()
    return {(name, url): DueSource(name, url, kind, at) for name, url, kind, at in rows}


def due_sources(session: Session, outlets: Iterable[str], *, now: datetime) -> list[DueSource]:
    """Known sources of ``outlets`` due a poll at ``now``, most overdue first."""
    known = source_schedule(session, outlets)
    due = [s for s in known.values() if s.next_poll_at is None or s.next_poll_at <= now]
    return sorted(due, key=lambda s: (s.next_poll_at is not None, s.next_poll_at or now, s.url))
