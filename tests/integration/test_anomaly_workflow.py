"""``anomaly`` through the API on real workers."""

import numpy as np

from workers.anomaly.engine import detect_series


def series_with_spike(n: int, at: int, seed: int) -> list[float]:
    values = np.random.default_rng(seed).normal(50.0, 1.0, n)
    values[at] += 15
    return values.round(3).tolist()


def test_many_series_fan_out_and_are_gathered_in_order(analyst, worker, settings_env):
    settings_env(DIA3_ANOMALY_SERIES_PER_STEP="2")
    series = [{"name": f"s{i}", "values": series_with_spike(400 + 10 * i, 300, i)}
              for i in range(5)]
    series[3]["mode"] = "streaming"
    response = analyst.submit("anomaly", {"series": series, "sensitivity": 0.5})
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"], timeout=240)
    assert job["state"] == "succeeded", job["error"]
    assert job["progress"]["total"] == 4  # three steps of up to two series, and the gather
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert [s["name"] for s in result["series"]] == [f"s{i}" for i in range(5)]
    assert result["count"] == 5
    for i, found in enumerate(result["series"]):
        assert len(found["scores"]) == 400 + 10 * i
        assert any(abs(a["index"] - 300) <= 10 for a in found["anomalies"]), found["anomalies"]
    assert result["series"][3]["mode"] == "streaming"
    direct = detect_series({"values": series[0]["values"], "timestamps": None,
                            "mode": "batch", "season_length": None, "sensitivity": 0.5})
    assert result["series"][0]["anomalies"] == direct["anomalies"]
    assert result["series"][0]["scores"] == direct["scores"]
    assert result["anomalies"] == sum(len(s["anomalies"]) for s in result["series"])


def test_bad_params_are_field_level_422s(analyst):
    analyst.assert_param_error("anomaly", {"series": [{"values": [1, 2, 3]}]},
                               ["series", "0", "values"])
    analyst.assert_param_error("anomaly", {"series": [{"values": list(range(20))}],
                                           "mode": "online"}, ["mode"])
    analyst.assert_param_error("anomaly", {"series": [{"values": list(range(20)),
                                                       "season_length": 11}]},
                               ["series", "0", "season_length"])
