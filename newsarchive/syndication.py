"""Near-duplicates and syndication: one story carried by several articles.

Deduplication elsewhere is exact (one matching key per article, one fingerprint per content).
Here every stored version gets a near-duplicate fingerprint, and versions whose texts are
nearly the same link their articles into a *cluster*: a wire story on three outlets (each copy
stays its own article with its own versions), or one outlet's story under two URLs that no URL
rule folds (the later ones are *aliases* of the first; both URLs and their captures stay).

How a version is compared, at about the same cost at 10,000 and at 1,000,000 stored versions:

1. **Paragraphs**, normalised (:func:`newsarchive.content.comparable`, lower case). A
   paragraph seen in two stories that are *not* the same story (a legal notice, a standard
   wire footer, an outlet's newsletter line) is marked ``common`` and left out of every
   comparison from then on (table ``syndication_paragraphs``: one primary-key probe per
   paragraph, never a scan).
2. **Shingles**: word 3-grams inside each remaining paragraph.
3. **MinHash** (datasketch, 128 permutations) cut into 42 LSH bands of 3 rows; each band is one
   64-bit key in ``syndication_bands`` (primary key ``(key, version_id)``). The candidates of a
   new version are one indexed query: the versions sharing a band key, best first, at most
   :data:`MAX_CANDIDATES`. Its cost follows the number of near matches, not the archive size.
4. **Confirmation** on the texts themselves: the Jaccard similarity of the two shingle sets
   (common paragraphs left out), and the same again without the largest pair of matching
   paragraphs. The lower of the two must reach the threshold, so two stories that share one
   long paragraph that nobody has yet seen elsewhere still stay apart: similarity must not rest
   on a single paragraph.

Matching is single-linkage: a version that matches articles of two clusters joins them (the
older cluster id stays; the other records ``merged_into``). Only versions readers may see
(``ArticleVersion.in_feed``) are compared; a version still pending its run's health check is
fingerprinted when stored and compared once released (:func:`catch_up`).

Storage code: no Scrapy here. Every function takes a Session from its caller.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from newsarchive.content import comparable
from newsarchive.db.models import (
    Article,
    ArticleVersion,
    Change,
    Outlet,
    SyndicationBand,
    SyndicationCluster,
    SyndicationFingerprint,
    SyndicationMember,
    SyndicationParagraph,
)

NUM_PERM = 128
# 42 bands of 3 rows: a pair at Jaccard 0.5 becomes a candidate 99.6 % of the time, at 0.3 68 %,
# at 0.05 0.5 %: the S-curve's midpoint is (1/42)**(1/3) = 0.29.
BANDS, ROWS = 42, 3
SHINGLE_WORDS = 3
#: Recorded with every fingerprint: band keys of another scheme never meet these.
SCHEME = f"minhash-affine32-{NUM_PERM}-b{BANDS}r{ROWS}-w{SHINGLE_WORDS}"
MIN_SHINGLES = 8  # less distinctive text than this: fingerprinted, never clustered
MAX_CANDIDATES = 50
DEFAULT_THRESHOLD = 0.6
SEED = 1
PARAGRAPH_CACHE = 65536  # paragraphs analysed once (0.4 to 0.8 KB each with the text: 25 to 50 MB full)


@dataclass(frozen=True)
class Config:
    """``NEWSARCHIVE_SYNDICATION_ENABLED`` and ``NEWSARCHIVE_SYNDICATION_THRESHOLD``."""

    enabled: bool = True
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_settings(cls, settings: Any) -> Config:
        threshold = float(settings.get("NEWSARCHIVE_SYNDICATION_THRESHOLD", DEFAULT_THRESHOLD))
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"NEWSARCHIVE_SYNDICATION_THRESHOLD must be in (0, 1], not {threshold}")
        enabled = settings.get("NEWSARCHIVE_SYNDICATION_ENABLED", True)
        if isinstance(enabled, str):
            enabled = enabled.strip().lower() not in ("0", "false", "no", "off", "")
        return cls(enabled=bool(enabled), threshold=threshold)


# -- text -------------------------------------------------------------------------------------


def _int64(digest: bytes) -> int:
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class Text:
    """A version's paragraphs as keys and shingle sets (``None``: too short to shingle)."""

    keys: list[int]
    shingles: list[frozenset[int]]

    def distinctive(self, common: set[int]) -> list[frozenset[int]]:
        return [s for k, s in zip(self.keys, self.shingles, strict=True) if k not in common and s]


def _paragraph(paragraph: str) -> tuple[int, frozenset[int]] | None:
    """One paragraph's key and shingles."""
    analysed = _analysed(paragraph)
    return None if analysed is None else (analysed[0], frozenset(array("I", analysed[1])))


@lru_cache(maxsize=PARAGRAPH_CACHE)
def _analysed(paragraph: str) -> tuple[int, bytes] | None:
    """A paragraph's key and shingles, packed (32-bit shingles, a tenth of a frozenset's size).

    Cached: a version is read again each time it is another version's candidate, and
    normalising it (ftfy) costs forty times the unpacking."""
    words = comparable(paragraph).lower().split()
    if not words:
        return None
    key = _int64(hashlib.blake2b(" ".join(words).encode(), digest_size=8).digest())
    grams = {zlib.crc32(" ".join(words[i:i + SHINGLE_WORDS]).encode())
             for i in range(len(words) - SHINGLE_WORDS + 1)}
    return key, array("I", sorted(grams)).tobytes()


def text_of(paragraphs: Iterable[str]) -> Text:
    keys, shingles = [], []
    for paragraph in paragraphs:
        analysed = _paragraph(paragraph)
        if analysed is not None:
            keys.append(analysed[0])
            shingles.append(analysed[1])
    return Text(keys, shingles)


def _union(sets: Iterable[frozenset[int]]) -> set[int]:
    out: set[int] = set()
    for s in sets:
        out |= s
    return out


def _jaccard(a: set[int], b: set[int]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _overlap(a: set[int], b: set[int]) -> float:
    """The share of the smaller set found in the larger (a trimmed copy scores as a copy)."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / min(len(a), len(b))


def similarity(a: Text, b: Text, common: set[int] = frozenset()) -> float:  # type: ignore[assignment]
    """How much of the story two texts share, common paragraphs left out (0..1).

    The lower of: the share of the shorter text's shingles found in the longer one (the overlap
    coefficient: a copy trimmed of its last paragraphs, or with a local line added, is still a
    copy), and the same without the largest pair of matching paragraphs (so one shared block,
    a notice or a footer not yet known as common, is never enough).
    """
    pa, pb = a.distinctive(common), b.distinctive(common)
    sa, sb = _union(pa), _union(pb)
    if not sa or not sb:
        return 0.0
    full = _overlap(sa, sb)
    if full == 0.0:
        return 0.0
    best, pair = 0, None
    for i, x in enumerate(pa):
        for j, y in enumerate(pb):
            shared = len(x & y)
            if shared > best and shared * 2 >= min(len(x), len(y)):
                best, pair = shared, (i, j)
    if pair is None:
        return full
    rest_a = _union(s for i, s in enumerate(pa) if i != pair[0])
    rest_b = _union(s for j, s in enumerate(pb) if j != pair[1])
    if not rest_a and not rest_b:  # one paragraph each, and it matches: that is the story
        return full
    return min(full, _overlap(rest_a, rest_b))


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    from datasketch import MinHash  # not at the top: it imports SciPy (50 MB), which a crawl
    # whose syndication worker fingerprints never needs

    return MinHash(num_perm=NUM_PERM, seed=SEED).permutations


def _identity(value: int) -> int:
    return value


def band_keys(shingles: set[int]) -> list[int]:
    """The LSH band keys of a shingle set (the band number is part of each key)."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, permutations=_permutations(),
                      scheme="affine32")
    minhash.update_batch(list(shingles))
    values = minhash.hashvalues
    return [_int64(hashlib.blake2b(values[i * ROWS:(i + 1) * ROWS].tobytes(), digest_size=8,
                                   person=i.to_bytes(2, "big")).digest()) for i in range(BANDS)]


# -- storing ------------------------------------------------------------------------------------


def _common_keys(session: Session, keys: Iterable[int]) -> set[int]:
    keys = list(set(keys))
    if not keys:
        return set()
    return set(session.scalars(select(SyndicationParagraph.key)
                               .where(SyndicationParagraph.key.in_(keys), SyndicationParagraph.common)))


def _group(session: Session, article_id: int) -> tuple[str, int]:
    cluster = session.scalar(select(SyndicationMember.cluster_id)
                             .where(SyndicationMember.article_id == article_id))
    return ("cluster", cluster) if cluster is not None else ("article", article_id)


def _note_paragraphs(session: Session, article_id: int, keys: Iterable[int]) -> None:
    """Count the version's paragraphs; one already seen in an unrelated story becomes common."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return
    known = {row.key: row for row in session.scalars(  # one query, not one per paragraph
        select(SyndicationParagraph).where(SyndicationParagraph.key.in_(keys)))}
    mine = _group(session, article_id)
    groups: dict[int, tuple[str, int]] = {}
    for key in keys:
        row = known.get(key)
        if row is None:
            session.add(SyndicationParagraph(key=key, first_article_id=article_id, seen=1, common=False))
            continue
        row.seen += 1
        if row.common or row.first_article_id == article_id:
            continue
        if row.first_article_id not in groups:
            groups[row.first_article_id] = _group(session, row.first_article_id)
        if groups[row.first_article_id] != mine:
            row.common = True
    session.flush()


@dataclass
class Assignment:
    """What comparing one version did."""

    version_id: int
    cluster_id: int | None = None
    matched: dict[int, float] = field(default_factory=dict)  # article id -> similarity
    candidates: int = 0


def fingerprint_version(session: Session, version: ArticleVersion, config: Config = Config()) -> Assignment | None:
    """Fingerprint a newly stored version and, when readers may see it, cluster it.

    Idempotent: a version already fingerprinted is left alone. Returns None when disabled.
    """
    if not config.enabled:
        return None
    if session.get(SyndicationFingerprint, version.id) is not None:
        return Assignment(version.id, cluster_id_for(session, version.article_id))
    text = text_of(version.paragraphs or [])
    common = _common_keys(session, text.keys)
    shingles = _union(text.distinctive(common))
    keys = band_keys(shingles) if len(shingles) >= MIN_SHINGLES else []
    # Reads and CPU first, writes last: SQLite's single write lock, which the crawl's storing
    # transactions wait for, is held for the writes only (the candidates never include this
    # version, so its own rows need not be there yet).
    compared = _compare(session, version, text, keys, config, common) if version.in_feed else None
    session.add(SyndicationFingerprint(version_id=version.id, scheme=SCHEME, shingles=len(shingles),
                                       matched=compared is not None, created_at=version.captured_at))
    session.flush()
    if keys:  # one executemany, no ORM objects: nothing reads these rows back as objects
        session.execute(insert(SyndicationBand), [{"key": k, "version_id": version.id}
                                                  for k in dict.fromkeys(keys)])
    result = _assign(session, version, compared) if compared is not None else Assignment(version.id)
    _note_paragraphs(session, version.article_id, text.keys)
    return result


class Candidate(NamedTuple):
    """Another article's visible version that shares band keys with the one being compared."""

    id: int
    article_id: int


def _candidates(session: Session, version: ArticleVersion, keys: list[int]) -> list[Candidate]:
    """Other articles' visible versions sharing band keys, best first (one per article).

    Two columns a row: the ranking reads no paragraphs and builds no ORM objects."""
    if not keys:
        return []
    hits = func.count().label("hits")
    ranked = (select(SyndicationBand.version_id, hits)
              .where(SyndicationBand.key.in_(keys), SyndicationBand.version_id != version.id)
              .group_by(SyndicationBand.version_id).order_by(hits.desc(), SyndicationBand.version_id)
              .limit(MAX_CANDIDATES * 2)).subquery()
    rows = session.execute(
        select(ArticleVersion.id, ArticleVersion.article_id)
        .join(ranked, ranked.c.version_id == ArticleVersion.id)
        .where(ArticleVersion.in_feed, ArticleVersion.article_id != version.article_id)
        .order_by(ranked.c.hits.desc(), ArticleVersion.id)
    ).all()
    best: dict[int, Candidate] = {}
    for version_id, article_id in rows:
        best.setdefault(article_id, Candidate(version_id, article_id))
    return list(best.values())[:MAX_CANDIDATES]


def _texts(session: Session, candidates: list[Candidate]) -> list[tuple[Candidate, Text]]:
    """The candidates' analysed texts, their paragraphs read in one query."""
    paragraphs = dict(session.execute(select(ArticleVersion.id, ArticleVersion.paragraphs)
                                      .where(ArticleVersion.id.in_([c.id for c in candidates]))).all())
    return [(c, text_of(paragraphs.get(c.id) or [])) for c in candidates]


def _compare(session: Session, version: ArticleVersion, text: Text, keys: list[int], config: Config,
             common: set[int] | None = None) -> tuple[int, dict[int, tuple[Candidate, float]]]:
    """Compare ``version`` with its candidates (reads only): how many there were, and the
    articles it copies or that copy it, with the evidence. ``common``: what is already known
    of ``text``'s common paragraphs."""
    candidates = _candidates(session, version, keys)
    if not candidates:
        return 0, {}
    texts = _texts(session, candidates)
    if common is None:
        common = _common_keys(session, text.keys + [k for _, t in texts for k in t.keys])
    else:  # only the candidates' paragraphs are still to be looked up
        mine = set(text.keys)
        common = common | _common_keys(session, [k for _, t in texts for k in t.keys if k not in mine])
    evidence: dict[int, tuple[Candidate, float]] = {}
    for candidate, other in texts:
        score = similarity(text, other, common)
        if score >= config.threshold:
            evidence[candidate.article_id] = (candidate, score)
    return len(candidates), evidence


def _assign(session: Session, version: ArticleVersion,
            compared: tuple[int, Mapping[int, tuple[Candidate, float]]]) -> Assignment:
    """Cluster ``version`` with what :func:`_compare` found (writes)."""
    count, evidence = compared
    result = Assignment(version.id, candidates=count,
                        matched={article_id: round(score, 4) for article_id, (_, score) in evidence.items()})
    if evidence:
        result.cluster_id = _join(session, version, evidence)
    else:
        result.cluster_id = cluster_id_for(session, version.article_id)
    return result


def _match(session: Session, version: ArticleVersion, text: Text, keys: list[int], config: Config) -> Assignment:
    """Compare ``version`` with its candidates and cluster it with those it copies (or that
    copy it)."""
    return _assign(session, version, _compare(session, version, text, keys, config))


def _join(session: Session, version: ArticleVersion,
          evidence: Mapping[int, tuple[Candidate, float]]) -> int | None:
    """Put ``version``'s article and every matched article in one cluster (merging clusters)."""
    article_ids = [version.article_id, *evidence]
    outlets = dict(session.execute(select(Article.id, Article.outlet_id)
                                   .where(Article.id.in_(article_ids))).all())
    # An article folded into another (a slug change, store.join_articles) since the comparison
    # read it is left out, rather than failing the version.
    evidence = {article_id: found for article_id, found in evidence.items() if article_id in outlets}
    if version.article_id not in outlets or not evidence:
        return cluster_id_for(session, version.article_id)
    article_ids = [version.article_id, *evidence]
    members = {m.article_id: m for m in session.scalars(
        select(SyndicationMember).where(SyndicationMember.article_id.in_(article_ids)))}
    clusters = {m.cluster_id for m in members.values()}
    if clusters:
        target = min(clusters)
    else:
        cluster = SyndicationCluster(created_at=version.captured_at)
        session.add(cluster)
        session.flush()
        target = cluster.id
    for other in sorted(clusters - {target}):
        session.execute(update(SyndicationMember).where(SyndicationMember.cluster_id == other)
                        .values(cluster_id=target).execution_options(synchronize_session=False))
        session.execute(update(SyndicationCluster).where(SyndicationCluster.id == other)
                        .values(merged_into=target))
    best_other, best_score = max(evidence.values(), key=lambda pair: pair[1])
    if version.article_id not in members:
        session.add(SyndicationMember(article_id=version.article_id, cluster_id=target,
                                      outlet_id=outlets[version.article_id], joined_at=version.captured_at,
                                      version_id=version.id, matched_version_id=best_other.id,
                                      similarity=round(best_score, 4)))
    for article_id, (other, score) in evidence.items():
        if article_id not in members:
            session.add(SyndicationMember(article_id=article_id, cluster_id=target, outlet_id=outlets[article_id],
                                          joined_at=version.captured_at, version_id=other.id,
                                          matched_version_id=version.id, similarity=round(score, 4)))
    session.flush()
    session.expire_all()
    touched = set(outlets.values())
    if clusters - {target}:  # merged: every outlet of the merged clusters may have a new first
        touched = set(session.scalars(select(SyndicationMember.outlet_id).distinct()
                                      .where(SyndicationMember.cluster_id == target)))
    _relink_aliases(session, target, touched)
    return target


def _relink_aliases(session: Session, cluster_id: int, outlet_ids: Iterable[int]) -> None:
    """Within a cluster, every member but the first seen of its outlet is an alias of that
    first; redone for ``outlet_ids`` (the outlets a join touched).

    In SQL, without loading the members: a cluster can grow to thousands of articles (short
    templated stories chain together), and loading every member at every join made the
    syndication worker's cost grow with the cluster (a third of its time at 25,000 stories)."""
    for outlet_id in sorted(outlet_ids):
        in_outlet = (SyndicationMember.cluster_id == cluster_id, SyndicationMember.outlet_id == outlet_id)
        first = session.scalar(select(SyndicationMember.article_id)
                               .join(Article, Article.id == SyndicationMember.article_id)
                               .where(*in_outlet).order_by(Article.first_seen_at, Article.id).limit(1))
        if first is None:
            continue
        session.execute(update(SyndicationMember)
                        .where(*in_outlet, SyndicationMember.article_id != first,
                               or_(SyndicationMember.alias_of.is_(None), SyndicationMember.alias_of != first))
                        .values(alias_of=first).execution_options(synchronize_session=False))
        session.execute(update(SyndicationMember)
                        .where(SyndicationMember.article_id == first, SyndicationMember.alias_of.is_not(None))
                        .values(alias_of=None).execution_options(synchronize_session=False))


def catch_up(session: Session, config: Config = Config(), *, limit: int = 10000) -> int:
    """Compare the fingerprinted versions that readers may see now but were not compared
    (held for their run's health check when stored). Returns how many were compared."""
    if not config.enabled:
        return 0
    rows = session.scalars(
        select(ArticleVersion).join(SyndicationFingerprint, SyndicationFingerprint.version_id == ArticleVersion.id)
        .where(SyndicationFingerprint.matched.is_(False), ArticleVersion.in_feed)
        .order_by(ArticleVersion.captured_at, ArticleVersion.id).limit(limit)).all()
    for version in rows:
        text = text_of(version.paragraphs or [])
        keys = [b for b in session.scalars(select(SyndicationBand.key)
                                           .where(SyndicationBand.version_id == version.id))]
        _match(session, version, text, keys, config)
        session.execute(update(SyndicationFingerprint).where(SyndicationFingerprint.version_id == version.id)
                        .values(matched=True))
    return len(rows)


def backfill(session: Session, config: Config = Config(), *, batch: int = 500) -> Iterator[int]:
    """Fingerprint (and cluster) every stored version that has no fingerprint yet, oldest first.

    Yields the running count after each batch (the caller commits between batches)."""
    done = 0
    last = 0
    while True:
        versions = session.scalars(
            select(ArticleVersion).outerjoin(SyndicationFingerprint,
                                             SyndicationFingerprint.version_id == ArticleVersion.id)
            .where(SyndicationFingerprint.version_id.is_(None), ArticleVersion.id > last)
            .order_by(ArticleVersion.id).limit(batch)).all()
        if not versions:
            return
        for version in versions:
            fingerprint_version(session, version, config)
            last = version.id
        done += len(versions)
        yield done


# -- reading --------------------------------------------------------------------------------------


def cluster_id_for(session: Session, article_id: int) -> int | None:
    """The cluster an article belongs to (syndicated copies and URL aliases), or None."""
    return session.scalar(select(SyndicationMember.cluster_id).where(SyndicationMember.article_id == article_id))


def cluster_ids(session: Session, article_ids: Iterable[int]) -> dict[int, int]:
    """:func:`cluster_id_for` for many articles at once (article id -> cluster id)."""
    ids = list(set(article_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        out.update(session.execute(select(SyndicationMember.article_id, SyndicationMember.cluster_id)
                                   .where(SyndicationMember.article_id.in_(ids[start:start + 500]))).all())
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _new_text(change: Change) -> tuple[list[str], list[str]]:
    """What an edit put in and what it took out (sentences)."""
    detail = change.detail or {}
    added = list(detail.get("added") or []) + [e["new"] for e in detail.get("edited") or []]
    removed = list(detail.get("removed") or []) + [e["old"] for e in detail.get("edited") or []]
    return added, removed


def _contains(haystack: set[int], sentences: list[str]) -> float:
    grams = _union(text_of(sentences).shingles)
    return len(grams & haystack) / len(grams) if grams else 0.0


def _took(versions: list[ArticleVersion], added: list[str], removed: list[str]) -> ArticleVersion | None:
    """The first of a copy's versions that carries an edit (its new text in, its old text out)."""
    for version in versions:
        grams = _union(text_of(version.paragraphs or []).shingles)
        if added and _contains(grams, added) >= 0.6:
            return version
        if not added and removed and _contains(grams, removed) < 0.4:
            return version
    return None


def clusters(session: Session, *, since: datetime | None = None, outlet: str | None = None) -> list[dict[str, Any]]:
    """Clusters with their members and how each edit of one copy reached the others.

    ``since``: clusters with a member version captured at or after it; ``outlet``: clusters
    with a member on that outlet. Only versions readers may see are shown.
    """
    query = select(SyndicationMember.cluster_id).distinct()
    if outlet:
        query = query.join(Outlet, Outlet.id == SyndicationMember.outlet_id).where(Outlet.name == outlet)
    if since is not None:
        query = query.join(ArticleVersion, ArticleVersion.article_id == SyndicationMember.article_id) \
            .where(ArticleVersion.in_feed, ArticleVersion.captured_at >= since)
    ids = sorted(session.scalars(query))
    return [_cluster(session, cid) for cid in ids]


def _cluster(session: Session, cluster_id: int) -> dict[str, Any]:
    rows = session.execute(
        select(SyndicationMember, Article, Outlet.name)
        .join(Article, Article.id == SyndicationMember.article_id)
        .join(Outlet, Outlet.id == Article.outlet_id)
        .where(SyndicationMember.cluster_id == cluster_id)
        .order_by(Article.first_seen_at, Article.id)).all()
    article_ids = [a.id for _, a, _ in rows]
    versions: dict[int, list[ArticleVersion]] = {i: [] for i in article_ids}
    for version in session.scalars(select(ArticleVersion).where(ArticleVersion.article_id.in_(article_ids),
                                                                ArticleVersion.in_feed)
                                   .order_by(ArticleVersion.captured_at, ArticleVersion.seq)):
        versions[version.article_id].append(version)
    changes = session.scalars(select(Change).where(Change.article_id.in_(article_ids),
                                                   Change.to_version_id.is_not(None))).all()
    by_version = {c.to_version_id: c for c in changes}
    names = {a.id: name for _, a, name in rows}
    urls = {a.id: a.record_url for _, a, _ in rows}
    members = []
    for member, article, name in rows:
        members.append({
            "article_id": article.id, "outlet": name, "url": article.record_url,
            "first_seen": _iso(article.first_seen_at), "versions": len(versions[article.id]),
            "relation": "alias" if member.alias_of else "copy",
            "alias_of": urls.get(member.alias_of) if member.alias_of else None,
            "similarity": member.similarity, "joined_at": _iso(member.joined_at),
        })
    edits = []
    for article_id in article_ids:
        for version in versions[article_id]:
            change = by_version.get(version.id)
            if change is None or version.seq == 1:
                continue
            added, removed = _new_text(change)
            reached = []
            for other in article_ids:
                if other == article_id:
                    continue
                took = _took(versions[other], added, removed)
                if took is None:
                    reached.append({"outlet": names[other], "url": urls[other], "version": None,
                                    "took": None, "after_seconds": None})
                else:
                    seconds = (took.captured_at - version.captured_at).total_seconds()
                    reached.append({"outlet": names[other], "url": urls[other], "version": took.seq,
                                    "took": _iso(took.captured_at), "after_seconds": round(seconds, 3)})
            edits.append({"outlet": names[article_id], "url": urls[article_id], "version": version.seq,
                          "captured_at": _iso(version.captured_at), "kinds": list(change.kinds),
                          "added": added, "removed": removed, "reached": reached})
    edits.sort(key=lambda e: e["captured_at"])
    return {"cluster": cluster_id, "members": members, "edits": edits}
