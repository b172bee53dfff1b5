"""``newsarchive enqueue`` and ``newsarchive worker``: the two halves of distributed mode."""

from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from newsarchive import clock, exitcodes
from newsarchive.config import load_outlets
from newsarchive.db.engine import db_url_from
from newsarchive.distributed.mode import (
    DistributedError,
    RedisUnavailable,
    check_redis,
    distributed_settings,
    redis_client,
    redis_keys,
)
from newsarchive.urls import mask_url


def _settings(args: argparse.Namespace):
    from newsarchive.cli import CommandError, project_settings

    settings = project_settings(args)
    try:
        extra = distributed_settings(settings)
    except DistributedError as exc:
        raise CommandError(str(exc)) from None
    return settings, extra


def _fail(verb: str, message: str, code: int) -> int:
    """One line on stderr and the status cron acts on (README: "Exit codes")."""
    print(f"newsarchive {verb}: error: {mask_url(message)}", file=sys.stderr)
    return code


def _db_reason(exc: Exception) -> str:
    from newsarchive.db.outage import reason_of

    return reason_of(exc)


def cmd_enqueue(args: argparse.Namespace) -> int:
    """Push start pages, feeds, sitemaps and the due articles' re-checks to the fleet.

    Due is the re-crawl schedule's word (:func:`newsarchive.schedule.due.due_articles`,
    most overdue first); ``--all`` hands out every known article instead (an audit).
    """
    import redis

    from newsarchive.cli import CommandError
    from newsarchive.db.engine import session_factory
    from newsarchive.distributed.producer import ProducerBusy, enqueue, recheck_work, seed_work
    from newsarchive.recheck import DatabaseRecheckSource
    from newsarchive.schedule.due import due_articles

    settings, extra = _settings(args)
    only = [args.outlet] if args.outlet else None
    outlets = load_outlets(settings.get("NEWSARCHIVE_OUTLETS"), only=only)
    try:
        server = redis_client(extra["REDIS_URL"])
        check_redis(extra["REDIS_URL"])
    except RedisUnavailable as exc:
        return _fail("enqueue", f"{exc}; nothing enqueued", exc.exit_code)
    except DistributedError as exc:
        raise CommandError(str(exc)) from None
    now = clock.now()
    names = [o.name for o in outlets]
    try:
        if args.all:
            due = DatabaseRecheckSource(db_url_from(settings)).known_articles(names)
        else:  # the re-crawl schedule's due work: the database decides, Redis only carries it
            with session_factory(db_url_from(settings))() as session:
                due = [d.as_recheck() for d in due_articles(session, names, now=now, limit=args.budget or 0)]
    except (SQLAlchemyError, OSError) as exc:
        return _fail("enqueue", f"database: {_db_reason(exc)}; nothing enqueued", exitcodes.DATABASE_UNAVAILABLE)
    try:
        counts = enqueue(server, [*seed_work(outlets), *recheck_work(due)], now=now,
                         lease_seconds=args.lease, keys=redis_keys(settings))
    except ProducerBusy as exc:
        print(f"newsarchive enqueue: {exc}; nothing enqueued", file=sys.stderr)
        return exitcodes.LOCKED
    except (redis.RedisError, OSError) as exc:
        return _fail("enqueue", f"Redis: {exc}", exitcodes.QUEUE_UNAVAILABLE)
    print("enqueued: " + (", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing"))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Become one ``scrapy crawl news-worker`` until the queue has been empty for --idle-exit s.

    The checks come first, so a worker that cannot work exits with one line and its status
    (2: configuration, 69: Redis or the database unavailable) instead of a traceback. Then
    the process *is* the crawl (exec, not a child): its pid is the worker's, so a signal,
    systemd or ``kill -9`` reaches the crawl itself, and its status is the crawl's.
    """
    from newsarchive.db.engine import session_factory

    settings, extra = _settings(args)
    load_outlets(settings.get("NEWSARCHIVE_OUTLETS"),
                 only=args.outlet.split(",") if args.outlet else None)  # ConfigError: status 2
    try:
        check_redis(extra["REDIS_URL"])
    except DistributedError as exc:  # a malformed URL (2) or Redis not answering (69)
        return _fail("worker", str(exc), exc.exit_code)
    try:
        session_factory(db_url_from(settings))
    except (SQLAlchemyError, OSError) as exc:
        return _fail("worker", f"database: {_db_reason(exc)}", exitcodes.DATABASE_UNAVAILABLE)
    extra = {**extra, "MAX_IDLE_TIME_BEFORE_CLOSE": args.idle_exit,
             "NEWSARCHIVE_FLEET_POLITENESS": not args.no_fleet_politeness}
    command = [sys.executable, "-m", "scrapy", "crawl", "news-worker"]
    for key, value in extra.items():
        command += ["-s", f"{key}={value}"]
    for setting in args.set or []:
        command += ["-s", setting]
    if args.outlet:
        command += ["-a", f"outlets={args.outlet}"]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="newsarchive.settings")
    for key in ("NEWSARCHIVE_DATA_DIR", "NEWSARCHIVE_DB_URL"):
        if settings.get(key):
            env[key] = str(settings.get(key))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)
    return exitcodes.OK  # not reached


def add_verbs(verb) -> None:
    sub = verb("enqueue", cmd_enqueue, "distributed mode: hand the due work to the workers via Redis")
    sub.add_argument("--outlet", help="only this outlet")
    sub.add_argument("--all", action="store_true",
                     help="every known article, due or not (default: only what the schedule says is due)")
    sub.add_argument("--budget", type=int, default=0, metavar="N",
                     help="at most N article re-checks, most overdue first; the rest stays due")
    sub.add_argument("--lease", type=float, default=15 * 60, metavar="S",
                     help="seconds before work handed out but not done is handed out again (default 900)")
    sub = verb("worker", cmd_worker, "distributed mode: one crawl worker fed from Redis (any host)")
    sub.add_argument("--outlet", help="take seeds of this outlet only (comma-separated list)")
    sub.add_argument("--idle-exit", type=int, default=60, metavar="S",
                     help="exit after the queue was empty this many seconds (default 60)")
    sub.add_argument("--no-fleet-politeness", action="store_true",
                     help="space requests per worker only, not across the fleet")
    sub.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
