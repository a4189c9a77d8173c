#!/usr/bin/env bash
# CI's Docker engine: `engine.sh start` installs (Debian's docker.io and docker-compose) and starts
# dockerd, waiting until it answers; `engine.sh stop` stops it by its pid and waits for it to exit.
set -euo pipefail

start() {
  if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io docker-compose >/dev/null
  fi
  if docker info >/dev/null 2>&1; then
    echo "docker engine already running"
    return
  fi
  nohup dockerd >/tmp/storefront-ci-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      echo "docker engine up: $(docker version --format '{{.Server.Version}}')"
      return
    fi
    sleep 0.5
  done
  echo "dockerd did not come up:" >&2
  tail -20 /tmp/storefront-ci-dockerd.log >&2
  exit 1
}

stop() {
  [ -f /var/run/docker.pid ] || return 0
  local pid
  pid=$(cat /var/run/docker.pid)
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
}

"$@"
