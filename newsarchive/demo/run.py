"""``newsarchive demo``: the whole job on a bundled local outlet, start to finish.

Crawls run as ``scrapy crawl news`` subprocesses, exactly as cron runs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml

# The demo outlets (and the tests' and benchmarks' sites) live on 127.0.0.1, which the
# SSRF guard refuses unless allowed; this opens that one address and nothing else.
LOCAL_ADDRESS = "NEWSARCHIVE_ALLOW_ADDRESSES=127.0.0.1"
FAST_LOCAL = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "LOG_LEVEL=WARNING", LOCAL_ADDRESS)


def crawl_command(outlets: Path, data_dir: Path, *, db_url: str = "",
                  settings: Sequence[str] = FAST_LOCAL,
                  spider_args: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """The ``scrapy crawl news`` command line and environment, as cron would run it."""
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="newsarchive.settings",
               NEWSARCHIVE_OUTLETS=str(outlets), NEWSARCHIVE_DATA_DIR=str(data_dir),
               NEWSARCHIVE_DB_URL=db_url)
    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    for setting in settings:
        command += ["-s", setting]
    for argument in spider_args:
        command += ["-a", argument]
    return command, env


def crawl_subprocess(outlets: Path, data_dir: Path, *, db_url: str = "",
                     settings: Sequence[str] = FAST_LOCAL, spider_args: Sequence[str] = (),
                     timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy crawl news`` in a child process with newsarchive's settings."""
    command, env = crawl_command(outlets, data_dir, db_url=db_url, settings=settings,
                                 spider_args=spider_args)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def _crawl(outlets: Path, data_dir: Path, label: str) -> None:
    started = time.monotonic()
    result = crawl_subprocess(outlets, data_dir)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(f"demo: the {label} crawl failed (exit status {result.returncode})")
    print(f"  {label} crawl finished in {time.monotonic() - started:.1f}s")


DEMO_MARKER = ".newsarchive-demo"


def run_demo(data_dir: Path, *, keep_serving: bool = False) -> int:
    """Start from an empty demo directory each time; never wipe a directory the demo did not make."""
    from newsarchive import cli

    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / DEMO_MARKER).exists():
            raise cli.CommandError(f"{data_dir} exists and is not a demo directory; "
                                   "the demo starts from scratch, so give it an empty or new --data-dir")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARKER).write_text("made by `newsarchive demo`; it wipes this directory on each run\n")
    site = NewsSite(edition=1)
    # --serve uses the port that the project's outlets.toml names, so `scrapy crawl news` works too
    with SiteServer(site, port=8765 if keep_serving else 0) as server:
        outlets = data_dir / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        print(f"Demo outlets served at {server.base_url}/ (config: {outlets})")
        print("1. Crawling edition 1 of the demo site ...")
        _crawl(outlets, data_dir, "first")
        site.edition = 2
        print("2. The newsroom edits a story (edition 2); re-crawling ...")
        _crawl(outlets, data_dir, "second")
        common = ["--data-dir", str(data_dir)]
        print("\n3. Archived articles:")
        cli.main(["articles", *common])
        edited = server.url("/ledger/2026/01/05/ferry-terminal-to-close")
        print("\n4. Versions of the edited story:")
        cli.main(["versions", edited, *common])
        print("\n5. What changed:")
        cli.main(["diff", edited, *common])
        print(f"\nEverything is in {data_dir}/ (database, WARC files). Try:")
        print(f"  newsarchive articles --data-dir {data_dir}")
        print(f"  newsarchive diff {edited} --data-dir {data_dir} --format html > diff.html")
        if keep_serving:
            print(f"\nServing the demo site at {server.base_url}/ until Ctrl-C ...")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0
