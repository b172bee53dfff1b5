"""The adaptive re-crawl schedule: when to check each article and poll each source again.

:mod:`newsarchive.schedule.policy` holds the rules as pure functions (no database, no
Scrapy, no clock of its own); :mod:`newsarchive.schedule.due` reads and writes the
schedule in the archive (what is due, and the update after each check).
"""
