"""DIA3's LLM server as a service of the stack (the profile llm, which ``./run.sh stack-test``
turns on): the llm image's container runs locked down and healthy, answers only with its key,
and the agents' worker container reaches it by URL for a real job on the bundled model."""

from __future__ import annotations

import json

import pytest

from app.runtime.llm_model import BUNDLED_FILE, model_alias
from tests.stack.jobs import DOCUMENTS, run

pytestmark = pytest.mark.stack

MODEL = model_alias(BUNDLED_FILE)
# From inside the agents' container: the status of GET /v1/models without and with the key
# (the mounted secret; `compose exec` does not run the entrypoint that exports it).
ASK = """
import json, os, urllib.request, urllib.error
url = os.environ["DIA3_LLM_SERVER_URL"] + "/v1/models"
key = open("/run/secrets/dia3_llm_server_key").read().strip()
def status(headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as error:
        return error.code, None
print(json.dumps([status({}), status({"Authorization": "Bearer " + key})]))
"""


def test_the_llm_server_runs_locked_down_and_healthy(stack):
    assert "llm" in stack.services(), "the stack runs without the profile llm"
    stack.wait_healthy("llm")
    info = stack.inspect("llm")
    host = info["HostConfig"]
    assert info["Config"]["Image"] == "dia3-llm:latest"
    assert info["Config"]["User"] == "10001:10001"
    assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
    assert not host.get("PortBindings")  # reached on the backend network only
    env = "\n".join(info["Config"]["Env"])
    key = stack.exec("llm", "cat", "/run/secrets/dia3_llm_server_key").stdout.strip()
    assert key and key not in env  # a secret file, exported only for the server's process


def test_the_agents_reach_it_by_url_and_only_with_its_key(stack):
    stack.wait_healthy("llm")
    asked = stack.exec("worker-agents", "python", "-c", ASK).stdout
    (without, _), (with_key, models) = json.loads(asked.strip().splitlines()[-1])
    assert without == 401
    assert with_key == 200 and [m["id"] for m in models["data"]] == [MODEL]


@pytest.mark.timeout(600)
def test_a_summary_by_the_bundled_model_through_the_stack(stack, analyst):
    stack.wait_healthy("llm")
    text = "\n\n".join(DOCUMENTS.values())
    _, result = run(analyst, "summarize", {"text": text, "backend": "embedded",
                                           "max_points": 2}, timeout=540)
    assert result["method"] == "llm" and 1 <= len(result["key_points"]) <= 2
    usage = result["usage"]
    assert set(usage["by_model"]) == {f"embedded/{MODEL}"}
    # the server's own token counts, not an estimate
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["tokens_estimated"] is False
