"""Schedules: workflows run on a cron expression or an interval by the beat.

``store`` keeps them in Redis, ``timing`` says when they fire, ``service`` is what the API and
the CLI call (tenant-scoped, role-checked, audited), ``ticks`` makes the jobs of due ticks and
``beat`` is the Celery beat scheduler that runs it (docs/schedules.md).
"""
