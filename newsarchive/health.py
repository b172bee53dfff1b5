"""Extraction health: notice in the run itself when an outlet's redesign breaks the archive.

After each crawl run, per outlet, from what the pipeline stored (captures and versions
tagged with the run id): the share of article pages with empty or very short text,
extraction errors, missing title / date / byline, text lengths, pages whose text is the
same as another article's, and **version storms** — an unusual share of the outlet's
checked articles getting a new version at once, mostly through the same change (one
sentence added everywhere, one removed everywhere). Each figure is judged against the
outlet's own recent runs (its baseline) and gives a verdict: healthy, degraded, broken, or
storm held.

A storm's versions are *held*: stored, but out of the change feed until a person runs
``newsarchive health --confirm RUN`` (a genuine mass edit: they enter the feed) or
``--reject RUN`` (leaked page furniture: they stay out for good, and later fetches compare
against the last version not rejected; see ``store.record_article``). Until its run has
been analysed a new version is *pending*, so a storm never reaches the feed even for the
minutes of the crawl.

Pure storage and arithmetic: no Scrapy here (the extension in newsarchive.extensions calls
:func:`close_run` in a worker thread at the end of the crawl).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsarchive import clock
from newsarchive.changes import split_sentences
from newsarchive.db.models import (
    Article,
    ArticleVersion,
    Capture,
    Change,
    CrawlRun,
    Outlet,
    OutletRun,
)

VERDICTS = ("healthy", "degraded", "storm held", "broken")  # in rising severity
EXTRACTION_ERRORS = ("no_text", "parse_error", "not_html")  # spider error kinds (stats)
_CHECKED = ("new_version", "unchanged", "reverted", "flapped")  # outcomes of articles that had a version


@dataclass(frozen=True)
class Thresholds:
    """When figures make a verdict. Settings ``NEWSARCHIVE_HEALTH_<FIELD>`` override each one."""

    short_text: int = 300  # characters: a body shorter than this is "very short"
    min_pages: int = 3  # fewer article pages than this: figures are reported, not judged
    degraded_rise: float = 0.15  # a bad share this far above the baseline: degraded
    broken_share: float = 0.5  # a bad share this high (and above the baseline): broken
    length_degraded: float = 0.7  # median text length below this fraction of the baseline: degraded
    length_broken: float = 0.4  # ... below this fraction: broken
    storm_min_checked: int = 5  # a storm needs at least this many re-checked articles
    storm_share: float = 0.5  # ... this share of them with a new version (and 3x the baseline share)
    storm_common: float = 0.6  # ... and one change shared by this share of the new versions
    boilerplate_share: float = 0.3  # a sentence in this share of an outlet's pages in a run: boilerplate hint
    baseline_runs: int = 5  # earlier runs (not broken, no storm) that make the baseline

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = settings.get(f"NEWSARCHIVE_HEALTH_{f.name.upper()}")
            if raw not in (None, ""):
                values[f.name] = type(getattr(cls, f.name))(raw)
        return cls(**values)


# -- figures ---------------------------------------------------------------------------------


def _key(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def _quantiles(values: list[int]) -> dict[str, int]:
    if not values:
        return {"min": 0, "p10": 0, "p50": 0, "p90": 0, "max": 0}
    ordered = sorted(values)

    def at(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"min": ordered[0], "p10": at(0.1), "p50": int(statistics.median(ordered)), "p90": at(0.9),
            "max": ordered[-1]}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def run_figures(session: Session, run_id: int, outlet_id: int, *, errors: Mapping[str, int] | None = None,
                article_pages: int | None = None, thresholds: Thresholds = Thresholds()) -> dict[str, Any]:
    """Counts, shares and text lengths of one outlet's article fetches in one run.

    ``errors`` (spider error kinds and counts) and ``article_pages`` come from the crawl's
    stats: an extraction error stores no version. Without them (a run analysed after a
    crash) only what was stored counts.
    """
    rows = session.execute(
        select(Capture.outcome, Capture.article_id, ArticleVersion)
        .join(ArticleVersion, Capture.version_id == ArticleVersion.id)
        .where(Capture.run_id == run_id, Capture.outlet_id == outlet_id)
        .order_by(Capture.id)
    ).all()
    errors = {k: int(v) for k, v in (errors or {}).items() if v}
    extraction_errors = sum(errors.get(k, 0) for k in EXTRACTION_ERRORS)
    seen: dict[int, tuple[str | None, ArticleVersion]] = {}
    for outcome, article_id, version in rows:  # an article fetched twice counts once (its last fetch)
        seen[article_id] = (outcome, version)
    stored = len(seen)
    pages = max(article_pages or 0, stored + extraction_errors)
    lengths, texts = [], Counter()
    sentence_articles: Counter[str] = Counter()
    examples: dict[str, str] = {}
    counts = Counter()
    for outcome, version in seen.values():
        text = "\n\n".join(version.paragraphs or [])
        lengths.append(len(text))
        counts["short"] += len(text) < thresholds.short_text
        counts["empty"] += not text.strip()
        counts["missing_title"] += not (version.title or "").strip()
        counts["missing_byline"] += not (version.byline or "").strip() and not version.authors
        counts["missing_date"] += version.published_at is None
        counts[outcome or "unknown"] += 1
        counts["rejected_again"] += version.review == "rejected"
        if text.strip():
            texts[_key(text)] += 1
        keys = set()
        for paragraph in version.paragraphs or []:
            for sentence in split_sentences(paragraph):
                key = _key(sentence)
                if len(key) >= 20 and key not in keys:
                    keys.add(key)
                    examples.setdefault(key, sentence)
        sentence_articles.update(keys)
    duplicate = sum(n for n in texts.values() if n > 1)
    checked = sum(counts[o] for o in _CHECKED)
    floor = max(3, thresholds.boilerplate_share * stored)
    hints = [{"text": examples[k], "articles": n} for k, n in sentence_articles.most_common(10) if n >= floor]
    return {
        "article_pages": pages,
        "stored": stored,
        "new_articles": counts["new_article"],
        "checked": checked,
        "changed": counts["new_version"],
        "extraction_errors": extraction_errors,
        "errors": errors,
        "short": counts["short"],
        "empty": counts["empty"],
        "duplicate_text": duplicate,
        "missing_title": counts["missing_title"],
        "missing_byline": counts["missing_byline"],
        "missing_date": counts["missing_date"],
        "rejected_again": counts["rejected_again"],
        "length": _quantiles(lengths),
        "short_share": _share(counts["short"] + errors.get("no_text", 0), pages),
        "error_share": _share(extraction_errors, pages),
        "duplicate_share": _share(duplicate, stored),
        "missing_title_share": _share(counts["missing_title"], stored),
        "missing_byline_share": _share(counts["missing_byline"], stored),
        "missing_date_share": _share(counts["missing_date"], stored),
        "changed_share": _share(counts["new_version"], checked),
        "boilerplate_hints": hints,
        "sentence_articles": sentence_articles,  # dropped before storing; used by the storm check
    }


SHARES = ("short_share", "error_share", "duplicate_share", "missing_title_share", "missing_byline_share",
          "missing_date_share", "changed_share")


def baseline(session: Session, outlet_id: int, before_run: int, thresholds: Thresholds) -> dict[str, Any] | None:
    """Medians of the outlet's last normal runs: neither broken nor with a storm."""
    earlier = session.scalars(
        select(OutletRun).where(OutletRun.outlet_id == outlet_id, OutletRun.run_id < before_run,
                                OutletRun.storm.is_(None))
        .order_by(OutletRun.run_id.desc()).limit(thresholds.baseline_runs * 3)
    ).all()
    normal = [r.figures for r in earlier if r.verdict != "broken"
              and r.figures.get("article_pages", 0) >= thresholds.min_pages][: thresholds.baseline_runs]
    if not normal:
        return None
    base: dict[str, Any] = {k: round(statistics.median(f.get(k, 0.0) for f in normal), 4) for k in SHARES}
    base["length_p50"] = int(statistics.median(f.get("length", {}).get("p50", 0) for f in normal))
    base["runs"] = len(normal)
    return base


def find_storm(session: Session, run_id: int, outlet_id: int, figures: Mapping[str, Any],
               base: Mapping[str, Any] | None, thresholds: Thresholds) -> dict[str, Any] | None:
    """An unusual share of re-checked articles changed, mostly by the same change; else None."""
    checked, changed = figures["checked"], figures["changed"]
    usual = (base or {}).get("changed_share", 0.0)
    needed = min(0.95, max(thresholds.storm_share, 3 * usual))
    if checked < thresholds.storm_min_checked or changed < 2 or changed / checked < needed:
        return None
    rows = session.execute(
        select(Change.detail, ArticleVersion.paragraphs)
        .join(ArticleVersion, Change.to_version_id == ArticleVersion.id)
        .join(Article, Change.article_id == Article.id)
        .where(ArticleVersion.run_id == run_id, Article.outlet_id == outlet_id)
    ).all()
    details = [detail for detail, _ in rows]
    common: Counter[tuple[str, str]] = Counter()
    text: dict[tuple[str, str], dict[str, Any]] = {}
    for detail, paragraphs in rows:
        ops: set[tuple[str, str]] = set()
        for op in ("added", "removed"):
            for sentence in detail.get(op) or []:
                key = (op, _key(sentence))
                ops.add(key)
                if key not in text:
                    text[key] = {"change": op, "text": sentence}
                    if op == "added":  # the whole paragraph it came in: what a cleaning rule matches
                        text[key]["paragraph"] = next((p for p in paragraphs or [] if sentence in p), sentence)
        for edit in detail.get("edited") or []:
            key = ("edited", _key(edit["old"]) + "\x1f" + _key(edit["new"]))
            ops.add(key)
            text.setdefault(key, {"change": "edited", "text": edit["new"], "old": edit["old"]})
        common.update(ops)
    if not details:
        return None
    floor = thresholds.storm_common * len(details)
    shared = [(key, n) for key, n in common.most_common(10) if n >= floor]
    if not shared:
        return None
    everywhere: Counter[str] = figures.get("sentence_articles") or Counter()
    stored = max(1, figures["stored"])
    leaks = []
    for (op, key), n in shared:
        entry = dict(text[op, key], articles=n)
        if op != "removed":  # how many of the outlet's pages in this run carry the new text
            pages = everywhere.get(key.split("\x1f")[-1], 0)
            entry["in_pages"] = pages
            entry["boilerplate_hint"] = pages >= max(3, thresholds.boilerplate_share * stored)
        leaks.append(entry)
    return {"checked": checked, "changed": changed, "share": round(changed / checked, 4),
            "versions": len(details), "common": leaks,
            "likely": "leaked boilerplate" if any(e.get("boilerplate_hint") for e in leaks)
            else "mass edit or lost text"}


# -- verdicts --------------------------------------------------------------------------------


def judge(figures: Mapping[str, Any], base: Mapping[str, Any] | None, storm: Mapping[str, Any] | None,
          review: str | None, thresholds: Thresholds) -> tuple[str, list[str]]:
    """The verdict of one outlet's run and the reasons for it, from its figures and baseline."""
    broken: list[str] = []
    degraded: list[str] = []
    pages = figures.get("article_pages", 0)
    if pages < thresholds.min_pages:
        if not pages and base:
            return "degraded", ["no article pages fetched (the outlet had some before)"]
        return "healthy", [f"only {pages} article page(s): not judged"]

    def rise(key: str, label: str, *, metadata: bool = False) -> None:
        """A bad share above the outlet's usual one. Lost metadata degrades (the text is still
        right) and is judged only against history: some outlets never sign their stories."""
        if metadata and base is None:
            return
        value, usual = figures.get(key, 0.0), (base or {}).get(key, 0.0)
        text = f"{label} {value:.0%} (baseline {usual:.0%})"
        if value - usual < thresholds.degraded_rise:
            return
        (broken if value >= thresholds.broken_share and not metadata else degraded).append(text)

    rise("short_share", "empty or very short text")
    rise("error_share", "extraction errors")
    rise("duplicate_share", "same text as another article")
    rise("missing_title_share", "missing title", metadata=True)
    rise("missing_date_share", "missing date", metadata=True)
    rise("missing_byline_share", "missing byline", metadata=True)
    if base and base.get("length_p50"):
        median, usual = figures.get("length", {}).get("p50", 0), base["length_p50"]
        text = f"median text length {median} chars (baseline {usual})"
        if median < thresholds.length_broken * usual:
            broken.append(text)
        elif median < thresholds.length_degraded * usual:
            degraded.append(text)
    if figures.get("rejected_again"):
        degraded.append(f"{figures['rejected_again']} page(s) still show text rejected earlier: "
                        "add a cleaning rule")
    notes: list[str] = []
    if storm:
        summary = "; ".join(f"{e['change']} {e['text'][:80]!r} in {e['articles']}" for e in storm["common"][:3])
        state = review if review in ("confirmed", "rejected") else "held"
        line = (f"version storm ({state}): {storm['changed']} of {storm['checked']} re-checked articles "
                f"changed ({storm['likely']}): {summary}")
        if state == "held" and not broken:
            return "storm held", [line, *degraded]
        notes.append(line)
    elif (figures.get("checked", 0) >= thresholds.storm_min_checked
          and figures.get("changed_share", 0.0) >= max(thresholds.storm_share,
                                                       3 * (base or {}).get("changed_share", 0.0))):
        degraded.append(f"{figures['changed']} of {figures['checked']} re-checked articles changed, "
                        "each differently (not held)")
    if broken:
        return "broken", broken + degraded + notes
    if degraded:
        return "degraded", degraded + notes
    return "healthy", notes


def worst(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=VERDICTS.index, default="healthy")


# -- closing a run and reviewing storms -------------------------------------------------------


@dataclass
class OutletHealth:
    """One outlet's verdict now (its latest run, and any storm still held) and what changed."""

    outlet: str
    verdict: str
    reasons: list[str]
    previous: str | None = None  # the verdict before this run or review (None: first run)
    run_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def outlet_verdict(session: Session, outlet: Outlet) -> OutletHealth | None:
    """The outlet's latest run verdict, or "storm held" while any of its runs is still held."""
    latest = session.scalar(select(OutletRun).where(OutletRun.outlet_id == outlet.id)
                            .order_by(OutletRun.run_id.desc()).limit(1))
    if latest is None:
        return None
    held = session.scalars(select(OutletRun.run_id).where(OutletRun.outlet_id == outlet.id,
                                                         OutletRun.review == "held")
                           .order_by(OutletRun.run_id)).all()
    verdict, reasons = latest.verdict, list(latest.reasons)
    older = [r for r in held if r != latest.run_id]
    if older:
        reasons.append(f"storm of run {', '.join(map(str, older))} still held: "
                       f"newsarchive health --confirm RUN or --reject RUN")
        verdict = worst([verdict, "storm held"])
    return OutletHealth(outlet.name, verdict, reasons, run_id=latest.run_id)


def _set_review(session: Session, run_id: int, outlet_id: int, old: Iterable[str], new: str | None) -> int:
    visible = clock.now() if new in (None, "confirmed") else None
    articles = select(Article.id).where(Article.outlet_id == outlet_id)
    result = session.execute(
        update(ArticleVersion)
        .where(ArticleVersion.run_id == run_id, ArticleVersion.review.in_(list(old)),
               ArticleVersion.article_id.in_(articles))
        .values(review=new, visible_at=visible)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def close_run(session: Session, run: CrawlRun, *, stats: Mapping[str, Any] | None = None,
              thresholds: Thresholds = Thresholds(), status: str = "finished",
              reason: str | None = None) -> list[OutletHealth]:
    """Judge every outlet of ``run``, hold its storms, release its other pending versions.

    ``stats`` are the crawl's stats (``newsarchive/outlet/<name>/...``): the source of the
    extraction-error counts, which store no row. Returns each outlet's verdict with the
    one it had before, so the caller can alert on a change.
    """
    stats = stats or {}
    names = set(run.outlets or [])
    names |= set(session.scalars(select(Outlet.name).join(Capture, Capture.outlet_id == Outlet.id)
                                 .where(Capture.run_id == run.id).distinct()))
    result = []
    for outlet in session.scalars(select(Outlet).where(Outlet.name.in_(sorted(names))).order_by(Outlet.name)):
        before = outlet_verdict(session, outlet)
        prefix = f"newsarchive/outlet/{outlet.name}/"
        errors = {k[len(prefix + "errors/"):]: v for k, v in stats.items() if k.startswith(prefix + "errors/")}
        figures = run_figures(session, run.id, outlet.id, errors=errors,
                              article_pages=stats.get(prefix + "article_pages"), thresholds=thresholds)
        base = baseline(session, outlet.id, run.id, thresholds)
        storm = find_storm(session, run.id, outlet.id, figures, base, thresholds)
        figures.pop("sentence_articles")
        figures["baseline"] = base
        review = "held" if storm else None
        verdict, reasons = judge(figures, base, storm, review, thresholds)
        if storm:
            storm["held_versions"] = _set_review(session, run.id, outlet.id, ["pending"], "held")
        session.add(OutletRun(run_id=run.id, outlet_id=outlet.id, figures=figures, storm=storm,
                              review=review, verdict=verdict, reasons=reasons))
        session.flush()
        now = outlet_verdict(session, outlet)
        assert now is not None
        now.previous = before.verdict if before else None
        result.append(now)
    # every version of the run not held is released (outlets without figures included)
    session.execute(update(ArticleVersion).where(ArticleVersion.run_id == run.id,
                                                 ArticleVersion.review == "pending")
                    .values(review=None, visible_at=clock.now()).execution_options(synchronize_session=False))
    run.status, run.finish_reason, run.finished_at = status, reason, clock.now()
    return result


class ReviewError(Exception):
    """``--confirm``/``--reject`` named a run with nothing to review."""


def review_run(session: Session, run_id: int, decision: str, *, outlet: str | None = None,
               thresholds: Thresholds = Thresholds()) -> list[tuple[OutletHealth, int]]:
    """Confirm (release into the feed) or reject (keep out for good) a run's storm versions."""
    if decision not in ("confirmed", "rejected"):
        raise ValueError(decision)
    query = select(OutletRun, Outlet).join(Outlet).where(OutletRun.run_id == run_id,
                                                        OutletRun.storm.is_not(None))
    if outlet:
        query = query.where(Outlet.name == outlet)
    rows = session.execute(query.order_by(Outlet.name)).all()
    if not rows:
        raise ReviewError(f"run {run_id} has no version storm" + (f" for outlet {outlet!r}" if outlet else ""))
    done = []
    for outlet_run, row_outlet in rows:
        before = outlet_verdict(session, row_outlet)
        changed = _set_review(session, run_id, row_outlet.id, ["held", "confirmed", "rejected"], decision)
        outlet_run.review = decision
        outlet_run.verdict, outlet_run.reasons = judge(outlet_run.figures, outlet_run.figures.get("baseline"),
                                                       outlet_run.storm, decision, thresholds)
        session.flush()
        now = outlet_verdict(session, row_outlet)
        assert now is not None
        now.previous = before.verdict if before else None
        done.append((now, changed))
    return done


def leaked_text(storm: Mapping[str, Any] | None) -> list[str]:
    """The paragraphs a storm added (or sentences it edited in) everywhere: material for a cleaning rule."""
    found = (e.get("paragraph") or e["text"] for e in (storm or {}).get("common", []) if e["change"] != "removed")
    return list(dict.fromkeys(found))


def outlet_runs(session: Session, outlet: Outlet, limit: int) -> list[OutletRun]:
    return list(session.scalars(select(OutletRun).where(OutletRun.outlet_id == outlet.id)
                                .order_by(OutletRun.run_id.desc()).limit(limit)))
