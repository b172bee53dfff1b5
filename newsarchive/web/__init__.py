"""``newsarchive serve``: a read-only web view of the archive (optional extra ``[web]``).

Outlets, stories, version timelines and word-level diffs, server-rendered with Jinja2 on
Starlette and served by uvicorn. Nothing here writes: see :mod:`newsarchive.web.readonly`.
"""

from newsarchive.web.app import ViewConfig, create_app

__all__ = ["ViewConfig", "create_app"]
