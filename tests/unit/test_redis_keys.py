"""Redis keys are named in one module: the job store's layout is spelled there twice (for
Python and for its Lua scripts) and both spellings agree."""

from __future__ import annotations

from app import redis_keys as keys
from app.redis_client import get_redis

LAYOUT = keys.LUA + """
local p, id, tenant = ARGV[1], ARGV[2], ARGV[3]
local out = {job_key(p, id), job_key(p, id, 'steps'), result_key(p, id),
  idem_key(p, tenant, 'k1'), active_key(p)}
for _, key in ipairs(owned_keys(p, id)) do out[#out + 1] = key end
for _, key in ipairs(index_keys(p, tenant, 'queued', 'smoke')) do out[#out + 1] = key end
return out
"""


def test_the_scripts_name_the_same_keys_as_python():
    from_lua = get_redis().eval(LAYOUT, 0, keys.PREFIX, "j1", "t1")
    owned = [keys.job("j1"), *(keys.job("j1", part) for part in keys.JOB_PARTS),
             keys.result("j1")]
    indexes = [key for tenant in ("t1", None) for key in (
        keys.index(tenant), keys.index(tenant, workflow="smoke"), keys.index(tenant, "queued"),
        keys.index(tenant, "queued", "smoke"))]
    assert from_lua == [keys.job("j1"), keys.job("j1", "steps"), keys.result("j1"),
                        keys.idempotency("t1", "k1"), keys.ACTIVE, *owned, *indexes]
    assert indexes[4:] == ["dia3:idx:*:all", "dia3:idx:*:w:smoke", "dia3:idx:*:s:queued",
                           "dia3:idx:*:s:queued:w:smoke"]
