"""How long an API process takes to build its Flask app, and what it carries in memory.

Each variant runs in a fresh interpreter, several times (median reported), in the same run:
- ``flask floor``: Flask + flask-smorest alone, the least any such API can cost;
- ``DIA3 API``: ``app.api.create_app()``;
- ``DIA3 API + analysis libraries``: the same plus statsmodels, scipy and pandas, which the
  API loaded before the workflow declarations stopped importing the engines.

Run: ``python -m benchmarks.api_startup [--runs 7]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.report import print_table, save

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, resource, sys, time
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "modules": len(sys.modules),
                   "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
VARIANTS = {
    "flask floor": ("import flask, flask_smorest\nflask_app = flask.Flask('x')\n"
                    "flask_app.config.update(API_TITLE='x', API_VERSION='1', "
                    "OPENAPI_VERSION='3.0.3')\nflask_smorest.Api(flask_app)"),
    "DIA3 API": "from app.api import create_app\ncreate_app()",
    "DIA3 API + analysis libraries": ("from app.api import create_app\ncreate_app()\n"
                                      "import statsmodels.api, scipy.stats, pandas"),
}


def measure(body: str, data_dir: str) -> dict:
    env = {**os.environ, "DIA3_REDIS_URL": "redis://127.0.0.1:1/0", "DIA3_DATA_DIR": data_dir,
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], env=env,
                          capture_output=True, text=True, check=True, cwd=data_dir)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    results = {}
    with tempfile.TemporaryDirectory() as data_dir:
        for _ in range(runs):  # interleaved, so load changes hit every variant alike
            for name, body in VARIANTS.items():
                results.setdefault(name, []).append(measure(body, data_dir))
    rows, summary = [], {}
    for name, samples in results.items():
        seconds = statistics.median(s["seconds"] for s in samples)
        rss = statistics.median(s["max_rss_mb"] for s in samples)
        summary[name] = {"median_seconds": seconds, "max_rss_mb": rss,
                         "modules": samples[-1]["modules"],
                         "seconds": [s["seconds"] for s in samples]}
        rows.append((name, seconds, rss, samples[-1]["modules"]))
    print_table(f"Building the API app (median of {runs} fresh processes)",
                ("variant", "seconds", "max RSS MB", "modules"), rows)
    save("api_startup", {"runs": runs, "variants": summary,
                         "load_average": os.getloadavg()})


if __name__ == "__main__":
    main()
