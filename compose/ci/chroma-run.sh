#!/bin/sh
# The upstream image's server: persistent under PERSIST_DIRECTORY, on port 8000.
exec /opt/chroma/bin/chroma run --path "${PERSIST_DIRECTORY:-/data}" --host 0.0.0.0 --port 8000
