"""The demo outlets' stories: invented news, written for newsarchive.

Each story lists its paragraphs per edition. Edition numbers are cumulative: the
text shown in edition N is the last entry whose edition is <= N, so a story that
changes once needs only two entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoryState:
    """What a story looks like from ``edition`` on."""

    edition: int
    title: str
    paragraphs: tuple[str, ...]
    byline: str = "Mara Lindqvist"
    modified: str | None = None


@dataclass(frozen=True)
class Story:
    outlet: str  # "ledger" or "courier": which template renders it
    section: str
    slug: str
    published: str  # ISO 8601 UTC
    states: tuple[StoryState, ...] = field(default_factory=tuple)

    def at(self, edition: int) -> StoryState | None:
        """The story as edition ``edition`` shows it (None before it was published)."""
        shown = [s for s in self.states if s.edition <= edition]
        return shown[-1] if shown else None


FERRY = (
    "The harbour authority told the city council on Monday that the old ferry terminal on "
    "Pier 9 will close to passengers at the end of the month, according to a letter seen by "
    "the Ledger.",
    "\u201cIn view of the structural survey, the authority will be moving all crossings to the "
    "north landing over the coming days and weeks,\u201d wrote operations director Helen R. "
    "Okafor in the letter, which was sent to council members on Sunday.",
    "The survey found corrosion in 14 of the terminal\u2019s 40 support piles. Engineers said "
    "the building was safe for now but could not be insured beyond the spring.",
    "Commuters reacted with frustration. \u201cThe north landing is a twenty-minute walk from "
    "the tram,\u201d said Priya Nandakumar, who crosses the bay every weekday.",
    "The council is expected to debate a temporary shuttle bus at its meeting on Thursday.",
)

FERRY_UPDATE = (
    "Update # 1 \u2014 4:09 P.M.: Mayor Daniel Osei said on Monday afternoon that \u201cno "
    "final decision whatsoever\u201d had been taken on the terminal and that the letter was a "
    "draft sent early."
)

BRIDGE = (
    "Repairs to the Eastgate bridge will take two weeks longer than planned, the transport "
    "department said on Tuesday, after crews found damaged bearings under the main span.",
    "One lane in each direction will stay open during the day. The bridge will close "
    "completely on two nights next week while a crane lifts the new bearings into place.",
    "The department said the extra work would add about 1.2 million to the cost of the "
    "project, which was budgeted at 9 million when it began in March.",
    "Local businesses on Eastgate Road said the closures had already cut their trade. "
    "\u201cWe lose the evening crowd every time the bridge narrows,\u201d said cafe owner Tom "
    "Brennan.",
)

LIBRARY = (
    "The central library will open on Sundays from next month after the council agreed a "
    "two-year budget for extra staff.",
    "Opening hours on Sundays will run from ten in the morning until four in the afternoon. "
    "The children\u2019s floor and the study rooms will be open; the archive will not.",
    "Librarians had asked for Sunday opening for six years. A petition last winter collected "
    "more than 8,000 signatures.",
)

MARKET = (
    "Stallholders at the Saturday market will pay lower pitch fees from April under a plan "
    "approved by the markets committee on Wednesday.",
    "The fee for a standard pitch falls from 45 to 38 a day. Traders who sell food grown "
    "within the county will pay 30.",
    "The committee also agreed to extend the market into Mill Lane during the summer months.",
)

STADIUM = (
    "The football club has lodged plans to add 4,000 seats to the south stand, its chief "
    "executive said on Thursday.",
    "The club said the expansion would be paid for by a loan from its owners and would not "
    "need public money. Work could begin after the end of the season.",
    "Residents near the ground have asked the council to require a new parking plan as a "
    "condition of any approval.",
)

TRAMS = (
    "Tram services on the river line will run every six minutes instead of every eight from "
    "Monday, the transit company announced.",
    "The change follows complaints about crowding at peak times since the new hospital opened "
    "beside the line in the autumn.",
    "The company said it had hired twelve drivers to cover the extra services.",
)

DEMO_STORIES: tuple[Story, ...] = (
    Story("ledger", "city", "ferry-terminal-to-close", "2026-01-05T20:04:00+00:00", (
        StoryState(1, "Harbour authority to close old ferry terminal", FERRY),
        StoryState(2, "Harbour authority to close old ferry terminal", (FERRY_UPDATE, *FERRY),
                   modified="2026-01-05T21:09:00+00:00"),
    )),
    Story("ledger", "city", "eastgate-bridge-repairs-delayed", "2026-01-06T09:30:00+00:00", (
        StoryState(1, "Eastgate bridge repairs to run two weeks late", BRIDGE, byline="Jonas Feld"),
    )),
    Story("ledger", "culture", "library-sunday-opening", "2026-01-04T12:00:00+00:00", (
        StoryState(1, "Central library to open on Sundays", LIBRARY, byline="Ada Mwangi"),
    )),
    Story("courier", "business", "market-pitch-fees-cut", "2026-01-06T11:15:00+00:00", (
        StoryState(1, "Market traders to pay lower pitch fees", MARKET, byline="Ruth Calder"),
    )),
    Story("courier", "sport", "stadium-expansion-plans", "2026-01-05T16:45:00+00:00", (
        StoryState(1, "Club lodges plans for bigger south stand", STADIUM, byline="Ben Achterberg"),
    )),
    Story("courier", "transport", "river-line-trams-more-often", "2026-01-06T07:00:00+00:00", (
        StoryState(1, "River line trams to run more often", TRAMS, byline="Ruth Calder"),
    )),
)

OTHER_HEADLINES = (
    "Council approves new cycle lanes on the ring road",
    "Heavy snow expected in the hills overnight",
    "School inspectors praise rural primary",
    "Harbour seals return to the estuary",
    "Water rates to rise by three percent",
    "Night bus trial extended until summer",
    "Local brewery wins national award",
    "Police appeal for witnesses after warehouse fire",
    "New clinic opens in the old post office",
    "Students build solar boat for regatta",
    "Theatre restores its 1920s organ",
    "Allotment waiting list passes 600 names",
    "Rail operator apologises for weekend delays",
    "Museum shows maps of the lost river",
    "Volunteers plant 2,000 trees at the reservoir",
    "Airport adds two summer routes",
)
