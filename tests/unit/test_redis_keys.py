"""Redis keys are named in one module (app/redis_keys.py): no other module spells one, only
the job store touches its client, and the job store's layout, spelled there for Python and
for its Lua scripts, is the same in both."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

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
        keys.index(tenant, "queued"), keys.index(tenant, "queued", "smoke"))]
    assert from_lua == [keys.job("j1"), keys.job("j1", "steps"), keys.result("j1"),
                        keys.idempotency("t1", "k1"), keys.ACTIVE, *owned, *indexes]
    assert indexes[2:] == ["dia3:idx:*:s:queued", "dia3:idx:*:s:queued:w:smoke"]


def test_a_listing_of_every_state_is_the_union_of_the_five_state_indexes():
    assert keys.indexes("t1", workflow="smoke") == [
        f"dia3:idx:t1:s:{state}:w:smoke" for state in keys.STATES]
    assert keys.indexes(None, "failed") == ["dia3:idx:*:s:failed"]
    from app.jobs.model import STATES
    assert keys.STATES == STATES


def test_the_indexes_of_the_older_layout_are_told_apart():
    assert keys.obsolete_index("dia3:idx:t1:all") and keys.obsolete_index("dia3:idx:*:w:smoke")
    assert not any(keys.obsolete_index(key) for key in (
        *keys.indexes("t1"), *keys.indexes(None, workflow="smoke"), keys.id_index("t1"),
        keys.id_index(None), keys.ID_INDEX_BUILT, keys.OBSOLETE_INDEXES_DROPPED,
        keys.job("all")))


ROOT = Path(__file__).resolve().parents[2]


def sources() -> list[Path]:
    return sorted(path for folder in ("app", "workers") for path in (ROOT / folder).rglob("*.py"))


def spelled_keys(path: Path) -> list[str]:
    """String constants of ``path`` that start like a DIA3 Redis key (docstrings aside)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and re.match(r"dia3:(?!//)", node.value)]


def test_no_other_module_spells_a_key():
    spelled = {str(path.relative_to(ROOT)): found for path in sources()
               if path != ROOT / "app" / "redis_keys.py" and (found := spelled_keys(path))}
    assert spelled == {}


def test_the_llm_layer_defaults_to_its_name_here():
    from workers.llm.cache import ResponseCache
    from workers.llm.rate_limit import RedisRateLimiter
    from workers.llm.settings import LLMSettings
    assert LLMSettings().redis_key_prefix == keys.LLM
    for cls in (ResponseCache, RedisRateLimiter):
        assert inspect.signature(cls).parameters["key_prefix"].default == keys.LLM


def test_only_the_job_store_uses_its_redis_client():
    """``store.r`` / ``job_store().r`` appear nowhere outside app/jobs."""
    def uses_store_client(node: ast.AST) -> bool:
        if not (isinstance(node, ast.Attribute) and node.attr == "r"):
            return False
        owner = node.value
        return (isinstance(owner, ast.Name) and owner.id == "store") or (
            isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "job_store")

    offenders = [str(path.relative_to(ROOT)) for path in sources()
                 if ROOT / "app" / "jobs" not in path.parents
                 and any(map(uses_store_client, ast.walk(ast.parse(path.read_text()))))]
    assert offenders == []


def test_the_id_indexes_are_named_the_same_in_the_scripts():
    script = keys.LUA + "\nreturn id_index_keys(ARGV[1], ARGV[2])"
    assert get_redis().eval(script, 0, keys.PREFIX, "t1") == [keys.id_index("t1"),
                                                               keys.id_index(None)]
