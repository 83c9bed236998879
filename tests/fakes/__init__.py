"""Protocol-faithful local fakes of the OpenAI and Ollama HTTP APIs, for tests and benchmarks.

with FakeOpenAIServer(latency_s=0.2) as fake:
    fake.enqueue(FakeOpenAIServer.rate_limited(retry_after="0.2"))
    client = OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)
    ...
    assert fake.request_count("chat") == 2
"""

from .fixtures import fixture_json, fixture_text, llm_fixture_dir, shared_dir
from .http_base import FakeHTTPServer, RecordedRequest, ScriptedResponse
from .ollama_server import FakeOllamaServer
from .openai_server import FakeOpenAIServer, error_fixture
from .schema_stub import minimal_instance

__all__ = [
    "FakeHTTPServer",
    "FakeOllamaServer",
    "FakeOpenAIServer",
    "RecordedRequest",
    "ScriptedResponse",
    "error_fixture",
    "fixture_json",
    "fixture_text",
    "llm_fixture_dir",
    "minimal_instance",
    "shared_dir",
]
