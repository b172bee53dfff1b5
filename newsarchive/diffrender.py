"""Show a change record to people: a terminal diff and a standalone HTML page.

The header (kinds, headline) comes from the stored :class:`ChangeRecord`; the body is the
sentence alignment re-derived from the two versions by
:func:`newsarchive.changes.align_versions`, so removed sentences appear where they stood.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher

from newsarchive.changes import ChangeRecord, SentenceStep, VersionContent, align_versions
from newsarchive.content import clean_text, comparable

__all__ = ["group_paragraphs", "render_html", "render_text", "word_diff"]

_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_BOLD = "\x1b[1m"
_REVERSE = "\x1b[7m"
_NO_REVERSE = "\x1b[27m"
_RESET = "\x1b[0m"

_PREFIX = {"same": "  ", "added": "+ ", "removed": "- ", "moved": "~ "}
_COLOUR = {"added": _GREEN, "removed": _RED, "moved": _YELLOW}
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# Unchanged sentences shown on each side of a change in the text diff.
_CONTEXT = 1


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Split an edited sentence into ("equal" | "delete" | "insert", text) runs.

    Tokens are compared in folded form, so a curly vs straight quote is not highlighted.
    """
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = SequenceMatcher(
        None, [_token_key(t) for t in old_tokens], [_token_key(t) for t in new_tokens],
        autojunk=False,
    )
    runs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("equal", "".join(new_tokens[j1:j2])))
            continue
        if i2 > i1:
            runs.append(("delete", "".join(old_tokens[i1:i2])))
        if j2 > j1:
            runs.append(("insert", "".join(new_tokens[j1:j2])))
    return runs


def _token_key(token: str) -> str:
    return " " if token.isspace() else clean_text(token)


# --------------------------------------------------------------------------- text


def render_text(
    old: VersionContent, new: VersionContent, change: ChangeRecord, *, color: bool
) -> str:
    """A unified-diff-like view: "- " removed, "+ " added, "~ " moved, "  " context."""
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = [paint(_BOLD, "Changes: " + (", ".join(change.kinds) if change.kinds else "none"))]
    if change.headline is not None:
        lines.append("Headline:")
        old_title, new_title = change.headline["old"] or "", change.headline["new"] or ""
        lines.extend(_edited_lines(old_title, new_title, color))
    if "byline_changed" in change.kinds:
        lines.append(f"Byline: {old.byline or '-'} -> {new.byline or '-'}")
    if "dates_changed" in change.kinds:
        for label, before, after in (("Published", old.published, new.published),
                                     ("Modified", old.modified, new.modified)):
            if before != after:
                lines.append(f"{label}: {before or '-'} -> {after or '-'}")
    lines.append("")

    steps = align_versions(old, new)
    if all(step.op == "same" for step in steps):
        lines.append("  (no sentence changes)")
        return "\n".join(lines) + "\n"
    for step in _with_context(steps):
        if step is None:
            lines.append("  ...")
        elif step.op == "edited":
            lines.extend(_edited_lines(step.old or "", step.new or "", color))
        elif step.op == "removed":
            lines.append(paint(_RED, "- " + (step.old or "")))
        elif step.op == "same":
            lines.append("  " + (step.new or ""))
        else:
            lines.append(paint(_COLOUR[step.op], _PREFIX[step.op] + (step.new or "")))
    return "\n".join(lines) + "\n"


def _with_context(steps: list[SentenceStep]) -> Iterator[SentenceStep | None]:
    """Yield the steps worth showing; None stands for a run of hidden unchanged ones."""
    changed = [i for i, step in enumerate(steps) if step.op != "same"]
    keep = {k for i in changed for k in range(i - _CONTEXT, i + _CONTEXT + 1)}
    hidden = False
    for i, step in enumerate(steps):
        if i in keep:
            hidden = False
            yield step
        elif not hidden:
            hidden = True
            yield None


def _edited_lines(old: str, new: str, color: bool) -> list[str]:
    if not color:
        return ["- " + old, "+ " + new]
    old_line, new_line = [_RED + "- "], [_GREEN + "+ "]
    for tag, text in word_diff(old, new):
        if tag == "equal":
            old_line.append(text)
            new_line.append(text)
        elif tag == "delete":
            old_line.append(f"{_REVERSE}{text}{_NO_REVERSE}")
        else:
            new_line.append(f"{_REVERSE}{text}{_NO_REVERSE}")
    return ["".join(old_line) + _RESET, "".join(new_line) + _RESET]


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font:16px/1.5 Georgia,serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}
table.meta{border-collapse:collapse;font:13px/1.4 sans-serif;margin-bottom:1em}
table.meta th,table.meta td{border:1px solid #ccc;padding:2px 6px;text-align:left;
vertical-align:top}
ul.kinds{list-style:none;padding:0;font:13px sans-serif}
ul.kinds li{display:inline-block;background:#eef;border-radius:3px;padding:1px 6px;margin:2px}
del{background:#fdd;color:#900}
ins{background:#dfd;color:#060;text-decoration:none}
.moved{background:#ffd}
.same{color:#555}
.headline,.fields{font:14px/1.5 sans-serif;margin-bottom:1em}
p.removed-paragraph{border-left:3px solid #e99;padding-left:.5em}
"""


def render_html(
    old: VersionContent, new: VersionContent, change: ChangeRecord, *, title: str, meta: dict,
    links: dict[str, str] | None = None,
) -> str:
    """A standalone page: no scripts, no external assets, every text escaped.

    ``links`` (label -> http(s) URL, e.g. each version's capture on a replay server) become
    a line of links under the metadata table.
    """
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    if meta:
        parts.append('<table class="meta">')
        for key, value in meta.items():
            parts.append(f"<tr><th>{e(str(key))}</th><td>{_meta_value(value)}</td></tr>")
        parts.append("</table>")
    shown = [(label, url) for label, url in (links or {}).items()
             if url.lower().startswith(("http://", "https://"))]
    if shown:
        parts.append('<p class="replay">' + " · ".join(
            f'<a href="{e(url, quote=True)}">{e(label)}</a>' for label, url in shown) + "</p>")
    parts.append('<ul class="kinds">')
    parts.extend(f"<li>{e(kind)}</li>" for kind in change.kinds)
    if not change.kinds:
        parts.append("<li>no changes</li>")
    parts.append("</ul>")
    if change.headline is not None:
        headline = _inline_diff(change.headline["old"] or "", change.headline["new"] or "")
        parts.append(f'<div class="headline"><strong>Headline:</strong> {headline}</div>')
    fields = []
    if "byline_changed" in change.kinds:
        fields.append(f"Byline: {_inline_diff(old.byline or '', new.byline or '')}")
    if "dates_changed" in change.kinds:
        for label, a, b in (
            ("Published", old.published, new.published),
            ("Modified", old.modified, new.modified),
        ):
            if a != b:
                fields.append(f"{label}: <del>{e(a or '-')}</del> <ins>{e(b or '-')}</ins>")
    if fields:
        parts.append('<div class="fields">' + "<br>".join(fields) + "</div>")
    parts.append("<article>")
    for css_class, steps in group_paragraphs(align_versions(old, new)):
        spans = " ".join(_sentence_html(step) for step in steps)
        parts.append(f'<p class="{css_class}">{spans}</p>')
    parts.append("</article></body></html>")
    return "\n".join(parts) + "\n"


def _meta_value(value: object) -> str:
    """Escaped cell text; lists become lines and nested dicts "key: value" lines."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "<br>".join(
            f"{html.escape(str(k))}: {_meta_value(v)}" for k, v in value.items() if v is not None
        )
    if isinstance(value, list | tuple | set):
        return "<br>".join(_meta_value(v) for v in value)
    return html.escape(str(value))


def _inline_diff(old: str, new: str) -> str:
    if comparable(old) == comparable(new):
        return html.escape(new)
    out = []
    for tag, text in word_diff(old, new):
        escaped = html.escape(text)
        out.append(
            escaped if tag == "equal" else f"<del>{escaped}</del>" if tag == "delete"
            else f"<ins>{escaped}</ins>"
        )
    return "".join(out)


def _sentence_html(step: SentenceStep) -> str:
    e = html.escape
    if step.op == "same":
        return f'<span class="same">{e(step.new or "")}</span>'
    if step.op == "added":
        return f"<ins>{e(step.new or '')}</ins>"
    if step.op == "removed":
        return f"<del>{e(step.old or '')}</del>"
    if step.op == "moved":
        return f'<span class="moved" title="moved">{e(step.new or "")}</span>'
    return f'<span class="edited">{_inline_diff(step.old or "", step.new or "")}</span>'


def group_paragraphs(steps: Iterable[SentenceStep]) -> Iterator[tuple[str, list[SentenceStep]]]:
    """Group steps into displayed paragraphs (the HTML page here and the web view).

    A removed sentence joins the new paragraph its old paragraph became; a paragraph
    removed entirely is shown as a paragraph of its own.
    """
    steps = list(steps)
    survives: dict[int, int] = {}
    for step in steps:
        if step.old_paragraph is not None and step.new_paragraph is not None:
            survives.setdefault(step.old_paragraph, step.new_paragraph)
    current: tuple[str, int] | None = None
    group: list[SentenceStep] = []
    for step in steps:
        if step.new_paragraph is not None:
            key = ("new", step.new_paragraph)
        elif step.old_paragraph in survives:
            key = ("new", survives[step.old_paragraph])
        else:
            key = ("old", step.old_paragraph or 0)
        if key != current and group:
            yield _paragraph_class(current), group
            group = []
        current = key
        group.append(step)
    if group:
        yield _paragraph_class(current), group


def _paragraph_class(key: tuple[str, int] | None) -> str:
    return "removed-paragraph" if key and key[0] == "old" else "paragraph"
