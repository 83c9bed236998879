"""The terminal summaries of results (app/cli/results.py) on their own: the sentiment extremes
with few texts, rounding, and results of a shape no renderer knows."""

from __future__ import annotations

import json

from rich.console import Console

from app.cli import results, tables


def shown(job: dict, result) -> str:
    console = Console(width=100, record=True, file=open("/dev/null", "w"))
    for renderable in results.render(job, result):
        console.print(renderable)
    return console.export_text()


def item(index: int, compound: float) -> dict:
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    return {"id": str(index), "index": index, "compound": compound, "label": label}


def sentiment(compounds: list[float]) -> dict:
    items = [item(i, c) for i, c in enumerate(compounds)]
    return {"count": len(items), "mean": sum(compounds) / len(items), "items": items,
            "counts": {lab: sum(i["label"] == lab for i in items)
                       for lab in ("negative", "neutral", "positive")}}


def sides(text: str) -> tuple[str, str]:
    negative, positive = text.split("Most negative")[1].split("Most positive")
    return negative, positive


def test_one_text_is_on_one_side_only():
    job = {"workflow": "sentiment", "params": {"texts": ["Absolutely dreadful"]}}
    negative, positive = sides(shown(job, sentiment([-0.6])))
    assert "Absolutely dreadful" in negative and "none" in positive


def test_three_texts_are_never_on_both_sides_and_neutral_ones_on_neither():
    texts = ["Terrible", "It is a chair", "Wonderful"]
    negative, positive = sides(shown({"workflow": "sentiment", "params": {"texts": texts}},
                                     sentiment([-0.5, 0.0, 0.6])))
    assert "Terrible" in negative and "Wonderful" not in negative
    assert "Wonderful" in positive and "Terrible" not in positive
    assert "It is a chair" not in negative + positive


def test_numbers_are_rounded_to_four_significant_digits():
    assert [tables.num(v) for v in (104.23456, 0.00123456, 123456.7, 3, None, 0.0)] == \
        ["104.2", "0.001235", "123,457", "3", "–", "0"]


def test_a_result_of_an_unknown_shape_is_shown_as_json_not_a_traceback():
    odd = {"series": "not a list", "note": "from a newer server"}
    text = shown({"workflow": "forecast"}, odd)
    assert json.loads(text) == odd
    assert json.loads(shown({"workflow": "brand_new"}, [1, 2])) == [1, 2]


def test_anomalies_are_counted_per_series_with_the_first_ones():
    result = {"count": 2, "anomalies": 3, "series": [
        {"name": "latency", "mode": "batch", "scores": [0.0] * 5, "change_points": [{}],
         "anomalies": [{"index": 1, "kind": "spike", "score": 0.98765},
                       {"index": 3, "kind": "level_shift", "score": 0.5}]},
        {"name": "errors", "mode": "streaming", "scores": [0.0] * 5, "change_points": [],
         "anomalies": []}]}
    text = shown({"workflow": "anomaly"}, result)
    assert "Anomalies in 2 series" in text
    assert "1 spike 0.9877" in text and "3 level_shift 0.5" in text
    latency, errors = (line for line in text.splitlines() if "latency" in line or "errors" in line)
    assert "batch" in latency and "2" in latency
    assert "streaming" in errors and "none" in errors
