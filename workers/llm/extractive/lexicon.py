"""Business word lists: what moves which way, what is good or bad to have, and who acts.

General-purpose sentiment reads business text badly ("our support backlog doubled" is
positive to VADER because of "support"; "cuts production costs" is negative because of
"cuts"). These lists let :mod:`.polarity` judge such sentences by what changes and in which
direction, and :mod:`.subject` tell the organisation from the world around it. Entries are
lower-case; a word matches an entry it equals or, for entries of four letters or more, one
it starts with ("grow" matches "growing", "cut" only "cut").
"""

from __future__ import annotations

from functools import lru_cache

from workers.llm.extractive.text import words


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Quantities an organisation wants more of (+1), less of (-1), or that cut both ways (0).
QUANTITY_VALENCE = {
    **dict.fromkeys(
        """
        revenue revenues sales profit profits profitability margin margins earnings income
        demand orders bookings subscribers subscriptions customers clients share jobs
        productivity cash budgets budget spending savings growth market markets reliability
        uptime quality satisfaction retention efficiency exports output capacity funding
        investment valuation adoption conversion engagement traffic reserves visits
        deliveries shipments production confidence
        """.split(),
        1,
    ),
    **dict.fromkeys(
        """
        cost costs expenses backlog churn attrition debt debts complaints losses delays
        defects outages downtime inflation premiums unemployment fines penalties waste
        emissions arrears turnover interest_rates vacancies spend tariffs write-downs
        writedowns impairments taxes tax rents rent levies duties
        """.split(),
        -1,
    ),
    **dict.fromkeys("prices price rate rates volumes volume level levels".split(), 0),
}
# Nouns that make the quantity before them a modifier: "sales team", "cost centre".
MODIFIED = frozenset(
    """
    team teams department departments force staff manager managers director directors office
    offices people rep reps representatives channel channels centre centres center centers
    """.split()
)
# What a business buys: their prices are its costs ("steel prices rose").
_INPUTS = """
    energy fuel oil gas power electricity commodity material materials component input steel
    copper aluminium aluminum lumber timber cotton wheat grain feed chip memory freight
    """.split()
# Two-word terms read as one word.
COMPOUNDS = {
    ("interest", "rate"): "interest_rates", ("interest", "rates"): "interest_rates",
    ("market", "share"): "share", ("staff", "turnover"): "turnover",
    **{(what, price): "costs" for what in _INPUTS for price in ("price", "prices")},
}  # fmt: skip

# Which way a quantity moves.
UP = _words(
    """
    rise rises rose risen rising grow grew increas doubl tripl surg jump climb soar raise
    raised raising high higher highest expand accelerat boost widen swell spike mounting
    record lift recover rebound upgrad
    """
)
DOWN = _words(
    """
    fall falls fell fallen drop declin decreas cut cuts cutting halv shrink shrank slump low
    lower lowest reduc slow plung tumbl sank sink narrow lose loses losing lost missed stall
    dipped dips halt remov eliminat scrap abolish
    """
)

# Words good or bad for the organisation whatever else the sentence says.
GAIN = _words(
    """
    opportun win wins winning won strong lead advantag innovat launch partner improv gain
    potential momentum efficien ahead praise award open unlock breakthrough success
    outperform beat exceed robust resilien loyal favourab favorab benefit approv shipped
    patent trusted adopt
    """
)
LOSS = _words(
    """
    risk threat lawsuit litigat scrutin fine fined penalt shortag delay uncertain volatil
    downturn vulnerab breach fail weak layoff tariff concern warn pressure exposure disrupt
    recession deficit default outage complain defect wary behind overrun recall strike
    bankrupt insolven sanction banned investigat probe struggl problem shortfall obsolet lag
    lags lagging criticis criticiz undercut poach erod squeez threaten outdated error slip
    slipped relian dependen bottleneck inefficien costly crash ban cyberattack attack hacked
    hackers flood lack
    """
)
# Words VADER scores that are business nouns here ("customer support", "interest rates").
VADER_MISREADS = frozenset(
    "support interest credit share shares value care fine like well demand fund gross".split()
)

# Words that turn the next few around: "did not grow", "no delays".
NEGATORS = frozenset("not no never without neither nor hardly barely cannot".split())

# Who a sentence is about.
INTERNAL = frozenset(
    """
    we our ours us ourselves we're we've we'll company firm organisation organization
    business management staff employees employee workforce team teams engineers engineering
    board ceo cfo cto coo executives leadership product products platform brand factory
    factories plant plants operations revenue revenues sales profit profits margin margins
    earnings backlog cash losses developers
    """.split()
)
EXTERNAL = frozenset(
    """
    market markets customer customers client clients consumer consumers buyer buyers
    shoppers regulator regulators regulation regulations regulatory rules law laws
    legislation government governments policy policies tax taxes tariff tariffs economy
    economic inflation interest_rates recession supplier suppliers supply vendors demand
    industry sector trade investors insurers geopolitical war currency pandemic climate
    weather lenders bank banks unions courts imports city cities council councils state
    authorities officials rain rains drought droughts storm storms floods heatwave
    """.split()
)
RIVALS = frozenset(
    "competitor competitors competition rival rivals entrant entrants challenger challengers"
    .split()
)
# Possessive words (a word ending in "'s" is one too): what they own may be another actor.
POSSESSIVES = frozenset({"our", "its", "their"})
# What rivals suffer is good news: "a competitor is losing share".
RIVAL_SETBACKS = _words(
    """
    lose loses losing lost exit bankrupt insolven recall struggl fail closing closed withdr
    retreat collaps fined sued
    """
)
# When the outside world judges the organisation, the sentence is about the organisation.
JUDGING = _words(
    """
    praise love loves prefer trust complain criticis criticiz rave raves review recommend
    """
)


def matches(word: str, entries: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether ``word`` (lower-case) is one of ``entries`` by the rule above."""
    exact, prefixes = _split(entries)
    return word in exact or word.startswith(prefixes)


@lru_cache(maxsize=64)
def _split(entries: tuple[str, ...] | frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    return frozenset(entries), tuple(e for e in entries if len(e) >= 4)


def marked_tokens(text: str) -> list[tuple[str, bool]]:
    """Lower-case words of ``text`` with whether each was possessive ("acme's", "our"); the
    possessive ending is dropped and known compounds are joined."""
    out: list[tuple[str, bool]] = []
    for word in words(text.lower().replace("’", "'")):
        bare = word.removesuffix("'s")
        if out and (out[-1][0], bare) in COMPOUNDS:
            out[-1] = (COMPOUNDS[(out[-1][0], bare)], bare != word)
        else:
            out.append((bare, bare != word or bare in POSSESSIVES))
    return out


def tokens(text: str) -> list[str]:
    """The words of :func:`marked_tokens`."""
    return [word for word, _ in marked_tokens(text)]
