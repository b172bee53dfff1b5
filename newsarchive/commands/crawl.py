"""``scrapy crawl`` that checks ``outlets.toml`` first.

A configuration mistake then ends the command with one clear line and exit status 2,
before the engine starts or any request is sent, instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from newsarchive.config import ConfigError, load_outlets


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news":
            only = opts.spargs.get("outlets")
            names = [n.strip() for n in only.split(",") if n.strip()] if only else None
            try:
                load_outlets(self.settings["NEWSARCHIVE_OUTLETS"], only=names)
            except ConfigError as exc:
                print(f"scrapy crawl: error: {exc}", file=sys.stderr)
                raise SystemExit(2) from None
        super().run(args, opts)
