"""The ``newsarchive`` command, run in a subprocess as a person or cron would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def newsarchive(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return subprocess.run([sys.executable, "-m", "newsarchive", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env)


def test_demo_shows_the_edit_with_two_versions_and_the_rest_with_one(tmp_path):
    result = newsarchive("demo", "--data-dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith(("ledger ", "courier "))]
    assert len(rows) == 6
    counts = {row[-1].rsplit("/", 1)[1]: int(row[1]) for row in rows}
    assert counts.pop("ferry-terminal-to-close") == 2
    assert set(counts.values()) == {1}
    assert "update_appended" in result.stdout
    assert "+ Update # 1 \u2014 4:09 P.M.: Mayor Daniel Osei" in result.stdout


def test_articles_and_versions_read_a_crawled_archive(crawl, site):
    crawl()
    site.site.edition = 2
    crawl()
    data = ["--data-dir", str(crawl.data_dir)]
    listing = newsarchive("articles", "--outlet", "ledger", *data)
    assert listing.returncode == 0
    assert listing.stdout.count("\n") == 4 and "courier" not in listing.stdout  # header + 3 rows
    versions = newsarchive("versions", site.url("/ledger/2026/01/05/ferry-terminal-to-close?utm_source=x"), *data)
    assert versions.returncode == 0, versions.stderr
    lines = versions.stdout.splitlines()
    assert lines[2].split()[0] == "1" and lines[4].split()[0] == "2"
    assert lines[4].split()[1] == "now" and lines[2].split()[1] != "now"  # the page shows version 2
    assert "update_appended" in lines[5]
    missing = newsarchive("versions", site.url("/ledger/nothing"), *data)
    assert missing.returncode == 2 and "no archived article" in missing.stderr


def test_extract_prints_json_fields(tmp_path):
    result = newsarchive("extract", str(FIXTURES / "icon_sprite_latest.html"), "--url", "https://example.org/a")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["text"] == "\n\n".join(data["paragraphs"]) and data["title"]
    assert not any(p.startswith("icon ") for p in data["paragraphs"])
    empty = newsarchive("extract", str(FIXTURES / "no_main_text.html"))
    assert empty.returncode == 2 and "no_main_text.html" in empty.stderr
    assert newsarchive("extract", str(tmp_path / "missing.html")).returncode == 2


def test_wrong_archive_location_is_an_error_and_creates_nothing(tmp_path):
    missing = newsarchive("articles", "--data-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no archive at" in missing.stderr
    assert not (tmp_path / "nowhere").exists()
    bad_db = newsarchive("articles", "--db", "not-a-url")
    assert bad_db.returncode == 2 and bad_db.stderr.count("\n") == 1
    assert newsarchive("no-such-verb").returncode == 2


def test_demo_never_wipes_a_directory_it_did_not_make(tmp_path):
    (tmp_path / "precious.warc.gz").write_bytes(b"keep me")
    result = newsarchive("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "not a demo directory" in result.stderr
    assert (tmp_path / "precious.warc.gz").read_bytes() == b"keep me"
