"""Every Redis key DIA3 uses, named in this one module (and nowhere else).

The job store's keys (jobs, their indexes, results, idempotency keys) are the job store's:
only :mod:`app.jobs` reads or writes them, in Python with the functions below and in its Lua
scripts with :data:`LUA`, the same layout spelled for scripts. Everything else asks the job
store. Other components own their keys (API keys, audit log, rate limits, staged uploads,
worker presence, locks) and take their names from here, so two never collide.
"""

from __future__ import annotations

PREFIX = "dia3:"

# ---- the job store's, for app.jobs only ------------------------------------------------------
#: what a job owns besides its hash: ``<job>:<part>``
JOB_PARTS = ("params", "steps", "out", "memo", "usage", "events")
#: active (queued or running) jobs, scored by their last sign of life
ACTIVE = f"{PREFIX}active"


def job(job_id: str, part: str | None = None) -> str:
    """A job's hash, or with ``part`` (one of :data:`JOB_PARTS`) a key it owns."""
    return f"{PREFIX}job:{job_id}" + (f":{part}" if part else "")


def result(job_id: str) -> str:
    """A job's result body, when it is small enough to live in Redis."""
    return f"{PREFIX}result:{job_id}"


def idempotency(tenant: str, key: str) -> str:
    """The job id a tenant's idempotency key was first used for."""
    return f"{PREFIX}idem:{tenant}:{key}"


def index(tenant: str | None, state: str | None = None, workflow: str | None = None) -> str:
    """A listing index (job ids by creation time) of one tenant, or of all (``None``), for
    a state and/or a workflow, or of all their jobs."""
    key = f"{PREFIX}idx:{tenant or '*'}"
    key += f":s:{state}" if state else ""
    key += f":w:{workflow}" if workflow else ""
    return key if state or workflow else f"{key}:all"


def id_index(tenant: str | None) -> str:
    """A tenant's (or with ``None`` every tenant's) job ids, all with score 0, so that the
    jobs whose id starts with a prefix are one lexicographic range."""
    return f"{PREFIX}idx:{tenant or '*'}:ids"


def job_events(job_id: str) -> str:
    """A job's event stream (state and progress changes; see :mod:`app.jobs.events`)."""
    return job(job_id, "events")


def tenant_events(tenant: str) -> str:
    """Every event of a tenant's jobs, one stream (bounded by DIA3_EVENTS_RETENTION)."""
    return f"{PREFIX}events:{tenant}"


#: set once every job created before the id indexes existed has been added to them
ID_INDEX_BUILT = f"{PREFIX}idx:ids-built"


def schedule_jobs(schedule_id: str) -> str:
    """The jobs a schedule made (its ticks and its runs on request), by creation time."""
    return f"{PREFIX}idx-sch:{schedule_id}"


def parent_jobs(parent_id: str) -> str:
    """The child jobs of one job (a pipeline's stages), by creation time."""
    return f"{PREFIX}idx-par:{parent_id}"


#: The layout above for the job store's scripts, whose first argument is :data:`PREFIX`.
LUA = "\nlocal JOB_PARTS = {" + ", ".join(f"'{part}'" for part in JOB_PARTS) + "}" + """
local function job_key(p, id, part)
  if part then return p .. 'job:' .. id .. ':' .. part end
  return p .. 'job:' .. id
end
local function result_key(p, id) return p .. 'result:' .. id end
local function idem_key(p, tenant, key) return p .. 'idem:' .. tenant .. ':' .. key end
local function active_key(p) return p .. 'active' end
local function tenant_events_key(p, tenant) return p .. 'events:' .. tenant end
-- A job's hash and every key it owns.
local function owned_keys(p, id)
  local keys = {job_key(p, id)}
  for _, part in ipairs(JOB_PARTS) do keys[#keys + 1] = job_key(p, id, part) end
  keys[#keys + 1] = result_key(p, id)
  return keys
end
-- A job is listed under its tenant and under '*' (every tenant).
local function index_scopes(p, tenant) return {p .. 'idx:' .. tenant, p .. 'idx:*'} end
local function state_indexes(scope, state, wf)
  return {scope .. ':s:' .. state, scope .. ':s:' .. state .. ':w:' .. wf}
end
-- The id indexes a job of this tenant is in (scored 0: ranges by id prefix).
local function id_index_keys(p, tenant)
  return {p .. 'idx:' .. tenant .. ':ids', p .. 'idx:*:ids'}
end
-- The jobs of one schedule (a job's optional ``schedule_id``), by creation time.
local function schedule_jobs_key(p, sid) return p .. 'idx-sch:' .. sid end
-- The child jobs of one job (a job's optional ``parent_id``), by creation time.
local function parent_jobs_key(p, pid) return p .. 'idx-par:' .. pid end
-- The per-origin indexes a job is listed in: of its schedule and of its parent.
local function origin_index_keys(p, sid, pid)
  local keys = {}
  if sid and sid ~= '' then keys[#keys + 1] = schedule_jobs_key(p, sid) end
  if pid and pid ~= '' then keys[#keys + 1] = parent_jobs_key(p, pid) end
  return keys
end
-- Every index a job of this tenant, state and workflow is in.
local function index_keys(p, tenant, state, wf)
  local keys = {}
  for _, scope in ipairs(index_scopes(p, tenant)) do
    keys[#keys + 1] = scope .. ':all'
    keys[#keys + 1] = scope .. ':w:' .. wf
    for _, key in ipairs(state_indexes(scope, state, wf)) do keys[#keys + 1] = key end
  end
  return keys
end
"""

# ---- other components' -----------------------------------------------------------------------
#: API keys: ``<prefix><sha256 of the key>`` hashes, the key id -> digest index, last use
API_KEY = f"{PREFIX}apikey:"
API_KEY_INDEX = f"{PREFIX}apikeys"
API_KEY_LAST_USED = f"{PREFIX}apikeys:last-used"
API_KEY_USE_GUARD = f"{PREFIX}apikey-use-guard:"
#: revoked or rotated-out keys by hash (``<prefix><sha256>``: key id and cause), for a while
API_KEY_RETIRED = f"{PREFIX}apikey-retired:"
#: failed authentications per client address in the current window (``<prefix><address>``)
AUTH_FAILURES = f"{PREFIX}authfail:"
#: the audit log (a stream)
AUDIT = f"{PREFIX}audit"
#: flask-limiter's prefix for the API's per-key limits; quotas shared by workers (e.g.
#: YouTube requests) live under ``<RATE_LIMIT>:<name>``
RATE_LIMIT = f"{PREFIX}ratelimit"
#: an ingest job's staged documents: ``<prefix><upload id>``
UPLOAD = f"{PREFIX}upload:"
#: worker presence: a sorted set of hostnames by last heartbeat, ``<key>:<hostname>`` infos
WORKERS = f"{PREFIX}workers"
#: the step messages a worker holds: ``<prefix><hostname>``
HELD = f"{PREFIX}held:"
#: the LLM layer's response cache and rate-limit buckets (``<prefix>:cache:…``, …)
LLM = f"{PREFIX}llm"


def llm_structured_modes(prefix: str = LLM) -> str:
    """How each OpenAI-compatible server takes a JSON schema, as detected (a hash: server
    base URL -> json_schema or json_object)."""
    return f"{prefix}:structured-modes"


def llm_cache_of_job(job_id: str) -> str:
    """The response-cache keys a job's steps stored (a set, expiring with the entries)."""
    return f"{LLM}:cache-job:{job_id}"


#: envelope encryption: data keys wrapped by the master key (a hash by key id), and the id
#: of the one new values are sealed with
DATA_KEYS = f"{PREFIX}datakeys"
DATA_KEY_ACTIVE = f"{PREFIX}datakey:active"
#: an admin's pending confirmation of a tenant's erasure: ``<prefix><tenant>``
TENANT_ERASURE = f"{PREFIX}tenant-erasure:"
#: cluster-wide locks of the reaper and retention passes
REAPER_LOCK = f"{PREFIX}reaper:lock"
#: written before each Redis WAIT, so the WAIT covers every earlier write (app.replication)
REPLICATION_MARK = f"{PREFIX}replication:mark"
RETENTION_LOCK = f"{PREFIX}retention:lock"
#: the reaper's lost-job sweep in progress over several passes: its cursor (a hash: the
#: queue key and offset it reached, when it began), the jobs it looks for (a hash: id →
#: heartbeat when the sweep began) and those it found a message of (a set)
REAPER_SWEEP = f"{PREFIX}reaper:sweep"
REAPER_SWEEP_JOBS = f"{PREFIX}reaper:sweep:jobs"
REAPER_SWEEP_FOUND = f"{PREFIX}reaper:sweep:found"

# ---- schedules (app.schedules) ----------------------------------------------------------------


def schedule(schedule_id: str) -> str:
    """A schedule's hash (its params sealed like a job's)."""
    return f"{PREFIX}schedule:{schedule_id}"


def schedule_index(tenant: str | None) -> str:
    """A tenant's schedules (``None``: every tenant's) by creation time."""
    return f"{PREFIX}schedule-idx:{tenant or '*'}"


#: enabled schedules by the time of their next tick (what the beat reads)
SCHEDULES_DUE = f"{PREFIX}schedule-due"
#: the one beat that runs the ticks holds this (ticks are still made once without it)
SCHEDULE_BEAT_LOCK = f"{PREFIX}schedule-beat:lock"

# ---- webhooks (app.webhooks) ------------------------------------------------------------------


def webhook(webhook_id: str) -> str:
    """A webhook's hash (its secrets sealed at rest)."""
    return f"{PREFIX}webhook:{webhook_id}"


def webhook_index(tenant: str | None) -> str:
    """A tenant's webhooks (``None``: every tenant's) by creation time."""
    return f"{PREFIX}webhook-idx:{tenant or '*'}"


#: tenants that have at least one webhook (whose event streams the dispatcher reads)
WEBHOOK_TENANTS = f"{PREFIX}webhook-tenants"
#: the consumer group of the tenant event streams that the dispatcher reads with
WEBHOOK_GROUP = "dia3-webhooks"
#: the one dispatcher in the cluster holds this
WEBHOOK_DISPATCH_LOCK = f"{PREFIX}webhook-dispatch:lock"
#: deliveries to attempt, by the time of their next attempt
WEBHOOK_DUE = f"{PREFIX}webhook-due"
#: a delivery's hash is ``<prefix><delivery id>``
WEBHOOK_DELIVERY = f"{PREFIX}webhook-delivery:"


def webhook_delivery(delivery_id: str) -> str:
    """One delivery of one event to one webhook (its attempts so far)."""
    return f"{WEBHOOK_DELIVERY}{delivery_id}"


def webhook_deliveries(webhook_id: str) -> str:
    """A webhook's deliveries by creation time."""
    return f"{PREFIX}webhook-deliveries:{webhook_id}"


def webhook_chain(webhook_id: str, job_id: str) -> str:
    """The unfinished deliveries of one job's events to one webhook, oldest first: only the
    first is attempted, so a job's events arrive in order."""
    return f"{PREFIX}webhook-chain:{webhook_id}:{job_id}"


def task_crashes(task_id: str) -> str:
    """How often the pool process running a step message died (a poison-message count; it
    expires on its own and names no job content)."""
    return f"{PREFIX}task-crashes:{task_id}"
