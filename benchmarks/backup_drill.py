"""Recovery point and recovery time of a scheduled backup, measured by the restore drill on a
store of realistic size, with encryption at rest off and on in the same run.

    python -m benchmarks.backup_drill [--jobs 5000] [--file-every 100] [--rounds 2]

The store: ``--jobs`` finished jobs with a 2 KB result each, every ``--file-every``-th one a
200 KB result kept in a file (the inline limit lowered to 64 KB for it), and one audit entry
per two jobs. Each round backs it up with ``backup.backup`` (what ``dia3 backup --into``
runs) and drills the backup with
``drill.drill`` (``dia3 restore --verify``: restore into a scratch embedded Redis, every
count and result checksum compared). Reported: the backup's time and size, the drill's
recovery time (restore plus checks) and, from them, the recovery point of a daily schedule
(the interval plus the time a backup takes). It claims a free database of the Redis on
127.0.0.1:6379 (or runs an embedded one).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.report import print_table, save
from benchmarks.stack import private_redis

VARIANTS = ("clear", "sealed")
KEY = base64.b64encode(os.urandom(32)).decode()
DAY = 86400


def activate(variant: str) -> None:
    """This variant's settings and process-wide stores."""
    from app import extensions
    from app.settings import reload_settings
    if variant == "sealed":
        os.environ["DIA3_ENCRYPTION_KEY"] = KEY
    else:
        os.environ.pop("DIA3_ENCRYPTION_KEY", None)
    reload_settings()
    extensions.reset()


def fill(jobs: int, file_every: int) -> None:
    """The store of one variant, from empty."""
    from app import audit
    from app.extensions import job_store
    from app.jobs.store import new_job_id
    store = job_store()
    rng = random.Random(7)
    words = [f"w{i}" for i in range(2000)]  # text that compresses as prose does, not to nil

    def row() -> str:
        return " ".join(rng.choices(words, k=400))

    for n in range(jobs):
        job_id = new_job_id()
        store.create(job_id=job_id, workflow="smoke", tenant=f"tenant-{n % 7}", owner="k",
                     params={"n": n, "text": "x" * 200}, steps_total=1, tasks={})
        big = n % file_every == 0
        store.finish(job_id, "only", {"rows": [row() for _ in range(100 if big else 1)]}, 0.1)
        if n % 2 == 0:
            audit.record("job.submit", audit.OPERATOR, f"job:{job_id}")


def one_round(folder: Path) -> dict[str, float]:
    from app import backup
    from app.backup.drill import drill
    from app.extensions import job_store
    from app.redis_client import get_redis
    from app.settings import get_settings
    path = folder / f"dia3-{time.time_ns()}.tar.gz"
    started = time.perf_counter()
    manifest = backup.backup(path, job_store(), get_redis(), None)
    took = time.perf_counter() - started
    report = drill(path, get_settings().master_key)
    assert report["ok"], report["problems"]
    size = path.stat().st_size
    path.unlink()
    return {"backup_s": took, "drill_s": report["recovery_time_seconds"],
            "size_mb": size / 1e6, "jobs": manifest["counts"]["jobs"],
            "result_files": manifest["counts"]["result_files"],
            "audit_entries": manifest["counts"]["audit_entries"],
            "results_checked": report["results_checked"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--file-every", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dia3-bench-backup-"))
    with private_redis(tmp / "redis") as url:
        os.environ.update({"DIA3_REDIS_URL": url, "DIA3_DATA_DIR": str(tmp / "data"),
                           "DIA3_LOG_LEVEL": "WARNING",
                           # the 200 KB results go to files, as with the default 256 KB limit
                           # a 300 KB one would
                           "DIA3_RESULT_INLINE_MAX_BYTES": "65536"})
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        rows, report = [], {}
        try:
            for variant in VARIANTS:
                activate(variant)
                from app.redis_client import get_redis
                get_redis().flushdb()  # the claimed database is this run's alone
                shutil.rmtree(tmp / "data", ignore_errors=True)
                started = time.perf_counter()
                fill(args.jobs, args.file_every)
                filled = time.perf_counter() - started
                rounds = [one_round(tmp) for _ in range(args.rounds)]
                med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
                report[variant] = {**med, "fill_s": filled, "rounds": rounds,
                                   "rpo_daily_s": DAY + med["backup_s"]}
                rows.append([variant, int(med["jobs"]), int(med["result_files"]),
                             int(med["audit_entries"]), med["size_mb"], med["backup_s"],
                             med["drill_s"], f"{(DAY + med['backup_s']) / 3600:.2f} h"])
            print_table("Backup and restore drill: recovery time and point, same run",
                        ["encryption", "jobs", "result files", "audit entries", "backup MB",
                         "backup s", "drill (RTO) s", "RPO, daily"], rows)
            save("backup_drill", {"args": vars(args), "load_average": os.getloadavg(),
                                  "results": report})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
