#!/usr/bin/env bash
# CI's check of the container path: build the images, bring the compose stack up healthy, run the
# smoke suite at one and at three inventory replicas, restart Redis and check a cart survived, tear
# down. Expects a running Docker engine; NODE_IMAGE and REDIS_IMAGE may point at local stand-ins.
# Prints "compose: N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."

export COMPOSE_PROJECT_NAME=storefront-ci
BASE=http://127.0.0.1:${GATEWAY_PORT:-3000}
# shellcheck source=compose-checks.sh
source .ci/compose-checks.sh

cleanup() {
  docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT

docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
npx nx run e2e:build --outputStyle=static >/dev/null || { fail "build the smoke suite"; echo "compose: $passed passed, $failed failed"; exit 1; }

echo "--- docker-compose build"
build_started=$(date +%s)
build_log=$(mktemp)
if ! docker-compose build >"$build_log" 2>&1; then
  tail -40 "$build_log"
  fail "docker-compose build"
  echo "compose: $passed passed, $failed failed"
  exit 1
fi
echo "images built in $(($(date +%s) - build_started)) s"
for app in gateway inventory checkout; do
  docker image inspect -f "image $app: {{.Size}}" "${COMPOSE_PROJECT_NAME}_${app}" | awk '{ printf "%s %.0f MB\n", $1" "$2, $3 / 1e6 }'
done

echo "--- up"
started=$(date +%s.%N)
docker-compose up -d >/dev/null 2>&1 || fail "docker-compose up -d"
if seconds=$(wait_healthy 4 "$started"); then pass "up to all 4 containers healthy in ${seconds} s"; else fail "containers healthy"; fi
smoke "1 replica each"

echo "--- scale inventory=3 checkout=2"
started=$(date +%s.%N)
docker-compose up -d --scale inventory=3 --scale checkout=2 >/dev/null 2>&1 || fail "scale up"
if seconds=$(wait_healthy 7 "$started"); then pass "scaled to 7 containers healthy in ${seconds} s"; else fail "scaled containers healthy"; fi
# The gateway looks the service names up again every 5 s.
sleep 5
smoke "inventory x3, checkout x2" --min-instances inventory=3 --min-instances checkout=2

echo "--- restart Redis"
token=$(curl -s -X POST "$BASE/session" | sed -E 's/.*"token":"([^"]+)".*/\1/')
curl -s -o /dev/null -X POST "$BASE/Cart/Item" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"id":"badger-night-light","quantity":4}'
docker-compose restart redis >/dev/null 2>&1
cart=""
for _ in $(seq 1 50); do
  cart=$(curl -s "$BASE/Cart" -H "Authorization: Bearer $token")
  case "$cart" in *badger-night-light*) break ;; esac
  sleep 0.2
done
if [ "$cart" = '{"cart":[{"id":"badger-night-light","quantity":4}]}' ]; then
  pass "the cart survived a Redis restart"
else
  fail "the cart survived a Redis restart (got: $cart)"
fi

[ "$failed" -gt 0 ] && show_logs
echo "--- down"
started=$(date +%s)
if docker-compose down -v >/dev/null 2>&1; then pass "down -v in $(($(date +%s) - started)) s"; else fail "down -v"; fi
echo "compose: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
