"""The archivist's side: exports (WACZ, WARC, JSON lines), verification and replay.

Everything here reads what crawls stored and never changes it. Exports stream: they hold one
WARC file's pointers and one batch of rows at a time, never the whole archive. The CLI verbs
in :mod:`newsarchive.cli` are thin wrappers around these modules.
"""
