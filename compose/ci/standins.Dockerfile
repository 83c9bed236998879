# CI-only stand-ins for the third-party images of the Compose stack, built from Debian packages
# and PyPI on DIA3's offline base image where no container registry is reachable. Each target
# behaves like its upstream image as far as docker-compose.yml relies on it (entrypoint,
# paths, user, health-check tools). Selected by docker-compose.ci.yml; see docs/deploy.md.
ARG BASE_IMAGE=dia3-base:bookworm-slim

FROM ${BASE_IMAGE} AS debian
# Keep package scripts from starting services inside the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d

# ---- redis:7.4-alpine ----------------------------------------------------------------------
FROM debian AS redis
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
# The upstream image turns protected mode off (it is reached over the container network
# without a password); Debian's build keeps it on, so the wrapper does what the image does.
COPY --chmod=0755 redis-server.sh /usr/local/bin/redis-server
WORKDIR /data
USER redis
CMD ["redis-server"]

# ---- chromadb/chroma:1.0.20 ------------------------------------------------------------------
FROM ${BASE_IMAGE} AS chroma
RUN --mount=type=secret,id=ca_bundle,target=/etc/ssl/certs/ca-certificates.crt \
    --mount=type=secret,id=pip_conf,target=/etc/pip.conf \
    python3 -m venv /opt/chroma \
 && /opt/chroma/bin/pip install --no-cache-dir -q chromadb==1.0.20
COPY --chmod=0755 chroma-run.sh /usr/local/bin/chroma-run
CMD ["chroma-run"]

# ---- nginx:1.27-alpine ---------------------------------------------------------------------
FROM debian AS nginx
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends nginx-light wget \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

# ---- prom/prometheus, prom/blackbox-exporter, oliver006/redis_exporter -----------------------
FROM debian AS prometheus
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends prometheus wget \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]

FROM debian AS blackbox
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends prometheus-blackbox-exporter wget \
 && rm -rf /var/lib/apt/lists/*
USER nobody
ENTRYPOINT ["/usr/bin/prometheus-blackbox-exporter"]

FROM debian AS redis-exporter
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends prometheus-redis-exporter \
 && rm -rf /var/lib/apt/lists/*
USER nobody
ENTRYPOINT ["/usr/bin/prometheus-redis-exporter"]
