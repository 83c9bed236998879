"""Complete ``anomaly`` params (see :class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

# hourly requests over four days with a daily cycle, a spike at index 30 and a level shift
# from index 70 on
_DAY = [20, 18, 17, 16, 16, 18, 24, 35, 48, 55, 58, 60, 61, 60, 58, 57, 56, 55, 50, 42, 35,
        30, 26, 22]
REQUESTS = [v + (90 if i == 30 else 0) + (25 if i >= 70 else 0)
            for i, v in enumerate(_DAY * 4)]

ANOMALY = (
    Example("Four days of hourly requests: a spike and a level shift, with a daily season", {
        "series": [{"name": "requests", "values": REQUESTS}], "season_length": 24}),
    Example("Two series judged as a monitor would, each point from the points before it", {
        "series": [
            {"name": "latency", "values": [12, 11, 13, 12, 12, 14, 11, 12, 13, 12, 11, 12, 13,
                                           12, 80, 12, 13, 11, 12, 12, 13, 12, 11, 12],
             "timestamps": [f"2025-03-01T10:{m:02d}:00Z" for m in range(0, 48, 2)]},
            {"name": "errors", "values": [1, 0, 2, 1, 1, 0, 1, 2, 1, 0, 1, 1, 9, 8, 10, 9,
                                          8, 9, 10, 9, 8, 9, 9, 10]}],
        "mode": "streaming", "sensitivity": 0.7}),
)
