"""Article cleaner: saved pages in tests/fixtures/extract, expected fields beside them.

Each <name>.html has a <name>.json with the exact expected output (minus "text",
which is derived); edit the JSON when the expected extraction legitimately changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsarchive.extract import DecodedHtml, ExtractionError, decode_html, extract_article

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
URLS = {
    "icon_sprite_latest": "https://haldenwire.example/news/ferry-operator-quit-4417/?utm_source=feed",
    "update_paragraphs_headlines": "https://www.northlinereport.example/2021/03/08/letter-ferry-operator-pull-out/",
    "jsonld_graph_corrections": "https://meridiandaily.example/environment/2022/jun/14/tidal-barrier-contract-review?CMP=share",
    "cp1252_declared": "https://courrier-valmont.example/region/cafe-du-port",
    "charset_lies": "https://courrier-valmont.example/region/cafe-du-port",
}
KEYS = {
    "url", "canonical_url", "amphtml_url", "title", "authors", "byline", "published_raw",
    "published", "modified_raw", "modified", "language", "description", "site_name",
    "standfirst", "paragraphs", "text",
}


def extract(name: str) -> dict:
    return extract_article((FIXTURES / f"{name}.html").read_bytes(), URLS[name])


@pytest.mark.parametrize("name", sorted(URLS))
def test_matches_saved_expectation(name: str) -> None:
    result = extract(name)
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert set(result) == KEYS
    assert result["text"] == "\n\n".join(result["paragraphs"])
    del result["text"]
    assert result == expected


NOISE = {
    "icon_sprite_latest": [
        "icon", "bookmark", "chevron", "Advertisement", "shares", "Also on", "very large claim",
        "Think your friends", "Share this story", "Join the discussion", "comments",
        "cookies", "Podcasts", "All rights reserved", "Ferries Halden", "8 Mar, 2021",
    ],
    "update_paragraphs_headlines": [
        "Rookie Point Guard", "power grid", "CAUGHT ON CAMERA", "Faith-Based Films",
        "Trending Now", "ADVERTISEMENT", "Share this article", "Share on Facebook",
        "Tweet about this", "What are your thoughts", "leave a comment", "12 minutes ago",
        "Comments", "a joke for years", "newsletter", "International News",
    ],
    "jsonld_graph_corrections": [
        "cookies", "Sign up", "Green Brief", "Privacy notice", "Advertisement",
        "Share on Facebook", "312 shares", "Most viewed", "Heatwave warning",
        "Join the discussion", "Comments (87)", "Last modified on", "Environment",
    ],
    "cp1252_declared": ["Accueil", "Publicité", "Tous droits", "Par Hélène"],
}


@pytest.mark.parametrize(("name", "noise"), [(n, s) for n, ss in NOISE.items() for s in ss])
def test_noise_is_absent(name: str, noise: str) -> None:
    assert noise.lower() not in extract(name)["text"].lower()


EDITORIAL_LINES = {
    "icon_sprite_latest": ["LATEST: ‘We are staying’: Brackwater owner calls withdrawal letter"],
    "update_paragraphs_headlines": [
        "Update # 1 — 4:09 P.M.: Brackwater Line owner",
        "Update # 2 — 4:34 P.M.: Operations chief",
        "Story cited here.",
    ],
    "jsonld_graph_corrections": [
        "Editor's note: This article was updated on 15 June",
        "UPDATE: The Calder Estuary Partnership said on Wednesday",
        "Correction: An earlier version of this article said",
        "Gates delayed",
    ],
    "cp1252_declared": ["Mise à jour, 18 h 40 : la mairie"],
}


@pytest.mark.parametrize(("name", "line"), [(n, s) for n, ss in EDITORIAL_LINES.items() for s in ss])
def test_editorial_lines_are_kept_as_paragraph_starts(name: str, line: str) -> None:
    assert any(p.startswith(line) for p in extract(name)["paragraphs"])


def test_latest_line_leads_and_order_is_kept() -> None:
    paragraphs = extract("icon_sprite_latest")["paragraphs"]
    assert paragraphs[0].startswith("Quoting a vote")  # standfirst
    assert paragraphs[1].startswith("LATEST:")
    assert paragraphs[-1].startswith("The Brackwater Line took over the crossing in 2014")
    assert len(paragraphs) == 9


def test_headline_lists_removed_between_paragraphs() -> None:
    paragraphs = extract("update_paragraphs_headlines")["paragraphs"]
    update_2 = next(i for i, p in enumerate(paragraphs) if p.startswith("Update # 2"))
    assert paragraphs[update_2 + 1].startswith("The Brackwater Line said it will withdraw")
    assert paragraphs[-1] == "Story cited here."


def test_jsonld_graph_metadata() -> None:
    result = extract("jsonld_graph_corrections")
    assert result["authors"] == ["Priya Halvorsen", "Dominic Achebe"]
    assert result["byline"] == "Priya Halvorsen, Dominic Achebe"
    assert result["published"] == "2022-06-14T07:30:00+00:00"
    assert result["modified_raw"] == "2022-06-15T11:05:00+01:00"
    assert result["modified"] == "2022-06-15T10:05:00+00:00"
    assert result["site_name"] == "Meridian Daily"  # publisher resolved through @id
    assert result["language"] == "en"
    assert result["canonical_url"] == (
        "https://meridiandaily.example/environment/2022/jun/14/tidal-barrier-contract-review"
    )


def test_canonical_falls_back_to_og_url_and_amp_is_absolute() -> None:
    result = extract("icon_sprite_latest")
    assert result["canonical_url"] == "https://haldenwire.example/news/ferry-operator-quit-4417/"
    assert result["amphtml_url"] == "https://haldenwire.example/amp/news/ferry-operator-quit-4417/"
    assert result["published"] == "2021-03-08T17:42:00+00:00"


def test_page_without_main_text_raises() -> None:
    html = (FIXTURES / "no_main_text.html").read_bytes()
    with pytest.raises(ExtractionError, match="no main article text"):
        extract_article(html, "https://haldenwire.example/video/harbour-fireworks")


@pytest.mark.parametrize("html", ["", "   ", b"", "<!-- nothing -->"])
def test_empty_or_unparseable_raises(html: str | bytes) -> None:
    with pytest.raises(ExtractionError):
        extract_article(html, "https://example.org/empty")


def test_htmldate_fallback_when_no_machine_readable_date() -> None:
    html = (
        "<html><body><article><h1>Bridge reopens</h1>"
        "<p class='date'>Published 12 May 2020</p>"
        "<p>The old swing bridge over the canal reopened to traffic on Tuesday after a "
        "fourteen-month repair that replaced its corroded turning gear and deck plates.</p>"
        "<p>Cyclists had used a temporary ferry across the basin during the works, which "
        "the town council said came in under the agreed budget.</p>"
        "</article></body></html>"
    )
    result = extract_article(html, "https://example.org/bridge")
    assert result["published_raw"] == "2020-05-12"
    assert result["published"] == "2020-05-12T00:00:00+00:00"
    assert result["modified"] is None


# --------------------------------------------------------------------------- decoding


def test_cp1252_declared_correctly() -> None:
    decoded = decode_html((FIXTURES / "cp1252_declared.html").read_bytes())
    assert decoded == DecodedHtml(decoded.text, "cp1252", None)
    assert "Saint-Éloi" in decoded.text and "85 000 €" in decoded.text


def test_declared_charset_lies() -> None:
    decoded = decode_html((FIXTURES / "charset_lies.html").read_bytes())
    assert decoded.encoding == "cp1252"
    assert decoded.problem == "declared utf-8 but bytes are not valid utf-8; decoded as cp1252"
    assert "l’annonce" in decoded.text and "\ufffd" not in decoded.text


def test_http_declared_encoding_wins_over_meta() -> None:
    body = '<html><head><meta charset="utf-8"></head><body>café</body></html>'.encode("cp1252")
    decoded = decode_html(body, "text/html; charset=ISO-8859-1")
    assert (decoded.encoding, decoded.problem) == ("cp1252", None)
    assert "café" in decoded.text


def test_bom_wins() -> None:
    body = '\ufeff<html><head><meta charset="iso-8859-1"></head><body>naïve</body></html>'
    decoded = decode_html(body.encode("utf-8"))
    assert decoded.encoding == "utf-8" and decoded.text.startswith("<html>")
    assert "naïve" in decoded.text


def test_utf8_declared_as_latin1_is_reported() -> None:
    body = '<html><head><meta charset="iso-8859-1"></head><body>Zürich</body></html>'
    decoded = decode_html(body.encode("utf-8"))  # also valid cp1252, but as mojibake
    assert decoded.encoding == "utf-8"
    assert decoded.problem == "declared cp1252 but bytes are valid utf-8; decoded as utf-8"
    assert "Zürich" in decoded.text


def test_utf8_invalid_in_declared_cp1252_is_reported() -> None:
    body = '<html><head><meta charset="windows-1252"></head><body>“Zürich”</body></html>'
    decoded = decode_html(body.encode("utf-8"))  # 0x9d is undefined in cp1252
    assert decoded.encoding == "utf-8"
    assert decoded.problem == "declared cp1252 but bytes are not valid cp1252; decoded as utf-8"
    assert "“Zürich”" in decoded.text


def test_undeclared_bytes_are_detected() -> None:
    assert decode_html(b"<p>plain ascii</p>") == DecodedHtml("<p>plain ascii</p>", "utf-8", None)
    decoded = decode_html("<p>Les élèves déjà là, à l’école</p>".encode("cp1252"))
    assert decoded.text == "<p>Les élèves déjà là, à l’école</p>"
    assert decoded.problem == "no charset declared; guessed cp1252"


def test_bytes_use_http_encoding_argument() -> None:
    html = (FIXTURES / "cp1252_declared.html").read_bytes().replace(b"windows-1252", b"x-unknown")
    result = extract_article(html, URLS["cp1252_declared"], encoding="windows-1252")
    assert "Après quarante-deux ans d’activité" in result["text"]


def test_short_story_is_not_flattened_with_its_page_furniture():
    """One-paragraph stories used to fall back to a whole-page baseline (counters, share
    counts included), so every re-fetch looked like an edit."""
    from newsarchive.demo.site import NewsSite, story_path
    from newsarchive.demo.stories import Story, StoryState

    text = ("The ferry to the north landing will not run on Sunday because of the storm warning, "
            "the harbour authority said.")
    for outlet in ("ledger", "courier"):
        story = Story(outlet, "city", "ferry-cancelled", "2026-01-05T20:04:00+00:00",
                      (StoryState(1, "Sunday ferry cancelled", (text,)),))
        site = NewsSite((story,))
        fetches = [extract_article(site.handle(story_path(story), {}).body, "http://x" + story_path(story))
                   for _ in range(3)]  # the page furniture rotates on every request
        assert [f["paragraphs"] for f in fetches] == [[text]] * 3


# --------------------------------------------------------------------------- real-page failure classes

def _prose(n: int, topic: str) -> str:
    return (f"Paragraph {n} about the {topic}: the council met on Tuesday evening and heard "
            f"that the works on the {topic} would run into the spring, residents said.")


def test_name_suffix_stays_with_its_author() -> None:
    html = (
        "<html><head><script type='application/ld+json'>"
        '{"@type": "NewsArticle", "headline": "Canal works", '
        '"author": [{"@type": "Person", "name": "John Smith, Jr."}, '
        '{"@type": "Person", "name": "Ann Lee"}]}</script></head><body><article>'
        + "".join(f"<p>{_prose(i, 'canal')}</p>" for i in range(4))
        + "</article></body></html>"
    )
    result = extract_article(html, "https://example.org/canal")
    assert result["authors"] == ["John Smith, Jr.", "Ann Lee"]


def test_meta_author_list_keeps_suffixes() -> None:
    html = (
        "<html><head><meta name='author' content='By Martin Roe, Sr., Jane Doe and Bo Li, PhD'>"
        "</head><body><article>"
        + "".join(f"<p>{_prose(i, 'canal')}</p>" for i in range(4))
        + "</article></body></html>"
    )
    assert extract_article(html, "https://example.org/canal")["authors"] == [
        "Martin Roe, Sr.", "Jane Doe", "Bo Li, PhD"]


def test_html_comments_do_not_cut_the_story_short() -> None:
    """Comments left in the tree confused trafilatura: paragraphs ran together, and on
    some real pages half of the story went missing."""
    paragraphs = [_prose(i, "harbour wall") for i in range(12)]
    html = (
        "<html><body><article><h1>Harbour wall</h1><div class='story'>"
        + "".join(f"<p><!-- slot {i} -->{p[:30]}<!-- x -->{p[30:]}</p>"
                  for i, p in enumerate(paragraphs))
        + "</div></article></body></html>"
    )
    assert extract_article(html, "https://example.org/harbour")["paragraphs"] == paragraphs


def test_body_split_into_chunks_between_ads_is_joined() -> None:
    paragraphs = [_prose(i, "tram line") for i in range(9)]
    chunks = [paragraphs[0:3], paragraphs[3:6], paragraphs[6:9]]
    html = (
        "<html><body><main><article><h1>Tram line</h1><div class='article__chunks'>"
        + "<div class='ad-slot'><p>Advertisement</p></div>".join(
            "<div class='grid'><div class='article-body'>"
            + "".join(f"<p>{p}</p>" for p in chunk) + "</div>"
            "<aside class='rail'><a href='/a'>One</a> <a href='/b'>Two</a></aside></div>"
            for chunk in chunks)
        + "</div></article></main><footer><p>All rights reserved.</p></footer></body></html>"
    )
    assert extract_article(html, "https://example.org/tram")["paragraphs"] == paragraphs


def test_standfirst_is_reported_and_not_repeated() -> None:
    standfirst = "The tram line will open a year late and cost a third more, the city said."
    body = [_prose(i, "tram line") for i in range(4)]
    html = (
        "<html><body><article><header><h1>Tram line late</h1>"
        f"<div class='standfirst'>{standfirst}</div><span>12 May 2020</span></header>"
        "<div class='story'>"
        + "".join(f"<p>{p}</p>" for p in body) + "</div></article></body></html>"
    )
    result = extract_article(html, "https://example.org/tram-late")
    assert result["standfirst"] == standfirst
    assert result["paragraphs"] == [standfirst, *body]
    # already in the body: not put in front a second time, and not reported
    repeated = html.replace("<div class='story'>", f"<div class='story'><p>{standfirst}</p>")
    result = extract_article(repeated, "https://example.org/tram-late")
    assert result["standfirst"] is None and result["paragraphs"].count(standfirst) == 1


def test_hover_card_inside_a_sentence_is_dropped() -> None:
    card = ("<span class='rollover-block'><a class='name' href='/people/ann-lee'>Ann Lee</a>"
            "<a href='/1'>Council votes on the budget tonight</a> "
            "<a href='/2'>Mayor faces questions over tram delays</a> "
            "<a href='/3'>Harbour wall repairs to start in May</a></span>")
    first = ("The works were approved by councillor <span class='rollover-people'>"
             f"<a href='/people/ann-lee'>Ann Lee</a>{card}</span> on Tuesday after a long debate "
             "about the cost of the harbour wall repairs.")
    html = ("<html><body><article><h1>Harbour</h1><div class='story'>"
            f"<p>{first}</p>" + "".join(f"<p>{_prose(i, 'harbour')}</p>" for i in range(4))
            + "</div></article></body></html>")
    paragraphs = extract_article(html, "https://example.org/harbour")["paragraphs"]
    assert paragraphs[0].startswith("The works were approved by councillor Ann Lee on Tuesday")
    assert not any("Mayor faces questions" in p for p in paragraphs)


def test_link_in_a_span_keeps_its_words() -> None:
    first = ("The agency has reported that <span class='link'><a href='/fine'>the league will "
             "fine the player</a></span> for his role in the fight on Thursday night.")
    html = ("<html><body><article><h1>Fine</h1><div class='story'>"
            f"<p>{first}</p>" + "".join(f"<p>{_prose(i, 'stadium')}</p>" for i in range(4))
            + "</div></article></body></html>")
    paragraphs = extract_article(html, "https://example.org/fine")["paragraphs"]
    assert paragraphs[0] == ("The agency has reported that the league will fine the player for "
                             "his role in the fight on Thursday night.")


@pytest.mark.parametrize("line", ["Like this story? Share it with a friend!",
                                  "Tell us what YOU think..."])
def test_share_and_comment_prompts_dropped(line: str) -> None:
    body = [_prose(i, "bridge") for i in range(4)]
    html = ("<html><body><article><h1>Bridge</h1><div class='story'>"
            + "".join(f"<p>{p}</p>" for p in body) + f"<p>{line}</p></div></article></body></html>")
    assert extract_article(html, "https://example.org/bridge")["paragraphs"] == body


_STORY = "".join(f"<p>The harbour board met for the {n}th time this year to discuss the dredging plan "
                 "and the cost of the new quay.</p>" for n in range(4, 9))


def _byline_page(meta: str, head: str = "") -> str:
    return (f"<html><head><title>Quay vote delayed</title>{head}</head><body><nav><span class='author'>"
            f"Staff list</span></nav><article><h1>Quay vote delayed</h1>{meta}{_STORY}</article>"
            "<aside><span class='author'>Someone Else</span></aside></body></html>")


def _ld(*names: str) -> str:
    authors = ",".join(f'{{"@type":"Person","name":"{n}"}}' for n in names)
    return ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
            f'"headline":"Quay vote delayed","author":[{authors}]}}</script>')


@pytest.mark.parametrize(
    ("meta", "head", "authors"),
    [
        ("<span class='author'>By Ana Ruiz</span>", "", ["Ana Ruiz"]),  # page markup only
        ("<p class='byline'>By Ana Ruiz and Tom Hale</p>", "", ["Ana Ruiz", "Tom Hale"]),
        ("<span class='byline'><a rel='author' href='/a/ruiz'>Ana Ruiz</a> and "
         "<a rel='author' href='/a/hale'>Tom Hale</a></span>", "", ["Ana Ruiz", "Tom Hale"]),
        ("<div class='meta'><span itemprop='author'>Ana Ruiz</span></div>", "", ["Ana Ruiz"]),
        ("", _ld("Ana Ruiz"), ["Ana Ruiz"]),  # JSON-LD only
        # JSON-LD names one author, the page shows two: readers see two.
        ("<span class='author'>By Ana Ruiz and Tom Hale</span>", _ld("Ana Ruiz"), ["Ana Ruiz", "Tom Hale"]),
        # No name in common: the page element is not this story's byline; JSON-LD wins.
        ("<span class='author-box'>Read more from Lea Stone</span>", _ld("Ana Ruiz"), ["Ana Ruiz"]),
    ],
)
def test_the_byline_readers_see_is_reconciled_with_structured_data(meta, head, authors) -> None:
    result = extract_article(_byline_page(meta, head), "https://example.org/quay-vote")
    assert result["authors"] == authors
    assert result["byline"] == ", ".join(authors)
