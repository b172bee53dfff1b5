"""The Starlette application: routes, templates, the raw-record route, security headers.

Handlers are plain (sync) functions, which Starlette runs in its thread pool, so the
synchronous SQLAlchemy session never blocks the event loop. Every request gets its own
short read-only session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from newsarchive.archivist.replay import replay_address
from newsarchive.changes import KINDS
from newsarchive.web import diffview, queries
from newsarchive.web.feeds import changes_feed
from newsarchive.web.labels import kind_label
from newsarchive.web.readonly import read_only_sessions

HERE = Path(__file__).resolve().parent
FEED_SIZE = 50
HOME_CHANGES = 20

# Archived text is third-party input: no scripts at all, styles only from here.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@dataclass
class ViewConfig:
    db_url: str
    warc_dir: str
    replay_url: str = ""  # e.g. http://127.0.0.1:8080/news (a pywb collection)


class SecurityHeaders:
    """Pure ASGI middleware (no response buffering, so streamed records stay streamed)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                            if k.encode() not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "\u2013"


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _is_web_url(value: str | None) -> bool:
    """Only http(s) archived URLs become links (a stored ``javascript:`` URL stays text)."""
    return bool(value) and value.lower().startswith(("http://", "https://"))


def _int(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise HTTPException(400, f"{name} must be a number") from None


def _kind(request: Request) -> str | None:
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise HTTPException(400, f"unknown change kind {kind!r}")
    return kind


class WebView:
    """The routes over one archive; built once per process by :func:`create_app`."""

    def __init__(self, config: ViewConfig, sessions: sessionmaker[Session]):
        self.config, self.sessions = config, sessions
        env = Environment(loader=FileSystemLoader(HERE / "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True),
                          trim_blocks=True, lstrip_blocks=True)
        env.globals.update(kinds=KINDS, kind_label=kind_label, when=_when, iso=_iso,
                           capture_link=self.capture_link, is_web_url=_is_web_url)
        self.templates = Jinja2Templates(env=env)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        def query(**changes: Any) -> str:  # the current query string with some values changed
            params = dict(request.query_params)
            params.update({k: v for k, v in changes.items() if v is not None})
            for k in [k for k, v in changes.items() if v is None]:
                params.pop(k, None)
            return "?" + urlencode(params)

        return self.templates.TemplateResponse(request, template, {"query": query, **context},
                                               status_code=status)

    def capture_link(self, request: Request, row: Any) -> str | None:
        """Where a version's archived capture can be seen: the replay server, else the record."""
        if row.capture_id is None or not row.warc_record_id or row.warc_lost:
            return None
        if self.config.replay_url:
            return replay_address(self.config.replay_url, row.capture_url, row.fetched_at)
        return str(request.url_for("record", capture_id=row.capture_id))

    # -- pages -------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        with self.sessions() as session:
            outlets = queries.outlets_activity(session)
            latest = queries.latest_changes(session, size=HOME_CHANGES)
        return self.page(request, "home.html", outlets=outlets, changes=latest)

    def changes(self, request: Request) -> Response:
        kind = _kind(request)
        outlet = request.query_params.get("outlet") or None
        with self.sessions() as session:
            listed = queries.latest_changes(session, outlet=outlet, kind=kind,
                                            page=_int(request, "page", 1))
            outlets = queries.outlet_names(session)
        return self.page(request, "changes.html", changes=listed, kind=kind, outlet=outlet,
                         outlets=outlets)

    def outlet(self, request: Request) -> Response:
        name = request.path_params["name"]
        sort = request.query_params.get("sort", "newest")
        if sort not in queries.SORTS:
            raise HTTPException(400, f"sort must be one of {', '.join(queries.SORTS)}")
        kind = _kind(request)
        with self.sessions() as session:
            if name not in queries.outlet_names(session):
                raise HTTPException(404, f"no outlet named {name!r}")
            articles = queries.outlet_articles(session, name, sort=sort, kind=kind,
                                               page=_int(request, "page", 1))
        return self.page(request, "outlet.html", name=name, articles=articles, sort=sort, kind=kind)

    def story(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        view = request.query_params.get("view", "inline")
        if view not in ("inline", "side"):
            raise HTTPException(400, "view must be inline or side")
        with self.sessions() as session:
            article = queries.story(session, article_id)
            if article is None:
                raise HTTPException(404, "no such story")
            versions = queries.timeline(session, article_id)
            events = queries.events(session, article_id)
            last = versions[-1].seq if versions else 0
            to_seq = _int(request, "to", last)
            from_seq = _int(request, "from", max(to_seq - 1, 1))
            known = {v.seq for v in versions}
            if versions and (to_seq not in known or from_seq not in known):
                raise HTTPException(404, f"this story has versions 1 to {last}")
            if from_seq > to_seq:
                from_seq, to_seq = to_seq, from_seq
            chosen = queries.versions_by_seq(session, article_id, {from_seq, to_seq})
            diff = shown = None
            if from_seq != to_seq:
                old, new = chosen[from_seq], chosen[to_seq]
                stored = queries.stored_change(session, old.id, new.id)
                diff = diffview.diff_versions(old, new, stored.kinds if stored else None)
            elif chosen:
                shown = chosen[to_seq]
        return self.page(request, "story.html", article=article, versions=versions,
                         events=events, diff=diff, shown=shown, from_seq=from_seq,
                         to_seq=to_seq, view=view,
                         headline=(versions[-1].title if versions else None) or article.canonical_url)

    def search(self, request: Request) -> Response:
        text = (request.query_params.get("q") or "").strip()
        results = None
        if text:
            with self.sessions() as session:
                results = queries.search(session, text, page=_int(request, "page", 1))
        return self.page(request, "search.html", q=text, results=results)

    # -- feeds and records -------------------------------------------------------------

    def feed(self, request: Request) -> Response:
        name = request.path_params.get("name")
        with self.sessions() as session:
            if name is not None and name not in queries.outlet_names(session):
                raise HTTPException(404, f"no outlet named {name!r}")
            rows = queries.latest_changes(session, outlet=name, size=FEED_SIZE).rows
        home = str(request.url_for("outlet", name=name) if name else request.url_for("home"))

        def story_url(row: Any) -> str:
            url = str(request.url_for("story", article_id=row.article_id))
            if row.to_version_id and row.seq and row.seq > 1:
                url += f"?from={row.seq - 1}&to={row.seq}"
            return url

        body = changes_feed(rows, title=f"newsarchive: changes at {name}" if name else
                            "newsarchive: changes", feed_id=home, self_url=str(request.url),
                            home_url=home, story_url=story_url)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    def record(self, request: Request) -> Response:
        """The capture's WARC record exactly as stored: one gzip member, itself a valid
        ``.warc.gz`` file. Served as a download, never rendered: it is the site's bytes."""
        with self.sessions() as session:
            capture = queries.capture(session, request.path_params["capture_id"])
        if capture is None or not capture.warc_record_id or capture.warc_lost \
                or not capture.warc_filename or capture.warc_length is None:
            raise HTTPException(404, "no archived record for this capture")
        name = os.path.basename(capture.warc_filename)
        path = Path(self.config.warc_dir) / name
        if not path.exists() and path.with_name(name + ".open").exists():
            path = path.with_name(name + ".open")  # a crawl is still writing the file
        if name != capture.warc_filename or not path.is_file():
            raise HTTPException(404, f"WARC file {capture.warc_filename} is not in the WARC directory")
        offset, length = capture.warc_offset or 0, capture.warc_length

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as fh:
                fh.seek(offset)
                left = length
                while left > 0:
                    chunk = fh.read(min(left, 64 * 1024))
                    if not chunk:
                        break
                    left -= len(chunk)
                    yield chunk

        download = f"capture-{capture.id}.warc.gz"
        return StreamingResponse(chunks(), media_type="application/warc", headers={
            "content-length": str(length),
            "content-disposition": f'attachment; filename="{download}"',
            "warc-record-id": capture.warc_record_id,
        })

    def error(self, request: Request, exc: HTTPException) -> Response:
        return self.page(request, "error.html", status=exc.status_code, status_code=exc.status_code,
                         detail=exc.detail)


def create_app(config: ViewConfig) -> Starlette:
    """The web view over ``config.db_url`` (opened read-only; never migrated from here)."""
    view = WebView(config, read_only_sessions(config.db_url))
    routes = [
        Route("/", view.home, name="home"),
        Route("/changes", view.changes, name="changes"),
        Route("/search", view.search, name="search"),
        Route("/feed.atom", view.feed, name="feed"),
        Route("/outlet/{name}", view.outlet, name="outlet"),
        Route("/outlet/{name}/feed.atom", view.feed, name="outlet_feed"),
        Route("/story/{article_id:int}", view.story, name="story"),
        Route("/capture/{capture_id:int}.warc.gz", view.record, name="record"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                     exception_handlers={HTTPException: view.error})
