"""A local outlet whose stories are edited across five editions, one kind of edit each.

Invented text in the manner of real wire copy (appended timed updates, "LATEST:" lines,
corrections). Each story sits in its own section so every listing fits the default depth, and has at
least three paragraphs (see the report: the cleaner keeps page furniture on shorter ones).
"""

from __future__ import annotations

from dataclasses import replace

from newsarchive.demo.site import NewsSite, Reply, story_path
from newsarchive.demo.stories import Story, StoryState

PUBLISHED = "2026-02-02T09:00:00+00:00"


def _story(outlet: str, section: str, slug: str, *states: StoryState) -> Story:
    return Story(outlet, section, slug, PUBLISHED, states)


# --- appended update ---------------------------------------------------------------------
PIER = (
    "The port board voted on Monday to sell the disused grain pier to a housing developer, "
    "according to minutes published by the board.",
    "Board chair Lena Marsh said the sale would raise money for new cranes at the container "
    "terminal. Two members voted against.",
    "Residents of the waterfront have campaigned for the pier to become a public park.",
)
PIER_UPDATE = ("Update # 1 \u2014 4:09 P.M.: The city\u2019s planning office said on Monday "
               "afternoon that no application to build on the pier had been received.")

# --- "LATEST:" line at the top -------------------------------------------------------------
DREDGE = (
    "Dredging of the inner harbour channel will start next week and last until the end of "
    "March, the harbour master said.",
    "Pleasure boats will have to use the outer moorings while the work goes on.",
    "The channel was last dredged eleven years ago.",
)
DREDGE_LATEST = "LATEST: Harbour master postpones dredging after objections from fishing crews"

# --- correction: a changed figure and a "Correction:" note -----------------------------------
COSTS = (
    "The council\u2019s new depot will cost more than planned, officials told the finance "
    "committee on Tuesday.",
    "The extra work would add about 1.2 million to the cost of the project, which was "
    "budgeted at 9 million when it was approved.",
    "Committee members asked for a full report before the spring budget.",
)
COSTS_FIXED = (COSTS[0], COSTS[1].replace("1.2 million", "2.1 million"), COSTS[2])
COSTS_NOTE = ("Correction: An earlier version of this story gave the wrong figure for the "
              "extra cost of the depot.")

# --- softened headline ------------------------------------------------------------------------
CLUB = (
    "The rowing club has been told to leave its boathouse by the summer after its lease "
    "was not renewed.",
    "The club has used the boathouse since 1931 and has 240 members.",
    "Its members have started a fund to buy a new site further up the river.",
)
CLUB_TITLE = "Rowing club thrown out of historic boathouse"
CLUB_TITLE_SOFT = "Rowing club to leave boathouse after lease ends"

# --- byline change --------------------------------------------------------------------------
GALLERY = (
    "The town gallery will show the drawings of the engraver Ida Borg for the first time "
    "since they were found in an attic last year.",
    "The exhibition opens on Friday and runs until the end of April.",
    "Entry is free for residents of the town on weekdays.",
)

# --- deleted paragraph ----------------------------------------------------------------------
BUSES = (
    "Two bus routes through the old town will be merged from March, the transit company "
    "said on Wednesday.",
    "The company said fewer people used the routes since the tram extension opened.",
    "A driver who asked not to be named said staff had not been told. Several drivers "
    "fear for their jobs.",
    "The merged route will run every twelve minutes during the day.",
)
BUSES_CUT = (BUSES[0], BUSES[1], BUSES[3])

# --- moved paragraph --------------------------------------------------------------------------
SCHOOL = (
    "Parents at Hill Road primary have asked the education board to reopen the school "
    "kitchen, which closed in the autumn.",
    "Pupils now eat meals delivered from a school across town.",
    "The board said the kitchen needed new ventilation before it could reopen.",
    "Hill Road has 310 pupils, almost half of whom receive free meals.",
)
SCHOOL_MOVED = (SCHOOL[0], SCHOOL[3], SCHOOL[1], SCHOOL[2])

# --- live blog: wire-style 24-hour time stamps, newest entry on top ---------------------------
STORM = (
    "Storm Edda brought down power lines across the northern valleys overnight, the grid "
    "operator said on Wednesday morning.",
    "About 12,000 homes were without electricity at nine o'clock. Crews from three regions "
    "have been sent to help.",
    "Schools in the valleys will stay closed until Friday, the education board said.",
)
STORM_ENTRY_1 = ("1935 GMT - The grid operator said power had been restored to 9,000 of the "
                 "homes cut off overnight.")
STORM_ENTRY_2 = ("0740 GMT: Rail services through the valleys resumed on Thursday morning with "
                 "a reduced timetable.")

# --- a deleted paragraph that shares its last sentence with the paragraph before it ----------
BUDGET = (
    "The plan would cut library hours by a tenth. The finance chair said a final decision "
    "was expected within weeks.",
    "The plan would also close two of the town's four swimming pools. The finance chair said "
    "a final decision was expected within weeks.",
    "The council approved the budget on Thursday after a six-hour debate.",
    "Opposition members said they would challenge the cuts at the next meeting.",
    "The budget takes effect in January.",
)
BUDGET_CUT = (BUDGET[0], *BUDGET[2:])

# --- typography only (not a version) -----------------------------------------------------------
CLINIC = (
    'The walk-in clinic on Mill Street will open late on Thursdays, the health board said - '
    'a change "long overdue," according to patients.',
    "Evening appointments can be booked  by phone from Monday.",
    "Walk-in patients will still be seen until six o'clock.",
)
CLINIC_TYPESET = (
    "The walk-in clinic on Mill Street will open late on Thursdays, the health board said \u2014 "
    "a change \u201clong overdue\u201d, according to patients.",
    "Evening appointments can be booked by phone from Monday",
    "Walk-in patients will still be seen until six o’clock.",
)

# --- removed (404), moved to a new URL (301), A/B flapping, boilerplate only -----------------
KIOSK = (
    "The kiosk at the park gates will reopen in April under a new tenant, the parks "
    "department said.",
    "The previous tenant left in October after a dispute over rent.",
    "The department said it had received four offers for the lease.",
)
FLOOD = (
    "Flood barriers will be installed along the river walk before the spring tides, the "
    "environment agency said.",
    "The barriers can be raised in under an hour when a high tide is forecast.",
    "Shops along the walk were flooded twice last winter.",
)
FESTIVAL = (
    "The summer music festival will move from the park to the racecourse this year to make "
    "room for more visitors.",
    "Organisers expect 15,000 people on each of the three days.",
    "Tickets go on sale at the end of the month.",
)
FESTIVAL_A = "Music festival moves to the racecourse"
FESTIVAL_B = "Summer festival heads to a bigger venue"
FERRY_TIMES = (
    "The winter ferry timetable will stay in place until the end of March, the operator said.",
    "Sailings leave the north landing every forty minutes from seven in the morning.",
    "The summer timetable, with sailings every twenty minutes, starts in April.",
)

STORIES: dict[str, Story] = {
    "update": _story("ledger", "port", "grain-pier-sale",
                     StoryState(1, "Port board votes to sell grain pier", PIER),
                     StoryState(2, "Port board votes to sell grain pier", (*PIER, PIER_UPDATE))),
    "latest": _story("ledger", "harbour", "channel-dredging",
                     StoryState(1, "Harbour channel dredging to begin", DREDGE),
                     StoryState(2, "Harbour channel dredging to begin", (DREDGE_LATEST, *DREDGE))),
    "correction": _story("courier", "business", "depot-costs-rise",
                         StoryState(1, "New depot to cost more than planned", COSTS),
                         StoryState(2, "New depot to cost more than planned", (*COSTS_FIXED, COSTS_NOTE))),
    "headline": _story("courier", "sport", "rowing-club-boathouse",
                       StoryState(1, CLUB_TITLE, CLUB), StoryState(2, CLUB_TITLE_SOFT, CLUB)),
    "byline": _story("ledger", "culture", "engraver-drawings-shown",
                     StoryState(1, "Lost engravings go on show", GALLERY, byline="Ada Mwangi"),
                     StoryState(2, "Lost engravings go on show", GALLERY, byline="Ada Mwangi and Jonas Feld")),
    "deleted": _story("courier", "transport", "bus-routes-merged",
                      StoryState(1, "Old town bus routes to merge", BUSES),
                      StoryState(2, "Old town bus routes to merge", BUSES_CUT)),
    "moved": _story("ledger", "schools", "school-kitchen-reopen",
                    StoryState(1, "Parents ask for school kitchen to reopen", SCHOOL),
                    StoryState(2, "Parents ask for school kitchen to reopen", SCHOOL_MOVED)),
    "liveblog": _story("courier", "storms", "storm-edda-live",
                       StoryState(1, "Storm Edda: power cuts across the valleys", STORM),
                       StoryState(2, "Storm Edda: power cuts across the valleys", (STORM_ENTRY_1, *STORM)),
                       StoryState(3, "Storm Edda: power cuts across the valleys",
                                  (STORM_ENTRY_2, STORM_ENTRY_1, *STORM))),
    "shared_cut": _story("courier", "council", "budget-cuts-pools",
                         StoryState(1, "Council budget closes two pools", BUDGET),
                         StoryState(2, "Council budget closes two pools", BUDGET_CUT)),
    "typography": _story("courier", "health", "clinic-late-opening",
                         StoryState(1, "Clinic to open late on Thursdays", CLINIC),
                         StoryState(2, "Clinic to open late on Thursdays", CLINIC_TYPESET)),
    "removed": _story("ledger", "parks", "park-kiosk-reopens",
                      StoryState(1, "Park kiosk to reopen in April", KIOSK)),
    "redirected": _story("courier", "weather", "river-flood-barriers",
                         StoryState(1, "Flood barriers for the river walk", FLOOD)),
    "flapping": _story("ledger", "arts", "festival-moves-racecourse",
                       *(StoryState(e, FESTIVAL_A if e % 2 else FESTIVAL_B, FESTIVAL) for e in range(1, 6))),
    "boilerplate": _story("courier", "markets", "winter-ferry-timetable",
                          StoryState(1, "Winter ferry timetable stays", FERRY_TIMES)),
}

MOVED_TO = replace(STORIES["redirected"], slug="river-walk-flood-barriers")


def path(key: str) -> str:
    return story_path(STORIES[key])


def edits_site() -> NewsSite:
    """Edition 1 of the edits outlet; :func:`to_edition` moves it on."""
    return NewsSite(tuple(STORIES.values()), edition=1)


def to_edition(site: NewsSite, edition: int) -> None:
    """Show ``edition``; from edition 2 one story is gone (404) and one has moved (301)."""
    site.edition = edition
    if edition >= 2:
        site.routes[path("removed")] = lambda s, q: Reply(404, b"<html><body>Not found</body></html>")
        site.routes[path("redirected")] = lambda s, q: Reply(
            301, b"", headers={"Location": story_path(MOVED_TO), "Content-Type": "text/html"})
        site.routes[story_path(MOVED_TO)] = lambda s, q: s.article(MOVED_TO, MOVED_TO.at(s.edition))
