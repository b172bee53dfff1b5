"""A local pair of outlets whose templates change between editions, for the extraction-health tests.

Eight stories per outlet (a storm is a share of many re-checked articles). ``template``
switches the Harbour Ledger's article page, the way real redesigns do:

- ``classic``: the demo template;
- ``redesign``: the body moves into a client-rendered container (JSON in a script), so
  what extraction finds is the "Most read" sidebar, the same on every page;
- ``newsletter``: a "Subscribe to our newsletter" paragraph appears inside every article
  (phrased so the cleaner's boilerplate rules do not catch it);
- ``app``: another leak, a "Download our app" paragraph.

From edition 2 two stories of each outlet carry a real edit (an appended update).
"""

from __future__ import annotations

import json
import random
from html import escape

from newsarchive.demo.site import NewsSite
from newsarchive.demo.stories import Story, StoryState

PUBLISHED = "2026-03-02T08:00:00+00:00"
PLACES = ("harbour", "old town", "north landing", "river walk", "market square", "station", "hill road",
          "east quay")
TOPICS = ("a new footbridge", "longer library hours", "a cycle lane", "a second ferry", "street lighting",
          "a covered market", "a school extension", "a bus shelter")

NEWSLETTER = ("Enjoying this story? Subscribe to our newsletter for the morning briefing from the "
              "waterfront, free every weekday.")
APP = "Read every story on the go: download the Harbour Ledger app for phones and tablets today."
SIDEBAR = (
    "Most read this week: the ferry timetable changes, the new harbour cranes and the rowing "
    "club's search for a boathouse.",
    "Our reporters cover the council, the port and the courts every day, and the archive of "
    "past editions is open to every reader of the paper.",
    "Letters to the editor are published on Saturdays; send yours with your name and the "
    "part of town where you live.",
)


def _paragraphs(i: int) -> tuple[str, ...]:
    place, topic = PLACES[i], TOPICS[i]
    return (
        f"Residents of the {place} district have asked the council for {topic}, according to a "
        f"petition with {120 + 37 * i} signatures handed in on Monday.",
        f"Councillor Noor Haddad said the request for {topic} would be discussed at the planning "
        f"meeting in {('April', 'May', 'June', 'July')[i % 4]}, and that money had been set aside.",
        f"The {place} residents' association said it had waited {2 + i} years for an answer and "
        "would keep campaigning until work starts.",
    )


def _update(i: int) -> str:
    return (f"Update # 1 \u2014 3:1{i} P.M.: The council said on Monday afternoon that the "
            f"{PLACES[i]} petition would be answered in writing within a month.")


def _stories(outlet: str) -> tuple[Story, ...]:
    stories = []
    for i in range(8):
        slug = f"{PLACES[i].replace(' ', '-')}-petition-{outlet}"
        title = f"{PLACES[i].title()} residents petition for {TOPICS[i]}"
        first = StoryState(1, title, _paragraphs(i), byline="Ada Mwangi")
        states = [first]
        if i < 2:  # the newsroom's real edits from edition 2 on
            states.append(StoryState(2, title, (*_paragraphs(i), _update(i)), byline="Ada Mwangi"))
        stories.append(Story(outlet, f"local{chr(97 + i)}", slug, PUBLISHED, tuple(states)))
    return tuple(stories)


EDITED = ("harbour", "old town")  # the places of the stories edited from edition 2 on


class TemplatedSite(NewsSite):
    """The demo site with a switchable Ledger article template (``template``)."""

    def __init__(self) -> None:
        super().__init__(_stories("ledger") + _stories("courier"), edition=1)
        self.template = "classic"

    def _ledger(self, story: Story, state: StoryState, rng: random.Random) -> str:
        if self.template == "redesign":
            return self._redesign(story, state)
        leak = {"newsletter": NEWSLETTER, "app": APP}.get(self.template)
        if leak:
            paragraphs = list(state.paragraphs)
            paragraphs.insert(2, leak)
            state = StoryState(state.edition, state.title, tuple(paragraphs), byline=state.byline)
        return super()._ledger(story, state, rng)

    def _redesign(self, story: Story, state: StoryState) -> str:
        data = json.dumps({"props": {"story": {"headline": state.title, "body": list(state.paragraphs)}}})
        sidebar = "".join(f"<p>{escape(p)}</p>" for p in SIDEBAR)
        return (
            '<header><nav><a href="/ledger/">Home</a></nav></header>'
            f'<main><h1>{escape(state.title)}</h1><div id="story-root" data-hydrate="story"></div>'
            f'<script id="__NEXT_DATA__" type="application/json">{data}</script>'
            f'<div class="rail"><h2>From the Ledger</h2>{sidebar}</div></main>'
            '<footer>&copy; The Harbour Ledger</footer>'
        )
