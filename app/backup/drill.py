"""The restore drill: a backup restored into a scratch Redis and checked, so that a backup is
known to restore before it is needed.

The drill starts an embedded Redis of its own in a temporary directory (nothing of the live
DIA3 is touched), restores the backup into it with the configured encryption key (a sealed
backup restores only with it), and compares what came back with the backup's manifest: job,
key and audit entry counts, every result's SHA-256 (results in Redis and in files, opened
when sealed), and the knowledge base's collection and record counts (read from the backup,
not restored: that needs a Chroma server). It measures the recovery point (how old the backup
is) and the recovery time (how long the restore took), and is audited as
``system.restore_drill`` on the live audit log.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path
from typing import Any

from app import audit
from app.auth.keys import Principal
from app.backup import restore
from app.backup.archive import ArchiveReader
from app.crypto.envelope import Envelope
from app.jobs.results import ResultStore
from app.jobs.store import JobStore


def _results_problems(store: JobStore) -> tuple[int, list[str]]:
    """(results checked, jobs whose result is missing or does not match its checksum)."""
    checked, problems = 0, []
    after = None
    while page := store.all_ids(after, 500):
        after = page[-1][::-1]
        for job_id, _ in page:
            job = store.get(job_id)
            if not job.result_ref:
                continue
            checked += 1
            try:
                body = store.results.body(job_id, job.result_ref)
            except LookupError:
                problems.append(f"job {job_id}: result missing")
                continue
            if hashlib.sha256(body).hexdigest() != job.result_ref.get("sha256"):
                problems.append(f"job {job_id}: result does not match its checksum")
    return checked, problems


def drill(path: Path, master: bytes | None, actor: Principal = audit.OPERATOR
          ) -> dict[str, Any]:
    """Restore ``path`` into a scratch Redis and check it; the report's ``ok`` says whether
    everything matched, ``problems`` what did not."""
    from app.redis_client import make_client
    from app.runtime.embedded_redis import EmbeddedRedis
    reader = ArchiveReader(path)  # checks every member's checksum first
    manifest = reader.manifest
    reader.close()
    counts = manifest.get("counts", {})
    with tempfile.TemporaryDirectory(prefix="dia3-drill-") as scratch:
        server = EmbeddedRedis(Path(scratch))
        try:
            url = server.start()
            client = make_client(url)
            envelope = Envelope(make_client(url, decode_responses=False), master)
            store = JobStore(client, ResultStore(client, Path(scratch) / "data", 1 << 62,
                                                 envelope), envelope=envelope)
            started = time.perf_counter()
            report = restore(path, store, client, None, knowledge=False, audited=False)
            checked, problems = _results_problems(store)
            recovery_time = time.perf_counter() - started
        finally:
            server.stop()
    expected = {"jobs": counts.get("jobs"), "keys": counts.get("keys"),
                "audit_entries": counts.get("audit_entries")}
    for what, wanted in expected.items():
        if wanted is not None and report[what] != wanted:
            problems.append(f"{what}: {report[what]} restored, the backup lists {wanted}")
    knowledge = report.get("knowledge_in_backup", {})
    if "collections" in counts and knowledge.get("collections") != counts["collections"]:
        problems.append(f"collections: {knowledge.get('collections')} in the backup, the "
                        f"manifest lists {counts['collections']}")
    if "chroma_records" in counts and knowledge.get("records") != counts["chroma_records"]:
        problems.append(f"knowledge-base records: {knowledge.get('records')} in the backup, "
                        f"the manifest lists {counts['chroma_records']}")
    result = {"ok": not problems, "problems": problems, "jobs": report["jobs"],
              "keys": report["keys"], "audit_entries": report["audit_entries"],
              "results_checked": checked, **{f"knowledge_{k}": v for k, v in knowledge.items()},
              "recovery_point_seconds": round(time.time() - manifest["created_at"], 1),
              "recovery_time_seconds": round(recovery_time, 3)}
    audit.record("system.restore_drill", actor, "backup",
                 outcome=audit.OK if result["ok"] else audit.ERROR,
                 jobs=result["jobs"], problems=len(problems),
                 recovery_time_seconds=result["recovery_time_seconds"])
    return result
