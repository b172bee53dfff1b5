"""Archival WARC capture: writer, repair, indexes, reader and revisit lookup.

See the README section "For archivists" for file naming, record types and fidelity limits.
"""

import os
from typing import Any

from newsarchive.warc.index import (
    WarcFileInfo,
    closed_warcs,
    count_records,
    index_directory,
    list_warcs,
    read_cdxj,
    write_cdxj,
)
from newsarchive.warc.reader import ArchivedRecord, read_record
from newsarchive.warc.repair import (
    RepairAction,
    VerifyReport,
    repair_directory,
    repair_file,
    scan_members,
    verify_warc,
)
from newsarchive.warc.revisits import MemoryAndIndexLookup, Original, RevisitLookup
from newsarchive.warc.writer import (
    FIDELITY_STATEMENT,
    METADATA_URI_PREFIX,
    RevisitTarget,
    RollingWarcWriter,
    WarcPointer,
    payload_digest,
    warc_date,
)

__all__ = [
    "FIDELITY_STATEMENT",
    "METADATA_URI_PREFIX",
    "ArchivedRecord",
    "MemoryAndIndexLookup",
    "Original",
    "RepairAction",
    "RevisitLookup",
    "RevisitTarget",
    "RollingWarcWriter",
    "VerifyReport",
    "WarcFileInfo",
    "WarcPointer",
    "closed_warcs",
    "count_records",
    "index_directory",
    "list_warcs",
    "payload_digest",
    "read_cdxj",
    "read_record",
    "repair_directory",
    "repair_file",
    "scan_members",
    "verify_warc",
    "warc_date",
    "warc_dir_from",
    "write_cdxj",
]


def warc_dir_from(settings: Any) -> str:
    """The WARC directory a Scrapy-settings-like mapping asks for (default: <data dir>/warc)."""
    return settings.get("WARC_DIR") or os.path.join(settings.get("NEWSARCHIVE_DATA_DIR") or "data", "warc")
