"""The architecture's rules, checked (docs/architecture.md): one direction of imports, a light
API process, and steps declared once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("statsmodels", "scipy", "pandas", "onnxruntime", "sklearn", "pypdf", "vaderSentiment",
         "chromadb")  # chromadb: imported by the knowledge endpoints when first used

BUILD_API = """
import json, sys
from app.api import create_app
create_app()
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
"""


def test_import_contracts_are_kept():
    """The import-linter contracts in setup.cfg: app never imports workers, the UI uses the
    REST client, engines import no Celery/Redis/Flask, declarations no analysis library."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "setup.cfg"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "broken" in done.stdout and " 0 broken" in done.stdout


def test_building_the_api_app_loads_no_analysis_library(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DIA3_REDIS_URL": "redis://127.0.0.1:1/0",
           "DIA3_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", BUILD_API], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "app" in loaded and "flask" in loaded  # the probe really built the app
    assert not loaded & set(HEAVY), f"the API process loaded {sorted(loaded & set(HEAVY))}"
    assert "workers" not in loaded


@pytest.fixture(scope="module")
def worker_tasks():
    """Every task a worker registers, by name (the worker's own include list)."""
    import importlib

    from app import extensions
    from app.workflows.catalog import task_modules
    for module in task_modules():
        importlib.import_module(module)
    app = extensions.celery()
    return {name for name in app.tasks if name.startswith("dia3.")}


def test_every_declared_step_is_registered_by_workers_and_nothing_else(worker_tasks):
    from app.workflows.steps import declared_steps
    declared = {step.name for step in declared_steps()}
    assert declared - worker_tasks == set(), "declared steps no worker registers"
    assert worker_tasks - declared == set(), "tasks registered without a declaration"


def test_routes_come_from_the_declarations():
    from app.broker import celery_config
    from app.settings import get_settings
    from app.workflows.steps import declared_steps
    routes = celery_config(get_settings(), "redis://127.0.0.1:1/0")["task_routes"]
    assert routes == {step.name: {"queue": step.queue} for step in declared_steps()}
    assert routes["dia3.sentiment.score_batch"] == {"queue": "agents"}
    assert routes["dia3.ingest.document"] == {"queue": "ingest"}


def test_each_workflow_names_only_its_declared_steps():
    from app.workflows.registry import all_workflows
    from app.workflows.steps import declared_steps
    declared = set(declared_steps())
    for workflow in all_workflows():
        assert workflow.steps and set(workflow.steps) <= declared, workflow.name


def test_a_canvas_cannot_name_a_task_by_a_bare_string():
    from app.workflows.registry import Plan
    with pytest.raises(TypeError, match="declared Step"):
        Plan("job", None, app=None).step("dia3.smoke.add_one", "first")


def test_a_step_is_declared_once_on_a_known_queue():
    from app.workflows.steps import declare
    with pytest.raises(ValueError, match="declared twice"):
        declare("dia3.smoke.add_one", "default")
    with pytest.raises(ValueError, match="unknown queue"):
        declare("dia3.test.nowhere", "gpu")


def test_each_capability_has_one_folder_of_the_same_name_on_both_sides():
    from app.workflows.catalog import CAPABILITIES
    for name in CAPABILITIES:
        assert (ROOT / "app" / "workflows" / name / "steps.py").is_file(), name
        worker_side = ROOT / "workers" / name
        assert (worker_side / "tasks.py").is_file() or (worker_side / "tasks").is_dir(), name
        # smoke: three trivial steps; pipeline: its advance only starts other workflows' jobs
        if name not in ("smoke", "pipeline"):
            assert (worker_side / "engine").exists() or (worker_side / "engine.py").is_file()


def test_the_documented_steps_table_is_current():
    from app.workflows.steps import steps_table
    assert steps_table() in (ROOT / "docs" / "architecture.md").read_text()


def test_the_documented_workflow_queues_match_the_declarations():
    import re

    from app.workflows.registry import all_workflows
    text = (ROOT / "docs" / "architecture.md").read_text()
    documented = dict(re.findall(r"^\| `(\w+)` \| (\w+) \|", text, flags=re.M))
    assert {w.name: w.queue for w in all_workflows()} == documented
