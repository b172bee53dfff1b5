"""Spiders of newsarchive (one: ``news``)."""
