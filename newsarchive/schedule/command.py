"""``newsarchive recrawl`` and ``newsarchive status``: the cron entry and its dashboard.

``recrawl`` takes a lock in the data directory (a second run exits at once with
:data:`newsarchive.exitcodes.LOCKED`, sending nothing; the kernel drops it when the run
dies, even by kill -9, so a stale lock file never blocks the next run), runs ``scrapy crawl news -a
recrawl=due`` in a child process with Scrapy's log going to ``<data dir>/logs/`` (created
if missing), prints one summary line per outlet and exits with the crawl's own status
(0, 1 outlet failed, 2 usage, 69 database unavailable), so a cron mail is short and useful.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from newsarchive import clock, exitcodes

LOCK_NAME = "recrawl.lock"


def _data_dir(args: argparse.Namespace) -> Path:
    from newsarchive.cli import project_settings

    return Path(project_settings(args).get("NEWSARCHIVE_DATA_DIR") or "data")


def _outlets(args: argparse.Namespace) -> list[str] | None:
    return [n.strip() for n in args.outlet.split(",") if n.strip()] if args.outlet else None


def cmd_recrawl(args: argparse.Namespace) -> int:
    clock.check()  # a malformed NEWSARCHIVE_NOW is a usage error (2), before the lock
    data_dir = _data_dir(args)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / LOCK_NAME, "a+")  # noqa: SIM115 (held for the whole run)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        print(f"newsarchive recrawl: another run holds {data_dir / LOCK_NAME} ({holder}); nothing fetched",
              file=sys.stderr)
        return exitcodes.LOCKED
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()} since {clock.now().isoformat(timespec='seconds')}\n")
    lock.flush()
    if args.dry_run:  # a database that cannot be opened: 69 from newsarchive.cli.main, like every verb
        return _dry_run(args)
    return _run(args, data_dir, lock.fileno())


def _dry_run(args: argparse.Namespace) -> int:
    from newsarchive.cli import open_session, project_settings
    from newsarchive.config import load_outlets
    from newsarchive.schedule import due

    settings = project_settings(args)
    outlets = load_outlets(settings.get("NEWSARCHIVE_OUTLETS"), only=_outlets(args))
    now = clock.now()
    names = [o.name for o in outlets]
    budgets = {o.name: o.recrawl_budget for o in outlets if o.recrawl_budget}
    with open_session(args) as session:
        articles = due.due_articles(session, names, now=now, per_outlet=budgets, limit=args.budget or 0)
        counts = due.due_counts(session, names, now=now)
        sources = due.due_sources(session, names, now=now)
    for item in articles:
        why = (f"overdue by {_span(now - item.next_check_at)}" if item.next_check_at
               else "never scheduled")
        print(f"article  {item.outlet:<12} {item.url}  ({why})")
    for source in sources:
        why = f"overdue by {_span(now - source.next_poll_at)}" if source.next_poll_at else "never polled"
        print(f"{source.kind:<8} {source.outlet:<12} {source.url}  ({why})")
    for name in names:
        print(f"outlet {name}: {counts.get(name, 0)} article(s) due, "
              f"{sum(1 for a in articles if a.outlet == name)} within this run's budget")
    return exitcodes.OK


def _span(value: timedelta) -> str:
    minutes = max(0, int(value.total_seconds() // 60))
    return f"{minutes // 1440}d{minutes % 1440 // 60}h" if minutes >= 1440 else f"{minutes // 60}h{minutes % 60:02d}m"


def _die_with_parent(parent: int) -> Any:
    """For the crawl child: be killed when ``newsarchive recrawl`` dies (kill -9 included),
    so no orphan crawl goes on after the run that cron or an operator stopped."""
    def preexec() -> None:
        if sys.platform.startswith("linux"):
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    return preexec


@contextmanager
def _stopping_gracefully(child: subprocess.Popen) -> Iterator[None]:
    """While the crawl runs, a SIGTERM (``systemctl stop``, ``kill``) or SIGHUP to this command
    becomes a SIGTERM to the crawl, Scrapy's graceful stop, and the command waits for it; so
    only kill -9 ends the crawl hard (through ``_die_with_parent``). SIGINT is ignored here: a
    terminal's Ctrl-C reaches the crawl itself, in the same process group."""
    def forward(signum: int, frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
                signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
                signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(args: argparse.Namespace, data_dir: Path, lock_fd: int) -> int:
    from newsarchive.cli import project_settings

    settings = project_settings(args)
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    log_file = logs / f"recrawl-{stamp}-{os.getpid()}.log"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="newsarchive.settings",
               NEWSARCHIVE_DATA_DIR=str(data_dir))
    if settings.get("NEWSARCHIVE_DB_URL"):
        env["NEWSARCHIVE_DB_URL"] = settings.get("NEWSARCHIVE_DB_URL")
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "recrawl=due",
               "-s", f"LOG_FILE={log_file}", "-s", "LOG_FILE_APPEND=False"]
    if args.outlet:
        command += ["-a", f"outlets={args.outlet}"]
    if args.budget:
        command += ["-s", f"NEWSARCHIVE_RECRAWL_BUDGET={args.budget}"]
    if args.max_seconds:
        command += ["-s", f"NEWSARCHIVE_RECRAWL_SECONDS={args.max_seconds}"]
    for setting in args.set or []:
        command += ["-s", setting]
    reports = data_dir / "reports"
    before = set(reports.glob("crawl-*.json")) if reports.exists() else set()
    started = time.monotonic()
    # The child holds the lock too (an inherited flock is the same lock): it is released
    # only when both are gone, whichever way they end.
    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, pass_fds=(lock_fd,),
                             preexec_fn=_die_with_parent(os.getpid()))  # noqa: PLW1509 (no threads yet)
    with _stopping_gracefully(child):
        _, stderr = child.communicate()
    result = subprocess.CompletedProcess(command, child.returncode, None, stderr)
    took = time.monotonic() - started
    for line in result.stderr.splitlines():
        if line.strip() and "Traceback" not in line:
            print(line.replace("scrapy crawl: ", "newsarchive recrawl: "), file=sys.stderr)
    new = sorted(set(reports.glob("crawl-*.json")) - before) if reports.exists() else []
    if not new:
        if result.returncode == exitcodes.OK:
            print(f"newsarchive recrawl: the crawl wrote no report (log: {log_file})", file=sys.stderr)
            return exitcodes.OUTLET_FAILED
        return result.returncode
    report = json.loads(new[-1].read_text(encoding="utf-8"))
    summary = {name: outlet_summary(figures) for name, figures in sorted(report.get("outlets", {}).items())}
    for name, figures in summary.items():
        print(f"{name}: checked {figures['checked']}, changed {figures['changed']}, new {figures['new']}, "
              f"errors {figures['errors']}" + (f", budget cut {figures['budget_cut']}" if figures["budget_cut"] else ""))
    print(f"recrawl finished in {took:.0f}s, exit status {result.returncode}; log: {log_file}")
    _record_run(args, report.get("run_id"), result.returncode, summary)
    return result.returncode


def outlet_summary(figures: dict[str, Any]) -> dict[str, int]:
    """checked / changed / new / errors of one outlet from its crawl-report figures."""
    changed = figures.get("new_version", 0) + figures.get("reverted", 0)
    checked = changed + sum(figures.get(k, 0) for k in ("unchanged", "not_modified", "identical"))
    checked += sum(v for k, v in figures.items() if k.startswith("gone_") and isinstance(v, int))
    errors = sum(v for k, v in figures.items() if k.startswith("errors/") and isinstance(v, int))
    return {"checked": checked, "changed": changed, "new": figures.get("new_article", 0), "errors": errors,
            "budget_cut": figures.get("budget_cut", 0)}


def _record_run(args: argparse.Namespace, run_id: int | None, code: int, summary: dict[str, Any]) -> None:
    if not run_id:
        return
    from newsarchive.cli import open_session
    from newsarchive.db.models import CrawlRun

    with open_session(args) as session, session.begin():
        run = session.get(CrawlRun, run_id)
        if run is not None:
            run.kind, run.exit_code, run.summary = "recrawl", code, summary


def cmd_status(args: argparse.Namespace) -> int:
    clock.check()
    return _status(args)


def _status(args: argparse.Namespace) -> int:
    from newsarchive.cli import open_session
    from newsarchive.db.models import Article, Capture, CrawlRun, Outlet
    from newsarchive.schedule import due

    now = clock.now()
    since = now - timedelta(hours=24)
    with open_session(args) as session:
        names = [n for n in session.scalars(select(Outlet.name).order_by(Outlet.name))
                 if not args.outlet or n == args.outlet]
        if args.outlet and not names:
            from newsarchive.cli import CommandError

            raise CommandError(f"no outlet named {args.outlet!r} in the archive")
        due_now = due.due_counts(session, names, now=now)
        for name in names:
            outlet_id = session.scalar(select(Outlet.id).where(Outlet.name == name))
            tracked = session.scalar(select(func.count(Article.id)).where(
                Article.outlet_id == outlet_id, Article.checks_stopped_at.is_(None)))
            stopped = session.scalar(select(func.count(Article.id)).where(
                Article.outlet_id == outlet_id, Article.checks_stopped_at.is_not(None)))
            recent = select(func.count(Capture.id)).where(Capture.outlet_id == outlet_id,
                                                          Capture.kind == "article", Capture.fetched_at >= since)
            checked = session.scalar(recent)
            changed = session.scalar(recent.where(Capture.outcome.in_(("new_version", "reverted"))))
            runs = session.scalars(select(CrawlRun).where(CrawlRun.kind == "recrawl")
                                   .order_by(CrawlRun.started_at.desc()).limit(20)).all()
            last = next((r for r in runs if name in (r.outlets or [])), None)
            if last is None:
                run_text = "no recrawl run yet"
            else:
                took = (last.finished_at - last.started_at).total_seconds() if last.finished_at else None
                run_text = (f"last recrawl {last.started_at:%Y-%m-%d %H:%M} UTC, {last.status}, exit "
                            f"{last.exit_code}, " + (f"{took:.0f}s" if took is not None else "still running"))
            print(f"{name}: {tracked} tracked ({stopped} past max_age), {due_now.get(name, 0)} due now, "
                  f"last 24 h: {checked} checked, {changed} changed; {run_text}")
    return exitcodes.OK


def add_verbs(verb: Any) -> None:
    sub = verb("recrawl", cmd_recrawl, "the cron entry: re-check what the schedule says is due, with a lock")
    sub.add_argument("--outlet", help="only these outlets (comma-separated)")
    sub.add_argument("--budget", type=int, default=0, metavar="N",
                     help="at most N article re-checks in this run, most overdue first (the rest stays due)")
    sub.add_argument("--max-seconds", type=float, default=0, metavar="S",
                     help="stop sending requests after S seconds (what is left stays due)")
    sub.add_argument("--dry-run", action="store_true", help="list what is due and why; fetch nothing")
    sub.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting for the crawl")
    sub = verb("status", cmd_status, "per outlet: articles tracked, due now, checked and changed in 24 h, last run")
    sub.add_argument("--outlet", help="only this outlet")
