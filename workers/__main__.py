"""``python -m workers``: run a Celery worker for DIA3's queues (``dia3 worker`` execs this, so
the control plane's CLI never imports worker code)."""

from workers.runtime.worker_main import main

main()
