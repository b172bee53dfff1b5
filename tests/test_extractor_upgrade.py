"""An extractor upgrade alone never makes a version: versions made under other rules are
re-extracted from their WARC record before comparing; their stored text stays as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from newsarchive.db.models import Article, ArticleVersion, Change
from newsarchive.extract import EXTRACTION_RULES_VERSION

# A new cleaning rule (short paragraphs are furniture) under a bumped rules version,
# loaded into the crawl process before anything else.
NEW_RULES = f"""
import newsarchive.extract as extract

extract.EXTRACTION_RULES_VERSION = {EXTRACTION_RULES_VERSION + 1}
_original = extract._is_boilerplate
extract._is_boilerplate = lambda paragraph: _original(paragraph) or len(paragraph.split()) < 16
"""


def metadata_extractors(warc_dir: Path) -> list[dict]:
    found = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "metadata":
                    found.append(json.loads(record.content_stream().read())["extractor"])
    return found


@pytest.mark.slow
def test_changed_rules_make_no_versions_but_a_real_edit_still_does(crawl_any_db, site, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    crawl = crawl_any_db
    crawl()
    with crawl.sessions()() as session:
        before = {v.id: (v.paragraphs, v.extractor) for v in session.scalars(select(ArticleVersion))}
    assert {e["rules"] for _, e in before.values()} == {EXTRACTION_RULES_VERSION}
    assert {"trafilatura", "htmldate", "extruct", "ftfy"} <= set(next(iter(before.values()))[1])

    rules = tmp_path / "new-rules"
    rules.mkdir()
    (rules / "sitecustomize.py").write_text(NEW_RULES, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(rules), os.environ.get("PYTHONPATH")])))
    site.site.edition = 2  # the ferry story gets an update paragraph on top
    crawl("recrawl=all")

    with crawl.sessions()() as session:
        counts = {a.canonical_url.rsplit("/", 1)[-1]: a.version_count for a in session.scalars(select(Article))}
        changes = session.scalars(select(Change)).all()
        versions = {v.id: v for v in session.scalars(select(ArticleVersion))}
        shortened = sum(1 for v in versions.values() if v.id in before and len(v.paragraphs) >= 3
                        and min(len(p.split()) for p in v.paragraphs) < 16)
    assert shortened >= 2  # the new rule really changes what these pages extract to
    assert counts.pop("ferry-terminal-to-close") == 2 and set(counts.values()) == {1}
    (change,) = changes
    # what a crawl under unchanged rules says (the newsroom also set dateModified); no
    # "deleted" for the paragraph the new rule drops from both sides
    assert change.kinds == ["added", "dates_changed", "update_appended"]
    assert change.detail["removed"] == []
    for vid, (paragraphs, extractor) in before.items():
        assert (versions[vid].paragraphs, versions[vid].extractor) == (paragraphs, extractor)  # untouched
    new = [v for v in versions.values() if v.id not in before]
    assert [v.extractor["rules"] for v in new] == [EXTRACTION_RULES_VERSION + 1]
    assert sorted({e["rules"] for e in metadata_extractors(crawl.data_dir / "warc")}) == [
        EXTRACTION_RULES_VERSION, EXTRACTION_RULES_VERSION + 1]
