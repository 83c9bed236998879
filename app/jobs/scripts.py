"""Lua scripts that change a job atomically: state, indexes and step bookkeeping together.

Every state change goes through :data:`TRANSITION`, so the listing indexes (per tenant, state
and workflow, plus ``*`` for all tenants) can never disagree with the job's state.
"""

# Shared Lua helpers: the index keys a job belongs to for a given state.
_INDEX_HELPERS = """
local function index_keys(p, tenant, state, wf)
  local keys = {}
  for _, t in ipairs({tenant, '*'}) do
    local base = p .. 'idx:' .. t
    keys[#keys + 1] = base .. ':all'
    keys[#keys + 1] = base .. ':w:' .. wf
    keys[#keys + 1] = base .. ':s:' .. state
    keys[#keys + 1] = base .. ':s:' .. state .. ':w:' .. wf
  end
  return keys
end
local function move_state(p, id, jk, from, to)
  local tenant = redis.call('HGET', jk, 'tenant')
  local wf = redis.call('HGET', jk, 'workflow')
  local score = redis.call('HGET', jk, 'created_at')
  for _, t in ipairs({tenant, '*'}) do
    local base = p .. 'idx:' .. t
    redis.call('ZREM', base .. ':s:' .. from, id)
    redis.call('ZREM', base .. ':s:' .. from .. ':w:' .. wf, id)
    redis.call('ZADD', base .. ':s:' .. to, score, id)
    redis.call('ZADD', base .. ':s:' .. to .. ':w:' .. wf, score, id)
  end
end
local FINAL = {succeeded = true, failed = true, cancelled = true}
-- The job's state if it is one of the comma-separated ``allowed``; else nil and why.
local function state_in(jk, allowed)
  local cur = redis.call('HGET', jk, 'state')
  if not cur then return nil, {'missing', ''} end
  if not string.find(',' .. allowed .. ',', ',' .. cur .. ',', 1, true) then
    return nil, {'conflict', cur}
  end
  return cur
end
"""

# ARGV: prefix, id, tenant, workflow, created_at, idempotency key or '', params JSON,
#       then field/value pairs of the job hash.
SUBMIT = _INDEX_HELPERS + """
local p, id, tenant, wf, score, idem, params = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5],
  ARGV[6], ARGV[7]
if idem ~= '' then
  local ik = p .. 'idem:' .. tenant .. ':' .. idem
  local existing = redis.call('GET', ik)
  if existing and redis.call('EXISTS', p .. 'job:' .. existing) == 1 then
    return {0, existing}
  end
  redis.call('SET', ik, id)
end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
local jk = p .. 'job:' .. id
redis.call('HSET', jk, unpack(fields))
redis.call('SET', jk .. ':params', params)
for _, key in ipairs(index_keys(p, tenant, 'queued', wf)) do
  redis.call('ZADD', key, score, id)
end
redis.call('ZADD', p .. 'active', score, id)
return {1, id}
"""

# ARGV: prefix, id, target state, now, comma-separated allowed current states,
#       then field/value pairs to set with the change.
TRANSITION = _INDEX_HELPERS + """
local p, id, to, now, allowed = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local jk = p .. 'job:' .. id
local cur, refused = state_in(jk, allowed)
if not cur then return refused end
if cur ~= to then move_state(p, id, jk, cur, to) end
redis.call('HSET', jk, 'state', to, 'updated_at', now)
for i = 6, #ARGV, 2 do redis.call('HSET', jk, ARGV[i], ARGV[i + 1]) end
if FINAL[to] then
  redis.call('ZREM', p .. 'active', id)
  if redis.call('HEXISTS', jk, 'finished_at') == 0 then
    redis.call('HSET', jk, 'finished_at', now)
  end
end
return {'ok', cur}
"""

# ARGV: prefix, id, step, now, task id, worker.
# Returns {'run'|'done'|'stop'|'missing', starts, memo}: a step delivered again after it
# finished gets its recorded output back (memo), so the canvas can go on from it.
STEP_START = _INDEX_HELPERS + """
local p, id, step, now, task_id, worker = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local jk = p .. 'job:' .. id
local st = redis.call('HGET', jk, 'state')
if not st then return {'missing', 0, ''} end
if st ~= 'queued' and st ~= 'running' then return {'stop', 0, ''} end
local sk = jk .. ':steps'
local raw = redis.call('HGET', sk, step)
local rec = {}
if raw then rec = cjson.decode(raw) end
if rec.state == 'done' then
  return {'done', rec.starts or 0, redis.call('HGET', jk .. ':memo', step) or ''}
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
redis.call('ZADD', p .. 'active', now, id)
return {'run', rec.starts, ''}
"""

# ARGV: prefix, id, step, now, output JSON or '', runtime seconds, where ('out' for outputs
# read by later steps, 'memo' for a value passed down the chain, kept for replays).
# Returns 1 the first time.
STEP_DONE = """
local p, id, step, now, output, runtime = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local where = ARGV[7]
local jk = p .. 'job:' .. id
local st = redis.call('HGET', jk, 'state')
if not st then return -1 end
local sk = jk .. ':steps'
local raw = redis.call('HGET', sk, step)
local rec = {}
if raw then rec = cjson.decode(raw) end
if rec.state == 'done' then return 0 end
rec.state = 'done'
rec.finished_at = tonumber(now)
rec.runtime = tonumber(runtime)
redis.call('HSET', sk, step, cjson.encode(rec))
if output ~= '' then redis.call('HSET', jk .. ':' .. where, step, output) end
redis.call('HINCRBY', jk, 'steps_done', 1)
redis.call('HSET', jk, 'heartbeat_at', now, 'updated_at', now)
if st == 'queued' or st == 'running' then redis.call('ZADD', p .. 'active', now, id) end
return 1
"""

# ARGV: prefix, id, step, progress fields as a JSON object. Merges the fields into the step's
# record while it is running (parallel steps of a job share the record hash, so this must not
# be a read and a write apart). Returns 1, or 0 when the step is not running.
STEP_PROGRESS = """
local p, id, step, fields = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local sk = p .. 'job:' .. id .. ':steps'
local raw = redis.call('HGET', sk, step)
if not raw then return 0 end
local rec = cjson.decode(raw)
if rec.state ~= 'running' then return 0 end
for field, value in pairs(cjson.decode(fields)) do rec[field] = value end
redis.call('HSET', sk, step, cjson.encode(rec))
return 1
"""

# The last step of a job: ARGV: prefix, id, step, now, runtime, result ref JSON, inline
# result body or ''.
# Marks the step done and the job succeeded in one round trip.
# Returns {1 if the job became succeeded else 0, workflow, created_at, state before}.
FINISH = _INDEX_HELPERS + """
local p, id, step, now, runtime, ref = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local body = ARGV[7]
local jk = p .. 'job:' .. id
local job = redis.call('HMGET', jk, 'state', 'workflow', 'created_at')
local st = job[1]
if not st then return {0, '', '0', 'missing'} end
local sk = jk .. ':steps'
local raw = redis.call('HGET', sk, step)
local rec = {}
if raw then rec = cjson.decode(raw) end
if rec.state ~= 'done' then
  rec.state = 'done'
  rec.finished_at = tonumber(now)
  rec.runtime = tonumber(runtime)
  redis.call('HSET', sk, step, cjson.encode(rec))
  redis.call('HINCRBY', jk, 'steps_done', 1)
end
if st ~= 'queued' and st ~= 'running' then return {0, job[2], job[3], st} end
move_state(p, id, jk, st, 'succeeded')
if body ~= '' then redis.call('SET', p .. 'result:' .. id, body) end
redis.call('HSET', jk, 'state', 'succeeded', 'updated_at', now, 'finished_at', now,
  'result_ref', ref)
redis.call('ZREM', p .. 'active', id)
redis.call('DEL', jk .. ':out', jk .. ':memo')
return {1, job[2], job[3], st}
"""

# ARGV: prefix, id, now. Refreshes the heartbeat of an active job only.
HEARTBEAT = """
local p, id, now = ARGV[1], ARGV[2], ARGV[3]
local jk = p .. 'job:' .. id
local st = redis.call('HGET', jk, 'state')
if st ~= 'queued' and st ~= 'running' then return 0 end
redis.call('HSET', jk, 'heartbeat_at', now)
redis.call('ZADD', p .. 'active', now, id)
return 1
"""

# ARGV: prefix, id, and optionally a guard: comma-separated states the job must be in and
# a time its finished_at must be before ('' for no limit). Removes a job and everything that
# belongs to it (an ingest job's staged uploads included); returns {1, its result ref}, or
# {0, ''} when it is missing or guarded.
DELETE = _INDEX_HELPERS + """
local p, id, states, before = ARGV[1], ARGV[2], ARGV[3] or '', ARGV[4] or ''
local jk = p .. 'job:' .. id
local job = redis.call('HMGET', jk, 'tenant', 'workflow', 'state', 'idempotency_key',
  'result_ref', 'finished_at')
if not job[1] then return {0, ''} end
if states ~= '' and not string.find(',' .. states .. ',', ',' .. job[3] .. ',', 1, true) then
  return {0, ''}
end
if before ~= '' and not (job[6] and tonumber(job[6]) < tonumber(before)) then return {0, ''} end
for _, key in ipairs(index_keys(p, job[1], job[3], job[2])) do redis.call('ZREM', key, id) end
redis.call('ZREM', p .. 'active', id)
if job[4] and job[4] ~= '' then
  local ik = p .. 'idem:' .. job[1] .. ':' .. job[4]
  if redis.call('GET', ik) == id then redis.call('DEL', ik) end
end
if job[2] == 'ingest' then  -- staged documents a failed or cancelled ingest job left behind
  local ok, params = pcall(cjson.decode, redis.call('GET', jk .. ':params') or '{}')
  if ok and type(params) == 'table' and type(params.documents) == 'table' then
    for _, doc in ipairs(params.documents) do
      if type(doc) == 'table' and type(doc.upload) == 'string' then
        redis.call('DEL', p .. 'upload:' .. doc.upload)
      end
    end
  end
end
redis.call('DEL', jk, jk .. ':params', jk .. ':steps', jk .. ':out', jk .. ':memo',
  jk .. ':usage', p .. 'result:' .. id)
return {1, job[5] or ''}
"""

# Run a job again from where it stopped (retry of a failed or cancelled job, or a resume of
# an active job whose steps were lost). ARGV: prefix, id, now, comma-separated allowed states,
# tasks JSON. Steps not done are reset so their delivery count starts afresh; done steps
# stay done and replay their recorded outputs. Returns {'ok', attempts} or {'missing'|
# 'conflict', state}.
REDO = _INDEX_HELPERS + """
local p, id, now, allowed, tasks = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local jk = p .. 'job:' .. id
local cur, refused = state_in(jk, allowed)
if not cur then return refused end
local sk = jk .. ':steps'
local recs = redis.call('HGETALL', sk)
for i = 1, #recs, 2 do
  local rec = cjson.decode(recs[i + 1])
  if rec.state ~= 'done' then
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
redis.call('ZADD', p .. 'active', now, id)
return {'ok', attempts}
"""

# ARGV: prefix, id, the job's snapshot as JSON {hash, params, steps, out, memo, usage, result}
# (see JobStore.snapshot). Replaces whatever the id held with the snapshot and rebuilds its
# index entries and idempotency key, all at once. Returns 1.
RESTORE = _INDEX_HELPERS + """
local p, id, doc = ARGV[1], ARGV[2], cjson.decode(ARGV[3])
local jk = p .. 'job:' .. id
local old = redis.call('HMGET', jk, 'tenant', 'workflow', 'state')
if old[1] then
  for _, key in ipairs(index_keys(p, old[1], old[3], old[2])) do redis.call('ZREM', key, id) end
end
redis.call('ZREM', p .. 'active', id)
redis.call('DEL', jk, jk .. ':params', jk .. ':steps', jk .. ':out', jk .. ':memo',
  jk .. ':usage', p .. 'result:' .. id)
local function put_hash(key, map)
  for field, value in pairs(map) do redis.call('HSET', key, field, value) end
end
put_hash(jk, doc.hash)
put_hash(jk .. ':steps', doc.steps)
put_hash(jk .. ':out', doc.out)
put_hash(jk .. ':memo', doc.memo or {})
if type(doc.params) == 'string' then redis.call('SET', jk .. ':params', doc.params) end
for _, record in ipairs(doc.usage) do redis.call('RPUSH', jk .. ':usage', record) end
if type(doc.result) == 'string' then redis.call('SET', p .. 'result:' .. id, doc.result) end
local h = doc.hash
for _, key in ipairs(index_keys(p, h.tenant, h.state, h.workflow)) do
  redis.call('ZADD', key, h.created_at, id)
end
if h.state == 'queued' or h.state == 'running' then
  redis.call('ZADD', p .. 'active', h.heartbeat_at or h.created_at, id)
end
if h.idempotency_key and h.idempotency_key ~= '' then
  redis.call('SET', p .. 'idem:' .. h.tenant .. ':' .. h.idempotency_key, id)
end
return 1
"""
