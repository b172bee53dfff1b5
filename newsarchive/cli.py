"""The ``newsarchive`` command: the archivist's side of the archive.

Crawling stays ``scrapy crawl news``; these verbs read what the crawls stored, and
``demo`` runs the whole job against a bundled local outlet. One function per verb.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.settings import Settings
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from newsarchive import __version__, clock
from newsarchive.config import ConfigError
from newsarchive.urls import mask_url


class CommandError(Exception):
    """A command cannot do what was asked; the message says why (exit status 2)."""


def project_settings(args: argparse.Namespace) -> Settings:
    """newsarchive's Scrapy settings, with the command line's overrides on top."""
    settings = Settings()
    settings.setmodule("newsarchive.settings", priority="project")
    if getattr(args, "data_dir", None):
        settings.set("NEWSARCHIVE_DATA_DIR", args.data_dir, priority="cmdline")
    if getattr(args, "db", None):
        settings.set("NEWSARCHIVE_DB_URL", args.db, priority="cmdline")
    return settings


def open_session(args: argparse.Namespace) -> Session:
    """A session on the archive the arguments name; it must exist (commands only read)."""
    from sqlalchemy.engine import make_url

    from newsarchive.db.engine import db_url_from, open_database

    url = db_url_from(project_settings(args))
    try:
        parsed = make_url(url)
    except Exception:
        # an unparseable value may hold a password in any shape: name its scheme only
        scheme = url.split("://", 1)[0] if "://" in url else ""
        raise CommandError("not a database URL" + (f" (scheme {scheme!r})" if scheme.isidentifier() else "")
                           + ": expected dialect://user@host/db, e.g. postgresql://archive@db/news") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not Path(parsed.database).exists():
        raise CommandError(f"no archive at {parsed.database} (check --data-dir / --db)")
    return open_database(url)()


def parse_when(text: str) -> datetime:
    """An ISO date or datetime from the command line; naive means UTC, like the archive."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


# -- verbs ----------------------------------------------------------------------------------


def cmd_extract(args: argparse.Namespace) -> int:
    from newsarchive.extract import ExtractionError, extract_article

    path = Path(args.file)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = extract_article(body, args.url or path.resolve().as_uri())
    except ExtractionError as exc:
        raise CommandError(f"{path}: {exc}") from None
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_articles(args: argparse.Namespace) -> int:
    from newsarchive.db import store

    with open_session(args) as session:
        rows = store.list_articles(session, args.outlet)
        if not rows:
            print("no articles archived yet" + (f" for outlet {args.outlet!r}" if args.outlet else ""))
            return 0
        current = store.current_seqs(session, [a for a, _ in rows])
        print(f"{'OUTLET':<12} {'VERSIONS':>8} {'NOW':>3} {'CHECKS':>6} {'STATUS':<10} {'LAST CHANGED':<19}  URL")
        for article, outlet in rows:
            flag = "*" if article.flapping else ""
            print(f"{outlet:<12} {article.version_count:>8} {current.get(article.id, '-'):>3} "
                  f"{article.check_count:>6} {article.status + flag:<10} "
                  f"{_when(article.last_changed_at):<19}  {article.record_url}")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from newsarchive.db import store
    from newsarchive.db.models import Change

    with open_session(args) as session:
        article = store.find_article(session, args.url)
        if article is None:
            raise CommandError(f"no archived article for {args.url}")
        article_changes = session.scalars(select(Change).where(Change.article_id == article.id)).all()
        kinds = {c.to_version_id: c.kinds for c in article_changes if c.to_version_id}
        flips = {}
        for c in article_changes:
            if c.reverted_to_id:
                flips.setdefault(c.reverted_to_id, []).append(_when(c.created_at))
        seen = store.capture_counts(session, article)
        print(f"{article.record_url}  ({article.status}, {article.check_count} checks)")
        print(f"{'V':>3} {'NOW':<3} {'CAPTURED (UTC)':<19} {'SEEN':>4} {'PUBLISHED':<19} {'MODIFIED':<19}  "
              "TITLE / CHANGE")
        for version in article.versions:
            change = ", ".join(kinds.get(version.id, [])) or ("first version" if version.seq == 1 else "-")
            if not version.in_feed:  # a version storm's: see `newsarchive health`
                change += f"; {version.review} (run {version.run_id}), not in the change feed"
            if version.id in flips:
                change += "; shown again " + ", ".join(flips[version.id])
            now = "now" if version.id == article.current_version_id else ""  # what the page shows
            print(f"{version.seq:>3} {now:<3} {_when(version.captured_at):<19} {seen.get(version.id, 0):>4} "
                  f"{_when(version.published_at):<19} {_when(version.modified_at):<19}  {version.title}")
            print(f"{'':>3} {'':<3} {'':<19} {'':>4} {'':<19} {'':<19}  [{change}]")
    return 0


def _version_meta(version: Any, replay_url: str = "") -> dict[str, Any]:
    from newsarchive.archivist.replay import replay_link
    from newsarchive.db.queries import warc_pointer

    capture = version.first_capture
    meta = {
        "version": version.seq,
        "captured_at": version.captured_at.isoformat(),
        "warc_lost": bool(capture is not None and capture.warc_lost),
        "warc": warc_pointer(capture),
    }
    if replay_url:  # the capture this version came from, on the replay server (newsarchive replay)
        meta["replay"] = replay_link(replay_url, capture)
    return meta


def cmd_diff(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from newsarchive import changes, diffrender
    from newsarchive.db import store
    from newsarchive.db.models import Change

    with open_session(args) as session:
        article = store.find_article(session, args.url)
        if article is None:
            raise CommandError(f"no archived article for {args.url}")
        # versions held or rejected as a version storm are not shown (newsarchive health)
        by_seq = {v.seq: v for v in article.versions if v.in_feed}
        hidden = {v.seq: v for v in article.versions if not v.in_feed}
        for seq in (args.to, args.from_):
            if seq in hidden:
                raise CommandError(f"version {seq} of {article.canonical_url} is {hidden[seq].review} "
                                   f"(version storm of run {hidden[seq].run_id}; see newsarchive health)")
        if len(by_seq) < 2 and args.to is None:
            raise CommandError(f"{article.record_url} has only one version: nothing to compare")
        to_seq = max(by_seq) if args.to is None else args.to
        older = [seq for seq in by_seq if seq < to_seq]
        from_seq = (max(older) if older else to_seq - 1) if args.from_ is None else args.from_
        if from_seq >= to_seq:
            raise CommandError(f"--from ({from_seq}) must be older than --to ({to_seq})")
        if from_seq not in by_seq or to_seq not in by_seq:
            raise CommandError(f"{article.record_url} has versions {', '.join(map(str, sorted(by_seq)))}; "
                               f"asked for {from_seq}..{to_seq}")
        old, new = by_seq[from_seq], by_seq[to_seq]
        stored = session.scalar(select(Change).where(Change.from_version_id == old.id,
                                                     Change.to_version_id == new.id))
        record = changes.compare_versions(store.version_content(old), store.version_content(new))
        if stored is not None:
            record.kinds = list(stored.kinds)
        replay_url = args.replay_url or project_settings(args).get("NEWSARCHIVE_REPLAY_URL") or ""
        meta = {"url": article.record_url, "from": _version_meta(old, replay_url),
                "to": _version_meta(new, replay_url)}
        links = {f"version {v.seq} as archived": meta[k]["replay"] for k, v in (("from", old), ("to", new))
                 if meta[k].get("replay")}
        if args.format == "json":
            json.dump({**meta, "change": record.to_dict()}, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        elif args.format == "html":
            sys.stdout.write(diffrender.render_html(store.version_content(old), store.version_content(new),
                                                    record, title=new.title or article.record_url,
                                                    meta=meta, links=links))
        else:
            color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
            print(f"{article.record_url}: version {from_seq} ({_when(old.captured_at)}) "
                  f"-> version {to_seq} ({_when(new.captured_at)})")
            for label, link in links.items():
                print(f"  {label}: {link}")
            print(diffrender.render_text(store.version_content(old), store.version_content(new),
                                         record, color=color))
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    from newsarchive.changes import KINDS
    from newsarchive.db.queries import change_feed

    unknown = [k for k in args.kind or () if k not in KINDS]
    if unknown:
        raise CommandError(f"unknown kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    with open_session(args) as session:
        for row in change_feed(session, since=args.since, outlet=args.outlet, kinds=args.kind or ()):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def _span(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def cmd_syndication(args: argparse.Namespace) -> int:
    from newsarchive import syndication

    try:
        config = syndication.Config.from_settings(project_settings(args))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    with open_session(args) as session:
        if args.backfill:
            total = 0
            for total in syndication.backfill(session, config):
                session.commit()
            caught = syndication.catch_up(session, config)
            session.commit()
            print(f"fingerprinted {total} versions, compared {caught} released ones", file=sys.stderr)
        found = syndication.clusters(session, since=args.since, outlet=args.outlet)
    if args.format == "json":
        for cluster in found:
            sys.stdout.write(json.dumps(cluster, ensure_ascii=False) + "\n")
        return 0
    if not found:
        print("no syndication clusters" + (f" for outlet {args.outlet!r}" if args.outlet else ""))
        return 0
    for cluster in found:
        members = cluster["members"]
        aliases = sum(m["relation"] == "alias" for m in members)
        print(f"cluster {cluster['cluster']}: {len(members) - aliases} copies"
              + (f", {aliases} alias{'es' if aliases > 1 else ''}" if aliases else ""))
        print(f"  {'OUTLET':<12} {'FIRST SEEN (UTC)':<19} {'VERSIONS':>8} {'SIM':>5}  URL")
        for m in members:
            tag = f" (alias of {m['alias_of']})" if m["alias_of"] else ""
            print(f"  {m['outlet']:<12} {_when(parse_when(m['first_seen'])):<19} {m['versions']:>8} "
                  f"{m['similarity']:>5.2f}  {m['url']}{tag}")
        for edit in cluster["edits"]:
            reached = []
            for r in edit["reached"]:
                if r["took"] is None:
                    reached.append(f"never taken by {r['outlet']} {r['url']}")
                elif r["after_seconds"] < 0:
                    reached.append(f"{r['outlet']} had it {_span(-r['after_seconds'])} earlier (v{r['version']})")
                else:
                    reached.append(f"reached {r['outlet']} {_span(r['after_seconds'])} later (v{r['version']})")
            print(f"  edit {_when(parse_when(edit['captured_at']))} {edit['outlet']} v{edit['version']} "
                  f"[{', '.join(edit['kinds'])}]: " + ("; ".join(reached) or "no other copy"))
    return 0


def _health_row(outlet_run: Any) -> str:
    f = outlet_run.figures
    return (f"  run {outlet_run.run_id:>4} {_when(outlet_run.run.started_at):<19} {outlet_run.verdict:<10} "
            f"pages={f.get('article_pages', 0)} short={f.get('short_share', 0):.0%} "
            f"errors={f.get('error_share', 0):.0%} same-text={f.get('duplicate_share', 0):.0%} "
            f"no-title={f.get('missing_title_share', 0):.0%} no-date={f.get('missing_date_share', 0):.0%} "
            f"no-byline={f.get('missing_byline_share', 0):.0%} median={f.get('length', {}).get('p50', 0)} "
            f"changed={f.get('changed', 0)}/{f.get('checked', 0)}")


def _health_json(outlet_run: Any) -> dict[str, Any]:
    from newsarchive import health

    return {"run": outlet_run.run_id, "started_at": outlet_run.run.started_at.isoformat(),
            "run_status": outlet_run.run.status, "verdict": outlet_run.verdict, "reasons": outlet_run.reasons,
            "figures": outlet_run.figures, "storm": outlet_run.storm, "review": outlet_run.review,
            "leaked_text": health.leaked_text(outlet_run.storm)}


def cmd_health(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from newsarchive import alerts, exitcodes, health
    from newsarchive.db.models import Outlet

    settings = project_settings(args)
    thresholds = health.Thresholds.from_settings(settings)
    with open_session(args) as session:
        if args.confirm is not None or args.reject is not None:
            run_id, decision = (args.confirm, "confirmed") if args.confirm is not None else (args.reject, "rejected")
            with session.begin():
                try:
                    done = health.review_run(session, run_id, decision, outlet=args.outlet, thresholds=thresholds)
                except health.ReviewError as exc:
                    raise CommandError(str(exc)) from None
            for result, count in done:
                print(f"run {run_id}, outlet {result.outlet}: {count} version(s) {decision}"
                      + ("; they are in the change feed now" if decision == "confirmed" else
                         "; they stay out of the change feed and diffs"))
            alerts.notify(settings.get("NEWSARCHIVE_HEALTH_WEBHOOK"), [r for r, _ in done],
                          source=f"{decision} run {run_id}")
        query = select(Outlet).order_by(Outlet.name)
        if args.outlet:
            query = query.where(Outlet.name == args.outlet)
        outlets = session.scalars(query).all()
        if args.outlet and not outlets:
            raise CommandError(f"no outlet {args.outlet!r} in the archive")
        report = []
        for outlet in outlets:
            verdict = health.outlet_verdict(session, outlet)
            if verdict is None:
                continue
            report.append((verdict, health.outlet_runs(session, outlet, args.runs)))
        if args.format == "json":
            json.dump({"healthy": all(v.verdict == "healthy" for v, _ in report), "outlets": [
                {**v.to_dict(), "runs": [_health_json(r) for r in rows]} for v, rows in report]},
                sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        elif not report:
            print("no crawl run judged yet")
        for verdict, rows in report if args.format == "text" else ():
            print(f"{verdict.outlet}: {verdict.verdict.upper()}")
            for line in verdict.reasons:
                print(f"  - {line}")
            for row in rows:
                print(_health_row(row))
            base = rows[0].figures.get("baseline") if rows else None
            if base:
                print(f"  baseline ({base['runs']} run(s)): short={base['short_share']:.0%} "
                      f"errors={base['error_share']:.0%} no-title={base['missing_title_share']:.0%} "
                      f"no-date={base['missing_date_share']:.0%} no-byline={base['missing_byline_share']:.0%} "
                      f"median={base['length_p50']} changed={base['changed_share']:.0%}")
            for row in rows:
                if row.storm and row.review in ("held", "rejected"):
                    print(f"  run {row.run_id} storm {row.review}: {row.storm['held_versions']} version(s); "
                          f"text that leaked into the articles:")
                    for text in health.leaked_text(row.storm) or ["(none added: text was removed everywhere)"]:
                        print(f"    | {text}")
                    if row.review == "held":
                        print(f"    newsarchive health --confirm {row.run_id}   # a real mass edit: "
                              "publish the versions")
                        print(f"    newsarchive health --reject {row.run_id}    # page furniture: keep them out")
            hints = rows[0].figures.get("boilerplate_hints") if rows else None
            for hint in hints or ():
                print(f"  boilerplate hint: in {hint['articles']} pages of run {rows[0].run_id}: {hint['text'][:100]}")
    return exitcodes.OK if all(v.verdict == "healthy" for v, _ in report) else exitcodes.UNHEALTHY


def cmd_discover(args: argparse.Namespace) -> int:
    from newsarchive.discovery.learn import LearnError, learn_outlet, outlet_toml

    try:
        suggestion = learn_outlet(args.url)
    except LearnError as exc:
        raise CommandError(str(exc)) from None
    sys.stdout.write(outlet_toml(suggestion))
    return 0


def _file_time(name: str) -> datetime | None:
    """The UTC time in a WARC file name (``PREFIX-YYYYMMDDhhmmss...-SERIAL-HOST-PID``)."""
    for part in name.split("-"):
        if len(part) >= 14 and part[:14].isdigit():
            return datetime.strptime(part[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return None


def cmd_warcs(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from newsarchive.db import store
    from newsarchive.db.models import Capture, Outlet
    from newsarchive.warc import index_directory, list_warcs, repair_directory, warc_dir_from
    from newsarchive.warc.repair import clear_repairs, pending_repairs

    directory = warc_dir_from(project_settings(args))
    if args.repair:
        # The database first: a repair that cuts records must be able to mark their rows.
        with open_session(args) as session:
            session.execute(select(Capture.id).limit(1))
        actions = repair_directory(directory)
        pending = pending_repairs(directory)  # this run's cuts and any an earlier run left unmarked
        with open_session(args) as session, session.begin():
            lost = store.mark_lost_records(session, pending)
        clear_repairs(pending)
        index_directory(directory)
        for action in actions:
            print(f"{action.action}: {action.closed_path or action.open_path} "
                  f"({action.records_kept} records, {action.kept_size} of {action.original_size} bytes kept)")
        print(f"repaired {len(actions)} open file(s); {lost} capture(s) marked as lost")
    files = list_warcs(directory)
    unfinished = sorted(Path(directory).glob("*.warc.gz.open")) if Path(directory).is_dir() else []
    if unfinished:
        print(f"{len(unfinished)} unfinished .open file(s) (a crawl is running, or crashed: see --repair)")
    if args.since:
        files = [f for f in files if (_file_time(f.name) or args.since) >= args.since]
    if args.outlet:
        with open_session(args) as session:
            names = set(session.scalars(select(Capture.warc_filename).join(Outlet)
                                        .where(Outlet.name == args.outlet).distinct()))
        files = [f for f in files if f.name in names]
    if not files:
        print(f"no closed WARC files in {directory}" + (" matching the filters" if args.since or args.outlet else ""))
        return 0
    print(f"{'SIZE':>12} {'RECORDS':>8}  FILE")
    for info in files:
        print(f"{info.size:>12} {info.records:>8}  {info.path}")
    print(f"{sum(f.size for f in files):>12} {sum(f.records for f in files):>8}  total, {len(files)} file(s)")
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    import os

    from sqlalchemy import select

    from newsarchive.db import store
    from newsarchive.db.models import Capture
    from newsarchive.warc import read_record, warc_dir_from
    from newsarchive.warc.encodings import DecodingError, decode_body

    directory = warc_dir_from(project_settings(args))
    with open_session(args) as session:
        article = store.find_article(session, args.url)
        query = select(Capture).where(Capture.warc_record_id.is_not(None), Capture.warc_lost.is_(False))
        query = query.where((Capture.article_id == article.id) if article else (Capture.url == args.url))
        captures = session.scalars(query).all()
        if not captures:
            raise CommandError(f"no archived capture of {args.url}")
        at = args.at or clock.now()
        capture = min(captures, key=lambda c: abs((c.fetched_at - at).total_seconds()))
        record = read_record(os.path.join(directory, capture.warc_filename), capture.warc_offset)
        origin = ""
        if capture.warc_revisit:  # the bytes live in the original record it refers to
            original = session.scalar(select(Capture).where(
                Capture.warc_record_id == record.header("WARC-Refers-To")))
            if original is None:
                raise CommandError(f"revisit {capture.warc_record_id} refers to a record not in the database")
            body = read_record(os.path.join(directory, original.warc_filename), original.warc_offset).body
            origin = f", payload from {original.warc_record_id} ({original.fetched_at.isoformat()})"
        else:
            body = record.body
    print(f"# {capture.url} captured {capture.fetched_at.isoformat()} -> "
          f"{capture.warc_filename} @ {capture.warc_offset} {capture.warc_record_id}{origin}", file=sys.stderr)
    encoding = next((v for k, v in record.http_headers if k.lower() == "content-encoding"), "")
    if encoding.strip().lower() not in ("", "identity") and not args.raw:
        try:
            body = decode_body(body, encoding)
            print(f"# body shown decoded (archived {encoding}-encoded; --raw for the bytes)",
                  file=sys.stderr)
        except DecodingError as exc:
            print(f"# body shown as archived: {exc}", file=sys.stderr)
    out = sys.stdout.buffer
    out.write((record.http_status_line or "").encode("latin-1") + b"\r\n")
    for name, value in record.http_headers:
        out.write(f"{name}: {value}\r\n".encode("latin-1", "replace"))
    out.write(b"\r\n" + body)
    out.flush()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from newsarchive.archivist.export_warc import ExportError, export_warc
    from newsarchive.archivist.selection import Selection, SelectionError
    from newsarchive.warc import warc_dir_from

    directory = warc_dir_from(project_settings(args))
    out = Path(args.out)
    if out.exists():
        raise CommandError(f"{out} exists; give a new --out path (an export never overwrites)")
    if not out.parent.is_dir():
        raise CommandError(f"no directory {out.parent} for --out")
    if args.format == "wacz" and out.suffix != ".wacz":
        raise CommandError(f"{out}: a WACZ package's name must end in .wacz")
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit=" records", file=sys.stderr, desc="export")
        progress = bar.update
    with open_session(args) as session:
        try:
            selection = Selection(outlet=args.outlet, since=args.since, until=args.until,
                                  url=args.url).resolve(session)
            if args.format == "jsonl":
                from newsarchive.archivist.export_jsonl import export_jsonl

                tmp = out.with_name(out.name + ".part")
                with open(tmp, "w", encoding="utf-8") as fh:
                    feed, sentences = export_jsonl(session, selection, fh, progress=progress)
                tmp.rename(out)
                print(f"exported {feed} feed objects and {sentences} sentence rows to {out}", file=sys.stderr)
                return 0
            if args.format == "wacz":
                from newsarchive.archivist.export_wacz import export_wacz

                wacz = export_wacz(session, directory, selection, str(out), progress=progress)
                print(f"exported {wacz.pages} pages (one per article version"
                      + (f"; {wacz.versions - wacz.pages} version(s) without an archived record left out"
                         if wacz.versions > wacz.pages else "")
                      + f"), {wacz.records} records ({wacz.captures} captures, {wacz.originals} revisit "
                      f"original(s) added) in {len(wacz.warcs)} WARC file(s) to {out}", file=sys.stderr)
                return 0
            result = export_warc(session, directory, selection, str(out), progress=progress)
        except (SelectionError, ExportError) as exc:
            raise CommandError(str(exc)) from None
    print(f"exported {result.records} records ({result.captures} captures, {result.originals} revisit "
          f"original(s) added) to {', '.join(result.files)}", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from newsarchive import exitcodes
    from newsarchive.archivist.selection import Selection, SelectionError
    from newsarchive.archivist.verify import verify_archive
    from newsarchive.warc import warc_dir_from

    directory = warc_dir_from(project_settings(args))
    with open_session(args) as session:
        try:
            selection = Selection(outlet=args.outlet).resolve(session)
        except SelectionError as exc:
            raise CommandError(str(exc)) from None
        result = verify_archive(session, directory, since=args.since, outlet_id=selection.outlet_id)
    for report in result.files:
        state = "ok  " if not report.problems else "FAIL"
        print(f"{state} {report.name} ({report.records} records"
              + (f", {len(report.problems)} problem(s))" if report.problems else ")"))
        for line in report.problems:
            print(f"  {line}")
    for line in result.problems:
        print(f"FAIL {line}")
    if result.open_files:
        print(f"note: {result.open_files} unfinished .open file(s) not checked (a crawl is running, "
              "or crashed: newsarchive warcs --repair)")
    print(result.summary())
    return exitcodes.OK if result.ok else exitcodes.VERIFY_FAILED


def cmd_replay(args: argparse.Namespace) -> int:
    import os
    import socket

    from sqlalchemy import select

    from newsarchive.archivist import replay
    from newsarchive.archivist.selection import Selection, SelectionError
    from newsarchive.db.models import Capture
    from newsarchive.warc import closed_warcs, warc_dir_from

    settings = project_settings(args)
    directory = warc_dir_from(settings)
    warcs = closed_warcs(directory)
    if args.outlet:  # the files holding its captures (a revisit's original is the same URL's)
        with open_session(args) as session:
            try:
                selection = Selection(outlet=args.outlet).resolve(session)
            except SelectionError as exc:
                raise CommandError(str(exc)) from None
            names = set(session.scalars(select(Capture.warc_filename).distinct()
                                        .where(Capture.outlet_id == selection.outlet_id)))
        warcs = [w for w in warcs if os.path.basename(w) in names]
    if not warcs:
        raise CommandError(f"no closed WARC files in {directory}"
                           + (f" with captures of {args.outlet!r}" if args.outlet else ""))
    port = args.port or replay.free_port()
    with socket.socket() as probe:  # say so now, not after pywb's start-up
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise CommandError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    try:
        bin_dir = replay.ensure_pywb(args.venv or settings.get("NEWSARCHIVE_PYWB_VENV") or None,
                                     report=lambda line: print(f"newsarchive replay: {line}", file=sys.stderr,
                                                               flush=True))
        # one collection per listening port: two replays (say, one per outlet) never rebuild
        # each other's collection under a running pywb
        root = Path(settings.get("NEWSARCHIVE_DATA_DIR") or "data", "replay", f"port-{port}")
        lines = replay.build_collection(root, warcs)
        print(f"newsarchive replay: collection {replay.COLLECTION!r}: {len(warcs)} WARC file(s), {lines} "
              f"index lines (symlinks in {root})", file=sys.stderr, flush=True)
        return replay.serve(bin_dir, root, port,
                            announce=lambda line: print(line, file=sys.stderr, flush=True))
    except replay.SetupError as exc:
        raise CommandError(str(exc)) from None


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from newsarchive.web import ViewConfig, create_app
        from newsarchive.web.readonly import NoArchive
    except ImportError as exc:
        raise CommandError(f"the web view needs its extra: pip install 'newsarchive[web]' ({exc.name} missing)") from None
    from newsarchive.db.engine import db_url_from
    from newsarchive.warc import warc_dir_from

    settings = project_settings(args)
    config = ViewConfig(db_url=db_url_from(settings), warc_dir=warc_dir_from(settings),
                        replay_url=args.replay_url or settings.get("NEWSARCHIVE_REPLAY_URL") or "")
    try:
        app = create_app(config)
    except NoArchive as exc:
        raise CommandError(str(exc)) from None
    import socket

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        sock.listen(2048)  # connections queue from now on, before uvicorn has started
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    # the bound address on one line first: a caller that asked for port 0 learns the port
    print(f"newsarchive serve: http://{shown}:{port}/ (read-only; Ctrl-C stops)", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, server_header=False))
    server.run(sockets=[sock])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from newsarchive.demo.run import run_demo

    return run_demo(Path(args.data_dir or "data/demo"), keep_serving=args.serve)


# -- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsarchive", description=__doc__.splitlines()[0])
    parser.add_argument("-V", "--version", action="version", version=f"newsarchive {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="SQLAlchemy URL (default: NEWSARCHIVE_DB_URL or a SQLite file)")
    common.add_argument("--data-dir", help="data directory (default: NEWSARCHIVE_DATA_DIR or ./data)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    def verb(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, parents=[common], help=help, description=help)
        sub.set_defaults(func=func)
        return sub

    sub = verb("extract", cmd_extract, "clean one saved HTML page and print the fields as JSON")
    sub.add_argument("file")
    sub.add_argument("--url", help="the page's URL (resolves relative links, canonical)")
    sub = verb("articles", cmd_articles, "list archived articles with their version counts")
    sub.add_argument("--outlet")
    sub = verb("versions", cmd_versions, "list one article's versions with dates")
    sub.add_argument("url")
    sub = verb("diff", cmd_diff, "show what changed between two versions of an article")
    sub.add_argument("url")
    sub.add_argument("--from", dest="from_", type=int, metavar="N", help="older version (default: to - 1)")
    sub.add_argument("--to", type=int, metavar="M", help="newer version (default: the latest)")
    sub.add_argument("--format", choices=("text", "html", "json"), default="text")
    sub.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    sub.add_argument("--replay-url", help="link each version to its capture in this replay collection, e.g. "
                                          "http://127.0.0.1:8080/news (default: NEWSARCHIVE_REPLAY_URL)")
    sub = verb("changes", cmd_changes,
               "every version with its change record, and removals/redirects, as JSON lines")
    sub.add_argument("--since", type=parse_when, metavar="T", help="only events at or after T (ISO date/datetime, UTC)")
    sub.add_argument("--outlet", help="only this outlet")
    sub.add_argument("--kind", action="append", metavar="K",
                     help="only changes carrying kind K (repeatable: any of them)")
    sub.add_argument("--format", choices=("jsonl",), default="jsonl")
    sub = verb("syndication", cmd_syndication,
               "clusters of the same story: copies on several outlets, URL aliases on one, "
               "and which copies took each edit when")
    sub.add_argument("--since", type=parse_when, metavar="T",
                     help="only clusters with a version captured at or after T (ISO date/datetime, UTC)")
    sub.add_argument("--outlet", help="only clusters with a member on this outlet")
    sub.add_argument("--format", choices=("text", "json"), default="text",
                     help="json: one cluster per line")
    sub.add_argument("--backfill", action="store_true",
                     help="first fingerprint and cluster versions stored without a fingerprint")
    sub = verb("health", cmd_health,
               "extraction health per outlet: the last runs against the outlet's baseline and a verdict "
               "(exit status 1 when an outlet is not healthy)")
    sub.add_argument("--outlet", help="only this outlet")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--runs", type=int, default=3, metavar="N", help="show the last N runs (default 3)")
    review = sub.add_mutually_exclusive_group()
    review.add_argument("--confirm", type=int, metavar="RUN",
                        help="a held storm of run RUN is a real mass edit: release its versions into the feed")
    review.add_argument("--reject", type=int, metavar="RUN",
                        help="a held storm of run RUN is leaked page furniture: keep its versions out for good")
    sub = verb("discover", cmd_discover,
               "read a homepage and its robots.txt; print a ready-to-paste [[outlet]] block")
    sub.add_argument("url", help="the outlet's homepage")
    sub = verb("warcs", cmd_warcs, "list closed WARC files with sizes and record counts")
    sub.add_argument("--since", type=parse_when, metavar="T", help="only files opened at or after T")
    sub.add_argument("--outlet", help="only files holding captures of this outlet")
    sub.add_argument("--repair", action="store_true",
                     help="first cut crashed .open files back to their last complete record")
    sub = verb("record", cmd_record, "print the archived HTTP response of a capture")
    sub.add_argument("url", help="an article URL (canonical or as fetched) or any fetched URL")
    sub.add_argument("--at", type=parse_when, metavar="T", help="the capture nearest to T (default: latest)")
    sub.add_argument("--raw", action="store_true", help="print a content-encoded body (gzip, deflate, br, zstd) as archived")
    sub = verb("export", cmd_export, "export a selection: a WACZ package whose pages are article versions, "
                                     "its records as WARC files (revisit originals included), or its "
                                     "versions, changes and sentences as JSON lines")
    sub.add_argument("--format", choices=("wacz", "warc", "jsonl"), required=True,
                     help="wacz: a WACZ 1.1.1 package (ReplayWeb.page, pywb); warc: the records; "
                          "jsonl: versions, changes and the sentence table")
    sub.add_argument("--out", required=True, metavar="PATH",
                     help="the file to write (*.wacz, *.warc.gz, *.jsonl)")
    sub.add_argument("--outlet", help="only this outlet's captures")
    sub.add_argument("--since", type=parse_when, metavar="T", help="captures at or after T")
    sub.add_argument("--until", type=parse_when, metavar="U", help="captures before U")
    sub.add_argument("--url", help="one article (any URL variant) or one fetched URL")
    sub = verb("verify", cmd_verify,
               "recompute every record's digests and check capture rows, versions, CDXJ lines and "
               "revisits against the WARC files (exit status 1 on any problem)")
    sub.add_argument("--since", type=parse_when, metavar="T", help="only files holding captures at or after T")
    sub.add_argument("--outlet", help="only this outlet's files, rows and versions")
    sub = verb("replay", cmd_replay, "serve the archive's WARC files through pywb on 127.0.0.1 (pywb lives in "
                                     "its own virtualenv, made on first use); Ctrl-C or SIGTERM stops")
    sub.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    sub.add_argument("--outlet", help="only the WARC files holding this outlet's captures")
    sub.add_argument("--venv", help="pywb's virtualenv (default: NEWSARCHIVE_PYWB_VENV or "
                                    "~/.cache/newsarchive/venv-pywb)")
    sub = verb("serve", cmd_serve, "serve a read-only web view of the archive (needs the [web] extra)")
    sub.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sub.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    sub.add_argument("--replay-url", help="link captures to this replay collection URL "
                                          "(default: NEWSARCHIVE_REPLAY_URL; empty = raw WARC record)")
    sub.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))
    sub = verb("demo", cmd_demo, "serve the bundled demo outlet, crawl it, edit it, re-crawl, report "
                                 "(into --data-dir, default data/demo, emptied first)")
    sub.add_argument("--serve", action="store_true", help="keep serving the demo site afterwards")
    from newsarchive.distributed.commands import add_verbs as add_distributed_verbs

    add_distributed_verbs(verb)
    from newsarchive.schedule.command import add_verbs as add_schedule_verbs

    add_schedule_verbs(verb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CommandError, ConfigError, clock.ClockError) as exc:
        print(f"newsarchive {args.verb}: error: {mask_url(str(exc))}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        from newsarchive import exitcodes
        from newsarchive.db.outage import is_outage, reason_of

        print(f"newsarchive {args.verb}: error: database: {reason_of(exc)}", file=sys.stderr)
        # cron tells "the database is down, try later" (69) from "this command is wrong" (2)
        return exitcodes.DATABASE_UNAVAILABLE if is_outage(exc) else 2
    except BrokenPipeError:
        return 0
