"""``topics`` through the API on real workers: a list of texts, and a real collection's
documents (all of them or a filtered subset) by their stored embeddings, plus the 422s
that need the collection."""

from __future__ import annotations

import pytest

from tests.integration.kb_helpers import create_collection, ingest, text_doc

SPORT = ["The striker scored twice and the team won the league match.",
         "The coach praised the goalkeeper after the cup final win.",
         "Fans cheered as the league season opener ended in a late goal.",
         "The team signed a new striker before the cup match.",
         "A late goal from the striker won the cup for the team."]
MONEY = ["Shares fell after the bank reported lower quarterly profit.",
         "The central bank raised interest rates to curb inflation.",
         "Investors sold shares as bond yields and inflation rose.",
         "The bank said profit and shares would recover as rates fall.",
         "Inflation and interest rates weighed on bank shares and bonds."]


def run(client, params: dict) -> tuple[dict, dict]:
    response = client.submit("topics", params)
    assert response.status_code == 202, response.get_json()
    job = client.wait(response.get_json()["id"], timeout=180)
    assert job["state"] == "succeeded", job["error"]
    return job, client.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]


def groups(assignments: list[int]) -> set[frozenset[int]]:
    return {frozenset(i for i, a in enumerate(assignments) if a == topic)
            for topic in set(assignments)}


def test_texts_are_split_into_their_topics_the_same_way_for_a_seed(analyst, worker):
    texts = [t for pair in zip(SPORT, MONEY, strict=True) for t in pair]  # interleaved
    params = {"texts": texts, "k": 2, "seed": 3, "embedder": "hashing"}
    job, result = run(analyst, params)
    assert job["progress"] == {**job["progress"], "done": 1, "total": 1}
    assert groups(result["assignments"]) == {frozenset(range(0, 10, 2)),
                                             frozenset(range(1, 10, 2))}
    assert (result["k"], result["method"], result["outliers"]) == (2, "kmeans", 0)
    assert result["embedder"] == "hashing:256" and result["count"] == 10
    labels = {frozenset(t["keywords"]) for t in result["topics"]}
    sport, money = sorted(labels, key=lambda words: "striker" not in words)
    assert {"striker", "cup"} <= sport and {"bank", "inflation"} <= money
    for topic in result["topics"]:
        assert topic["size"] == 5 and len(topic["representatives"]) == 3
    assert run(analyst, params)[1] == result


def test_a_collections_documents_by_their_stored_embeddings_with_a_filter(analyst, worker):
    name = create_collection(analyst)
    documents = [text_doc(t, document_id=f"sport-{i}", metadata={"desk": "sport"})
                 for i, t in enumerate(SPORT)]
    documents += [text_doc(t, document_id=f"money-{i}", metadata={"desk": "money"})
                  for i, t in enumerate(MONEY)]
    documents += [text_doc("Rain is expected over the hills tomorrow.", document_id="weather",
                           metadata={"desk": "weather"})]
    ingest(analyst, name, documents)

    _, result = run(analyst, {"collection": name, "k": 2, "seed": 1,
                              "where": {"desk": {"$in": ["sport", "money"]}}})
    assert result["collection"] == name and result["embedder"] == "hashing:256"
    ids = result["document_ids"]
    assert ids == sorted(d["document_id"] for d in documents[:10])
    by_topic = {topic: {ids[i] for i, a in enumerate(result["assignments"]) if a == topic}
                for topic in (0, 1)}
    assert sorted(by_topic.values(), key=sorted) == [
        {f"money-{i}" for i in range(5)}, {f"sport-{i}" for i in range(5)}]
    for topic in result["topics"]:
        for item in topic["representatives"]:
            assert item["document_id"] in by_topic[topic["id"]]
            assert item["document_id"] == ids[item["index"]]

    _, everything = run(analyst, {"collection": name, "k": "auto"})
    assert len(everything["assignments"]) == len(everything["document_ids"]) == 11
    assert everything["method"] == "hdbscan"

    nothing = analyst.submit("topics", {"collection": name, "where": {"desk": "arts"}})
    job = analyst.wait(nothing.get_json()["id"], timeout=120)
    assert job["state"] == "failed" and "no document" in job["error"]["message"]


@pytest.mark.parametrize("params,path", [
    ({}, ["texts"]),
    ({"texts": ["a", "b"], "k": 3}, ["k"]),
    ({"texts": ["a"], "k": "some"}, ["k"]),
    ({"texts": ["a"], "where": {"lang": "en"}}, ["where"]),
    ({"collection": "missing-collection"}, ["collection"]),
    ({"collection": "x", "where": {"lang": {"$regex": "e"}}}, ["where"]),
    ({"collection": "x", "embedder": "hashing"}, ["embedder"]),
])
def test_bad_params_are_field_level_422s(analyst, params, path):
    analyst.assert_param_error("topics", params, path)


def test_k_above_the_collections_document_count_is_a_422_on_k(analyst, worker):
    name = create_collection(analyst)
    ingest(analyst, name, [text_doc(SPORT[0]), text_doc(MONEY[0])])
    analyst.assert_param_error("topics", {"collection": name, "k": 3}, ["k"])
