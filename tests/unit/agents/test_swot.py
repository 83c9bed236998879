"""The local backend's SWOT: each finding in one quadrant, and what to do about each."""

from __future__ import annotations

import copy

import pytest

from workers.llm import LOCAL_MODEL, LLMClient, LocalBackend, RequestOptions
from workers.llm.extractive.entities import extract_entities
from workers.llm.extractive.field_roles import FieldRole, roles_of
from workers.llm.extractive.polarity import polarity
from workers.llm.extractive.subject import Actors, find_actors, subject_of
from workers.llm.extractive.swot import as_clause
from workers.strategic_analysis.engine import schemas

QUADRANTS = {
    "strengths": [
        "Our engineering team shipped three releases ahead of schedule.",
        "Customers praise the reliability of our platform.",
        "Our gross margins improved for the fourth quarter in a row.",
    ],
    "weaknesses": [
        "Our support backlog doubled.",
        "Staff turnover in our sales team is high.",
        "Our flagship app suffers frequent outages.",
    ],
    "opportunities": [
        "New regulation opens a market for our product.",
        "Demand for battery storage is growing fast in Asia.",
        "Government subsidies for clean energy will double next year.",
    ],
    "threats": [
        "A competitor is winning our largest customers.",
        "Rising interest rates may squeeze customer budgets.",
        "New tariffs on imported components threaten our margins.",
    ],
}
NEUTRAL = "The annual meeting takes place in Berlin in June."
ADVICE = "Analysts recommend that we hire more support staff."
# Passages mix quadrants, as real documents do.
EVIDENCE = [
    {"id": "board-1", "text": " ".join([QUADRANTS["strengths"][0], QUADRANTS["weaknesses"][0],
                                        QUADRANTS["opportunities"][0], NEUTRAL])},
    {"id": "market-2", "text": " ".join([QUADRANTS["threats"][0], QUADRANTS["strengths"][1],
                                         QUADRANTS["opportunities"][1], ADVICE])},
    {"id": "review-3", "text": " ".join([QUADRANTS["weaknesses"][1], QUADRANTS["threats"][1],
                                         QUADRANTS["strengths"][2]])},
    {"id": "outlook-4", "text": " ".join([QUADRANTS["opportunities"][2],
                                          QUADRANTS["weaknesses"][2], QUADRANTS["threats"][2]])},
]
MESSAGES = [{"role": "system", "content": "You are the lead strategist."},
            {"role": "user", "content": "What is our strategic position?"}]
ACTIONS = {"strengths": "Build on the strength that", "weaknesses": "Fix the weakness that",
           "opportunities": "Pursue the opportunity that",
           "threats": "Defend against the threat that"}


@pytest.fixture(scope="module")
def report() -> dict:
    client = LLMClient(LocalBackend(), default_model=LOCAL_MODEL)
    return client.structured(MESSAGES, schemas.REPORT, RequestOptions(evidence=EVIDENCE)).data


def _quadrant(sentence: str) -> str:
    return next(name for name, sentences in QUADRANTS.items() if sentence in sentences)


@pytest.mark.parametrize("sentence", [s for group in QUADRANTS.values() for s in group])
def test_each_finding_lands_in_its_own_quadrant_only(report: dict, sentence: str) -> None:
    holding = [name for name, items in report["swot"].items() if sentence in items]
    assert holding == [_quadrant(sentence)]


def test_no_item_repeats_and_neutral_or_advice_sentences_stay_out(report: dict) -> None:
    items = [item for group in report["swot"].values() for item in group]
    assert len(items) == len(set(items)) == 12
    assert NEUTRAL not in items and ADVICE not in items
    assert report["swot"]["strengths"] != report["swot"]["opportunities"]
    assert report["swot"]["weaknesses"] != report["swot"]["threats"]


def test_recommendations_say_what_to_do_about_which_finding(report: dict) -> None:
    texts = {e["id"]: e["text"] for e in EVIDENCE}
    recommendations = report["recommendations"]
    assert recommendations[0]["action"] == ADVICE  # the evidence's own advice comes first
    assert recommendations[0]["evidence_ids"] == ["market-2"]
    used = set()
    for rec in recommendations[1:]:
        quadrant = next(q for q, lead in ACTIONS.items() if rec["action"].startswith(lead))
        finding = rec["action"].removeprefix(ACTIONS[quadrant]).strip().rstrip(".")
        source = next(s for s in QUADRANTS[quadrant] if s.lower().startswith(finding.lower()))
        assert source in report["swot"][quadrant]
        assert rec["evidence_ids"] == [e for e, t in texts.items() if source in t]
        used.add(quadrant)
    assert used == set(ACTIONS)  # one finding of every quadrant, dangers first
    assert recommendations[1]["action"].startswith(ACTIONS["threats"])
    assert not any(r["action"].startswith("Monitor") for r in recommendations)


def test_an_empty_required_quadrant_says_so_instead_of_borrowing() -> None:
    before = copy.deepcopy(schemas.REPORT)
    swot_schema = copy.deepcopy(schemas.REPORT["properties"]["swot"])
    for sub in swot_schema["properties"].values():
        sub["minItems"] = 1
    schema = {"type": "object", "properties": {"swot": swot_schema}}
    only_threats = [{"id": "t", "text": " ".join(QUADRANTS["threats"])}]
    client = LLMClient(LocalBackend(), default_model=LOCAL_MODEL)
    swot = client.structured(MESSAGES, schema, RequestOptions(evidence=only_threats)).data["swot"]

    assert set(swot["threats"]) == set(QUADRANTS["threats"])
    assert swot["weaknesses"] == ["No weakness was found in the evidence."]
    assert swot["strengths"] == ["No strength was found in the evidence."]
    assert schemas.REPORT == before


@pytest.mark.parametrize(("text", "sign"), [
    ("Our support backlog doubled.", -1),  # VADER alone: positive ("support")
    ("The new line cuts production costs by a fifth.", 1),  # VADER alone: negative ("cuts")
    ("Revenue did not grow this year.", -1),
    ("There were no delays.", 1),
    ("Steel prices rose by a third.", -1),  # an input's price is a cost
    ("The prescription error rate fell.", 1),
])
def test_polarity_follows_what_moves_which_way(text: str, sign: int) -> None:
    assert polarity(text) * sign > 0.05


def test_what_a_rival_gains_is_bad_news_and_what_it_loses_good_news() -> None:
    assert polarity("A competitor is winning our largest customers.", rival=True) < 0
    assert polarity("A competitor is losing market share.", rival=True) > 0


@pytest.mark.parametrize(("text", "internal", "rival"), [
    ("A competitor is winning our largest customers.", False, True),
    ("Our main competitor is struggling with a recall.", False, True),
    ("Demand for our products is growing.", False, False),
    ("Customers praise the reliability of our platform.", True, False),
    ("Our customer retention is the highest in the sector.", True, False),
    ("Our suppliers raised their prices.", False, False),
    ("The meeting is on Tuesday.", False, False),  # no actor: the outside world
])
def test_the_subject_is_the_first_actor_named(text: str, internal: bool, rival: bool) -> None:
    subject = subject_of(text)
    assert (subject.internal, subject.rival) == (internal, rival)


def test_the_organisation_is_the_entity_the_question_names() -> None:
    text = ("Acme Corp reported record revenue. Globex Inc. cut prices in Asia. "
            "Acme's factory in Asia is idle. Analysts at Initech Inc. expect Acme to grow.")
    actors = find_actors("Should Acme expand into Asia?", extract_entities(text))

    assert actors.own == {"acme"}
    assert {"globex", "initech"} <= actors.others
    assert subject_of("Acme is hiring in Asia.", actors).internal
    assert not subject_of("Globex is hiring in Asia.", actors).internal
    assert not subject_of("Acme is hiring in Asia.", Actors()).internal  # name unknown


def test_swot_names_mean_quadrants_only_together() -> None:
    assert roles_of(["risks", "opportunities"])["opportunities"] is FieldRole.POSITIVE
    roles = roles_of(["strengths", "weaknesses", "opportunities", "threats"])
    assert roles["opportunities"] is FieldRole.OPPORTUNITIES
    assert roles["weaknesses"] is FieldRole.WEAKNESSES


def test_a_finding_reads_as_a_clause() -> None:
    assert as_clause("However, our support backlog doubled.") == "our support backlog doubled"
    assert as_clause("Acme Corp reported record revenue.", {"Acme"}) == (
        "Acme Corp reported record revenue")
    assert as_clause("EU rules tighten!") == "EU rules tighten"
    assert as_clause("A rival cut prices.") == "a rival cut prices"
