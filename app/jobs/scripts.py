"""Lua scripts that change a job atomically: state, indexes and step bookkeeping together.

Every state change goes through :data:`TRANSITION`, so the listing indexes (per tenant, state
and workflow, plus ``*`` for all tenants) can never disagree with the job's state. Keys are
named by the layout in :mod:`app.redis_keys` (every script's first argument is its prefix).

Every change of a job's state or progress also appends one event to the job's stream and to
its tenant's (:func:`emit`, see :mod:`app.jobs.events`) in the same script, so an event
exists exactly when the change happened. The tenant stream's bound and the time a finished
job's own stream is kept come from :func:`configured`.
"""

from app import redis_keys


def configured(script: str, events_retention: int, job_events_ttl: int = 3600) -> str:
    """``script`` with the tenant event streams trimmed to about ``events_retention``, and a
    finished job's own stream expiring ``job_events_ttl`` seconds after its final event."""
    return (f"local EVENTS_RETENTION = {int(events_retention)}\n"
            f"local JOB_EVENTS_TTL = {max(1, int(job_events_ttl))}\n" + script)


# Shared Lua helpers: the key layout (see app.redis_keys), moving a job between state
# indexes, the allowed-state check and the events.
_HELPERS = redis_keys.LUA + """
-- Appends one event of the job (its new state; ``step`` and its record ``rec`` for a step's
-- change) to the job's stream and its tenant's. What changed only: never params, results or
-- messages (of an error, its type).
local EVENT_OPTIONAL = {'step', 'progress', 'schedule_id', 'parent_id', 'error_type'}
local function emit(p, id, jk, kind, step, rec)
  local job = redis.call('HMGET', jk, 'tenant', 'workflow', 'state', 'steps_done',
    'steps_total', 'schedule_id', 'parent_id', 'error')
  local t = redis.call('TIME')
  local fields = {'type', 'job.' .. kind, 'job_id', id, 'workflow', job[2], 'state', job[3],
    'at', t[1] .. '.' .. string.format('%06d', tonumber(t[2])), 'steps_done', job[4] or '0',
    'steps_total', job[5] or '0'}
  local optional = {step = step, schedule_id = job[6], parent_id = job[7]}
  if rec then
    local shown = {}
    for name, value in pairs(rec) do
      if name ~= 'task_id' and name ~= 'worker' then shown[name] = value end
    end
    optional.progress = cjson.encode(shown)
  end
  if job[3] == 'failed' and job[8] then optional.error_type = cjson.decode(job[8]).type end
  for _, name in ipairs(EVENT_OPTIONAL) do
    local value = optional[name]
    if value and value ~= '' and value ~= cjson.null then
      fields[#fields + 1] = name
      fields[#fields + 1] = tostring(value)
    end
  end
  local own = job_key(p, id, 'events')
  redis.call('XADD', own, 'MAXLEN', '~', 1000, '*', unpack(fields))
  -- A stream costs kilobytes however short: a finished job's expires (its final event is
  -- rebuilt from the job's record afterwards, see app.jobs.events); a retry keeps it again.
  if job[3] == 'succeeded' or job[3] == 'failed' or job[3] == 'cancelled' then
    redis.call('EXPIRE', own, JOB_EVENTS_TTL)
  else
    redis.call('PERSIST', own)
  end
  redis.call('XADD', tenant_events_key(p, job[1]), 'MAXLEN', '~', EVENTS_RETENTION, '*',
    unpack(fields))
end
local function move_state(p, id, jk, from, to)
  local job = redis.call('HMGET', jk, 'tenant', 'workflow', 'created_at')
  local tenant, wf, score = job[1], job[2], job[3]
  for _, scope in ipairs(index_scopes(p, tenant)) do
    for _, key in ipairs(state_indexes(scope, from, wf)) do redis.call('ZREM', key, id) end
    for _, key in ipairs(state_indexes(scope, to, wf)) do redis.call('ZADD', key, score, id) end
  end
end
local FINAL = {succeeded = true, failed = true, cancelled = true}
-- A result small enough to live in Redis (as stored, sealed or not): in the job's hash when at
-- most INLINE_MAX bytes (see app.jobs.results), else a key of its own.
local function put_result(p, id, jk, body)
  if body == '' then return end
  if #body <= INLINE_MAX then
    redis.call('HSET', jk, 'result', body)
  else
    redis.call('SET', result_key(p, id), body)
  end
end
-- The job's state if it is one of the comma-separated ``allowed``; else nil and why.
local function state_in(jk, allowed)
  local cur = redis.call('HGET', jk, 'state')
  if not cur then return nil, {'missing', ''} end
  if not string.find(',' .. allowed .. ',', ',' .. cur .. ',', 1, true) then
    return nil, {'conflict', cur}
  end
  return cur
end
-- A job that fails or is cancelled ends its unfinished steps with it: a running step becomes
-- 'failed' (the one that failed, or every running one when ``failed_step`` is '*', e.g. their
-- worker was lost) or 'stopped'; a planned step that never started (no record, or waiting to
-- be retried) becomes 'not_run'. Done steps stay done.
-- A finished job's step records move into its hash (fields 'step:<name>', each as it was):
-- a hash of their own costs a finished job ~150 bytes more. Not for a job of more than
-- FOLDED_STEPS steps or with a record over INLINE_MAX bytes (its hash would stop being
-- compact). The few scripts that change a finished job's steps unfold them first.
local FOLDED_STEPS = 32
local STEP_FIELD = 'step:'
local function fold_steps(p, id, jk)
  local sk = job_key(p, id, 'steps')
  local recs = redis.call('HGETALL', sk)
  if #recs == 0 or #recs > 2 * FOLDED_STEPS then return end
  local fields = {}
  for i = 1, #recs, 2 do
    if #recs[i + 1] > INLINE_MAX then return end
    fields[#fields + 1] = STEP_FIELD .. recs[i]
    fields[#fields + 1] = recs[i + 1]
  end
  redis.call('HSET', jk, unpack(fields))
  redis.call('DEL', sk)
end
local function unfold_steps(p, id, jk)
  local all, names, recs = redis.call('HGETALL', jk), {}, {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, #STEP_FIELD) == STEP_FIELD then
      names[#names + 1] = all[i]
      recs[#recs + 1] = string.sub(all[i], #STEP_FIELD + 1)
      recs[#recs + 1] = all[i + 1]
    end
  end
  if #names == 0 then return end
  redis.call('HSET', job_key(p, id, 'steps'), unpack(recs))
  redis.call('HDEL', jk, unpack(names))
end
local function end_steps(p, id, jk, to, now, failed_step)
  local sk = job_key(p, id, 'steps')
  local recs = redis.call('HGETALL', sk)
  local seen = {}
  for i = 1, #recs, 2 do
    local step, rec = recs[i], cjson.decode(recs[i + 1])
    seen[step] = true
    if rec.state == 'running' then
      local failed = to == 'failed' and (failed_step == '*' or failed_step == step)
      rec.state = failed and 'failed' or 'stopped'
      rec.finished_at = tonumber(now)
      redis.call('HSET', sk, step, cjson.encode(rec))
    elseif rec.state ~= 'done' and rec.state ~= 'failed' and rec.state ~= 'stopped' then
      rec.state = 'not_run'
      redis.call('HSET', sk, step, cjson.encode(rec))
    end
  end
  local tasks = redis.call('HGET', jk, 'tasks')
  if tasks and tasks ~= '' then
    for step, _ in pairs(cjson.decode(tasks)) do
      if not seen[step] then
        redis.call('HSET', sk, step, cjson.encode({state = 'not_run', starts = 0}))
      end
    end
  end
end
"""

# ARGV: prefix, id, tenant, workflow, created_at, idempotency key or '', params JSON (as
#       stored: in the job's hash when at most INLINE_MAX bytes, else a key of its own),
#       then field/value pairs of the job hash.
SUBMIT = _HELPERS + """
local p, id, tenant, wf, score, idem, params = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5],
  ARGV[6], ARGV[7]
if idem ~= '' then
  local ik = idem_key(p, tenant, idem)
  local existing = redis.call('GET', ik)
  if existing and redis.call('EXISTS', job_key(p, existing)) == 1 then
    return {0, existing}
  end
  redis.call('SET', ik, id)
end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
local jk = job_key(p, id)
redis.call('HSET', jk, unpack(fields))
if #params <= INLINE_MAX then
  redis.call('HSET', jk, 'params', params)
else
  redis.call('SET', job_key(p, id, 'params'), params)
end
for _, key in ipairs(index_keys(p, tenant, 'queued', wf)) do
  redis.call('ZADD', key, score, id)
end
for _, key in ipairs(id_index_keys(p, tenant)) do redis.call('ZADD', key, 0, id) end
local origin = redis.call('HMGET', jk, 'schedule_id', 'parent_id')
for _, key in ipairs(origin_index_keys(p, origin[1], origin[2])) do
  redis.call('ZADD', key, score, id)
end
redis.call('ZADD', active_key(p), score, id)
emit(p, id, jk, 'queued')
return {1, id}
"""

# ARGV: prefix, id, target state, now, comma-separated allowed current states, the failed
#       step ('' for none, '*' for every running one; see end_steps), then field/value pairs
#       to set with the change. Returns {'ok', state before, parent id or ''} or
#       {'missing'|'conflict', state}.
TRANSITION = _HELPERS + """
local p, id, to, now, allowed, failed_step = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5],
  ARGV[6]
local jk = job_key(p, id)
local cur, refused = state_in(jk, allowed)
if not cur then return refused end
if FINAL[cur] then unfold_steps(p, id, jk) end
if cur ~= to then move_state(p, id, jk, cur, to) end
redis.call('HSET', jk, 'state', to, 'updated_at', now)
for i = 7, #ARGV, 2 do redis.call('HSET', jk, ARGV[i], ARGV[i + 1]) end
if to == 'failed' or to == 'cancelled' then end_steps(p, id, jk, to, now, failed_step) end
if FINAL[to] then
  redis.call('ZREM', active_key(p), id)
  if redis.call('HEXISTS', jk, 'finished_at') == 0 then
    redis.call('HSET', jk, 'finished_at', now)
  end
  fold_steps(p, id, jk)
end
if cur ~= to then emit(p, id, jk, to) end
return {'ok', cur, redis.call('HGET', jk, 'parent_id') or ''}
"""

# ARGV: prefix, id, step, now, task id, worker.
# Returns {'run'|'done'|'stop'|'missing', starts, memo}: a step delivered again after it
# finished gets its recorded output back (memo), so the canvas can go on from it.
STEP_START = _HELPERS + """
local p, id, step, now, task_id, worker = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local jk = job_key(p, id)
local st = redis.call('HGET', jk, 'state')
if not st then return {'missing', 0, ''} end
if st ~= 'queued' and st ~= 'running' then return {'stop', 0, ''} end
local sk = job_key(p, id, 'steps')
local raw = redis.call('HGET', sk, step)
local rec = {}
if raw then rec = cjson.decode(raw) end
if rec.state == 'done' then
  return {'done', rec.starts or 0, redis.call('HGET', job_key(p, id, 'memo'), step) or ''}
end
rec.starts = (rec.starts or 0) + 1
rec.state = 'running'
if not rec.started_at then rec.started_at = tonumber(now) end
rec.task_id = task_id
rec.worker = worker
redis.call('HSET', sk, step, cjson.encode(rec))
if st == 'queued' then
  move_state(p, id, jk, 'queued', 'running')
  redis.call('HSET', jk, 'state', 'running', 'started_at', now)
end
redis.call('HSET', jk, 'current_step', step, 'heartbeat_at', now, 'updated_at', now)
redis.call('ZADD', active_key(p), now, id)
emit(p, id, jk, st == 'queued' and 'running' or 'progress', step, rec)
return {'run', rec.starts, ''}
"""

# ARGV: prefix, id, step, now, output JSON or '', runtime seconds, where ('out' for outputs
# read by later steps, 'memo' for a value passed down the chain, kept for replays).
# Returns 1 the first time.
STEP_DONE = _HELPERS + """
local p, id, step, now, output, runtime = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local where = ARGV[7]
local jk = job_key(p, id)
local st = redis.call('HGET', jk, 'state')
if not st then return -1 end
local sk = job_key(p, id, 'steps')
local raw = redis.call('HGET', sk, step) or redis.call('HGET', jk, STEP_FIELD .. step)
local rec = {}
if raw then rec = cjson.decode(raw) end
if rec.state == 'done' then return 0 end
rec.state = 'done'
rec.finished_at = tonumber(now)
rec.runtime = tonumber(runtime)
if FINAL[st] then unfold_steps(p, id, jk) end
redis.call('HSET', sk, step, cjson.encode(rec))
if FINAL[st] then fold_steps(p, id, jk) end
if output ~= '' then redis.call('HSET', job_key(p, id, where), step, output) end
redis.call('HINCRBY', jk, 'steps_done', 1)
redis.call('HSET', jk, 'heartbeat_at', now, 'updated_at', now)
if st == 'queued' or st == 'running' then redis.call('ZADD', active_key(p), now, id) end
emit(p, id, jk, 'progress', step, rec)
return 1
"""

# ARGV: prefix, id, step, progress fields as a JSON object. Merges the fields into the step's
# record while it is running (parallel steps of a job share the record hash, so this must not
# be a read and a write apart). Returns 1, or 0 when the step is not running.
STEP_PROGRESS = _HELPERS + """
local p, id, step, fields = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local sk = job_key(p, id, 'steps')
local raw = redis.call('HGET', sk, step)
if not raw then return 0 end
local rec = cjson.decode(raw)
if rec.state ~= 'running' then return 0 end
for field, value in pairs(cjson.decode(fields)) do rec[field] = value end
redis.call('HSET', sk, step, cjson.encode(rec))
emit(p, id, job_key(p, id), 'progress', step, rec)
return 1
"""

# The last step of a job: ARGV: prefix, id, step, now, runtime, result ref JSON, inline
# result body or ''.
# Marks the step done and the job succeeded in one round trip.
# Returns {1 if the job became succeeded else 0, workflow, created_at, state before, and
# when it became succeeded its parent id or ''}.
FINISH = _HELPERS + """
local p, id, step, now, runtime, ref = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local body = ARGV[7]
local jk = job_key(p, id)
local job = redis.call('HMGET', jk, 'state', 'workflow', 'created_at')
local st = job[1]
if not st then return {0, '', '0', 'missing'} end
local sk = job_key(p, id, 'steps')
local raw = redis.call('HGET', sk, step) or redis.call('HGET', jk, STEP_FIELD .. step)
local rec = {}
if raw then rec = cjson.decode(raw) end
if rec.state ~= 'done' then
  rec.state = 'done'
  rec.finished_at = tonumber(now)
  rec.runtime = tonumber(runtime)
  if FINAL[st] then unfold_steps(p, id, jk) end
  redis.call('HSET', sk, step, cjson.encode(rec))
  redis.call('HINCRBY', jk, 'steps_done', 1)
  if FINAL[st] then fold_steps(p, id, jk) end
end
if st ~= 'queued' and st ~= 'running' then return {0, job[2], job[3], st} end
move_state(p, id, jk, st, 'succeeded')
put_result(p, id, jk, body)
redis.call('HSET', jk, 'state', 'succeeded', 'updated_at', now, 'finished_at', now,
  'result_ref', ref)
redis.call('ZREM', active_key(p), id)
redis.call('DEL', job_key(p, id, 'out'), job_key(p, id, 'memo'))
fold_steps(p, id, jk)
emit(p, id, jk, 'succeeded', step, rec)
return {1, job[2], job[3], st, redis.call('HGET', jk, 'parent_id') or ''}
"""

# ARGV: prefix, id, now. Refreshes the heartbeat of an active job only.
HEARTBEAT = _HELPERS + """
local p, id, now = ARGV[1], ARGV[2], ARGV[3]
local jk = job_key(p, id)
local st = redis.call('HGET', jk, 'state')
if st ~= 'queued' and st ~= 'running' then return 0 end
redis.call('HSET', jk, 'heartbeat_at', now)
redis.call('ZADD', active_key(p), now, id)
return 1
"""

# ARGV: prefix, id. Counts a re-dispatch of an active job whose steps were lost; returns the
# count, or 0 when the job is no longer active (finished or deleted meanwhile).
COUNT_RESUME = _HELPERS + """
local p, id = ARGV[1], ARGV[2]
local jk = job_key(p, id)
local st = redis.call('HGET', jk, 'state')
if st ~= 'queued' and st ~= 'running' then return 0 end
return redis.call('HINCRBY', jk, 'resumes', 1)
"""

# KEYS: what else goes with the job (its workflow's clean-up, e.g. an ingest job's staged
# uploads). ARGV: prefix, id, and optionally a guard: comma-separated states the job must be
# in and a time its finished_at must be before ('' for no limit). Removes a job, everything
# that belongs to it and KEYS; returns {1, its result ref}, or {0, ''} when it is missing or
# guarded (then nothing is removed).
DELETE = _HELPERS + """
local p, id, states, before = ARGV[1], ARGV[2], ARGV[3] or '', ARGV[4] or ''
local jk = job_key(p, id)
local job = redis.call('HMGET', jk, 'tenant', 'workflow', 'state', 'idempotency_key',
  'result_ref', 'finished_at', 'schedule_id', 'parent_id')
if not job[1] then return {0, ''} end
if states ~= '' and not string.find(',' .. states .. ',', ',' .. job[3] .. ',', 1, true) then
  return {0, ''}
end
if before ~= '' and not (job[6] and tonumber(job[6]) < tonumber(before)) then return {0, ''} end
for _, key in ipairs(index_keys(p, job[1], job[3], job[2])) do redis.call('ZREM', key, id) end
for _, key in ipairs(id_index_keys(p, job[1])) do redis.call('ZREM', key, id) end
for _, key in ipairs(origin_index_keys(p, job[7], job[8])) do redis.call('ZREM', key, id) end
redis.call('ZREM', active_key(p), id)
if job[4] and job[4] ~= '' then
  local ik = idem_key(p, job[1], job[4])
  if redis.call('GET', ik) == id then redis.call('DEL', ik) end
end
redis.call('DEL', unpack(owned_keys(p, id)))
if #KEYS > 0 then redis.call('DEL', unpack(KEYS)) end
return {1, job[5] or ''}
"""

# Run a job again from where it stopped (retry of a failed or cancelled job, or a resume of
# an active job whose steps were lost). ARGV: prefix, id, now, comma-separated allowed states,
# tasks JSON. Steps not done are reset so their delivery count starts afresh (steps that never
# ran are pending again: their record goes); done steps stay done and replay their recorded
# outputs. Returns {'ok', attempts} or {'missing'|
# 'conflict', state}.
REDO = _HELPERS + """
local p, id, now, allowed, tasks = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local jk = job_key(p, id)
local cur, refused = state_in(jk, allowed)
if not cur then return refused end
if FINAL[cur] then unfold_steps(p, id, jk) end
local sk = job_key(p, id, 'steps')
local recs = redis.call('HGETALL', sk)
for i = 1, #recs, 2 do
  local rec = cjson.decode(recs[i + 1])
  if rec.state == 'not_run' then
    redis.call('HDEL', sk, recs[i])
  elseif rec.state ~= 'done' then
    rec.state = 'retrying'
    rec.starts = 0
    redis.call('HSET', sk, recs[i], cjson.encode(rec))
  end
end
local to = cur
if FINAL[cur] then
  to = 'queued'
  move_state(p, id, jk, cur, to)
  redis.call('HDEL', jk, 'error', 'finished_at')
end
local attempts = redis.call('HINCRBY', jk, 'attempts', 1)
redis.call('HSET', jk, 'state', to, 'tasks', tasks, 'updated_at', now, 'heartbeat_at', now)
redis.call('ZADD', active_key(p), now, id)
emit(p, id, jk, 'retried')
return {'ok', attempts}
"""

# ARGV: prefix, id, the job's snapshot as JSON {hash, params, steps, out, memo, usage, result}
# (see JobStore.snapshot). Replaces whatever the id held with the snapshot and rebuilds its
# index entries and idempotency key, all at once. Returns 1.
RESTORE = _HELPERS + """
local p, id, doc = ARGV[1], ARGV[2], cjson.decode(ARGV[3])
local jk = job_key(p, id)
local old = redis.call('HMGET', jk, 'tenant', 'workflow', 'state', 'schedule_id', 'parent_id')
if old[1] then
  for _, key in ipairs(index_keys(p, old[1], old[3], old[2])) do redis.call('ZREM', key, id) end
  for _, key in ipairs(id_index_keys(p, old[1])) do redis.call('ZREM', key, id) end
  for _, key in ipairs(origin_index_keys(p, old[4], old[5])) do redis.call('ZREM', key, id) end
end
redis.call('ZREM', active_key(p), id)
redis.call('DEL', unpack(owned_keys(p, id)))
local function put_hash(key, map)
  for field, value in pairs(map) do redis.call('HSET', key, field, value) end
end
put_hash(jk, doc.hash)
put_hash(job_key(p, id, 'steps'), doc.steps)
put_hash(job_key(p, id, 'out'), doc.out)
put_hash(job_key(p, id, 'memo'), doc.memo or {})
if type(doc.params) == 'string' then
  if #doc.params <= INLINE_MAX then redis.call('HSET', jk, 'params', doc.params)
  else redis.call('SET', job_key(p, id, 'params'), doc.params) end
end
for _, record in ipairs(doc.usage) do redis.call('RPUSH', job_key(p, id, 'usage'), record) end
if type(doc.result) == 'string' then put_result(p, id, jk, doc.result) end
local h = doc.hash
for _, key in ipairs(index_keys(p, h.tenant, h.state, h.workflow)) do
  redis.call('ZADD', key, h.created_at, id)
end
for _, key in ipairs(id_index_keys(p, h.tenant)) do redis.call('ZADD', key, 0, id) end
for _, key in ipairs(origin_index_keys(p, h.schedule_id, h.parent_id)) do
  redis.call('ZADD', key, h.created_at, id)
end
if h.state == 'queued' or h.state == 'running' then
  redis.call('ZADD', active_key(p), h.heartbeat_at or h.created_at, id)
end
if h.idempotency_key and h.idempotency_key ~= '' then
  redis.call('SET', idem_key(p, h.tenant, h.idempotency_key), id)
end
if FINAL[h.state] then fold_steps(p, id, jk) end
return 1
"""

# ARGV: prefix, then job ids. Adds each id whose job still exists to its tenant's id indexes
# (for jobs created before those indexes existed; a job deleted meanwhile is not re-added,
# since this and DELETE never interleave). Returns how many were added.
INDEX_IDS = _HELPERS + """
local p, added = ARGV[1], 0
for i = 2, #ARGV do
  local tenant = redis.call('HGET', job_key(p, ARGV[i]), 'tenant')
  if tenant then
    for _, key in ipairs(id_index_keys(p, tenant)) do
      added = added + redis.call('ZADD', key, 0, ARGV[i])
    end
  end
end
return added
"""

# A page of a listing that is the union of several indexes (a tenant's jobs of every state
# are in five; see app.redis_keys.indexes), read at once so that a job changing state
# meanwhile is seen exactly once: ``merged_page(keys, desc, bound, after, want)`` gives up to
# ``want`` entries {id, score, score as stored} past the cursor (score ``bound``, '+inf' or
# '-inf' from the start; id ``after``, '' for none), in (score, id) order, newest first with
# ``desc`` (as ZREVRANGEBYSCORE orders one index), else oldest first.
_MERGE = """
-- Byte order, as Redis orders members of one score (Lua's '<' follows the locale).
local function lt(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function merged_page(keys, desc, bound, after, want)
  local edge = tonumber(bound)
  local function past(member, score)
    if after == '' or score ~= edge then return true end
    if desc then return lt(member, after) end
    return lt(after, member)
  end
  local found = {}
  for _, key in ipairs(keys) do
    local kept, offset = 0, 0
    while kept < want do
      local batch
      if desc then
        batch = redis.call('ZREVRANGEBYSCORE', key, bound, '-inf', 'WITHSCORES', 'LIMIT',
          offset, want + 16)
      else
        batch = redis.call('ZRANGEBYSCORE', key, bound, '+inf', 'WITHSCORES', 'LIMIT',
          offset, want + 16)
      end
      if #batch == 0 then break end
      offset = offset + #batch / 2
      for i = 1, #batch, 2 do
        local score = tonumber(batch[i + 1])
        if past(batch[i], score) then
          found[#found + 1] = {batch[i], score, batch[i + 1]}
          kept = kept + 1
          if kept == want then break end
        end
      end
    end
  end
  table.sort(found, function(a, b)
    if a[2] ~= b[2] then
      if desc then return a[2] > b[2] end
      return a[2] < b[2]
    end
    if desc then return lt(b[1], a[1]) end
    return lt(a[1], b[1])
  end)
  local page = {}
  for i = 1, math.min(want, #found) do page[i] = found[i] end
  return page
end
"""

# A job's record as a JSON array of its hash's fields and values ('' for a job that is gone),
# without what a listing never shows: params, result and step records (JobStore.params,
# .result and .steps read those). One string per job, so a page of 50 is 50 replies to
# parse, not some 2,000.
_RECORD = redis_keys.LUA + """
local function record(p, id)
  local flat = redis.call('HGETALL', job_key(p, id))
  if #flat == 0 then return '' end
  local kept = {}
  for j = 1, #flat, 2 do
    local field = flat[j]
    if field ~= 'params' and field ~= 'result' and string.sub(field, 1, 5) ~= 'step:' then
      kept[#kept + 1] = field
      kept[#kept + 1] = flat[j + 1]
    end
  end
  return cjson.encode(kept)
end
"""

# KEYS: the indexes. ARGV: 'desc' or 'asc', the cursor's score and id (see _MERGE), how
# many. Returns {id, score, ...}.
MERGED_PAGE = _MERGE + """
local out = {}
for _, entry in ipairs(merged_page(KEYS, ARGV[1] == 'desc', ARGV[2], ARGV[3],
    tonumber(ARGV[4]))) do
  out[#out + 1] = entry[1]
  out[#out + 1] = entry[3]
end
return out
"""

# A page of a listing newest first, with its jobs' records, in one round trip. KEYS: the
# indexes. ARGV: prefix, the cursor's score and id, how many entries, how many of them to
# load. Returns {id, score, record ('' for an entry not loaded or a job gone), ...}.
LIST_PAGE = _MERGE + _RECORD + """
local out, load = {}, tonumber(ARGV[5])
for i, entry in ipairs(merged_page(KEYS, true, ARGV[2], ARGV[3], tonumber(ARGV[4]))) do
  out[#out + 1] = entry[1]
  out[#out + 1] = entry[3]
  out[#out + 1] = i <= load and record(ARGV[1], entry[1]) or ''
end
return out
"""

# ARGV: prefix, then job ids. Returns each job's record (see _RECORD), in order.
LOAD = _RECORD + """
local out = {}
for i = 2, #ARGV do out[#out + 1] = record(ARGV[1], ARGV[i]) end
return out
"""
