#!/bin/sh
# Debian's redis-server with the upstream image's default of no protected mode.
exec /usr/bin/redis-server "$@" --protected-mode no
