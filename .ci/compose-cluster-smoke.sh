#!/usr/bin/env bash
# CI's check of the container path on a Redis Cluster (docker-compose.cluster.yml over the base file):
# build the images, bring the stack up healthy (6 Redis nodes, the cluster created by its one-shot
# service), run the smoke suite at one instance of each service and at inventory x3, checkout x2,
# restart the primary that holds a cart and check the cart survived, tear down. Expects a running
# Docker engine; NODE_IMAGE and REDIS_IMAGE may point at local stand-ins. After compose-smoke.sh the
# build is all cache hits. Prints "compose-cluster: N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."

export COMPOSE_PROJECT_NAME=storefront-ci-cluster
export COMPOSE_FILE=docker-compose.yml:docker-compose.cluster.yml
BASE=http://127.0.0.1:${GATEWAY_PORT:-3000}
NODES="redis-node-1 redis-node-2 redis-node-3 redis-node-4 redis-node-5 redis-node-6"
all_started=$(date +%s)
# shellcheck source=compose-checks.sh
source .ci/compose-checks.sh

# The compose service of the primary holding a cart with line $1 at quantity $2 (the first node is
# the base file's `redis`, also named redis-node-1).
primary_of_cart() {
  docker-compose exec -T redis sh -c '
    for node in '"$NODES"'; do
      redis-cli -h "$node" role | head -1 | grep -qx master || continue
      redis-cli -h "$node" --scan --pattern "*cart:{*" | while read -r key; do
        [ "$(redis-cli -h "$node" hget "$key" "$1")" = "$2" ] && echo "$node"
      done
    done' sh "$1" "$2" | head -1 | sed 's/^redis-node-1$/redis/'
}

summary() {
  echo "compose-cluster: total $(($(date +%s) - all_started)) s"
  echo "compose-cluster: $passed passed, $failed failed"
}

cleanup() {
  docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT

docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
npx nx run e2e:build --outputStyle=static >/dev/null || { fail "build the smoke suite"; summary; exit 1; }

echo "--- docker-compose build"
build_started=$(date +%s)
build_log=$(mktemp)
if ! docker-compose build >"$build_log" 2>&1; then
  tail -40 "$build_log"
  fail "docker-compose build"
  summary
  exit 1
fi
echo "images built in $(($(date +%s) - build_started)) s"

echo "--- up: 6 Redis nodes, the cluster's creation, 3 services"
started=$(date +%s.%N)
docker-compose up -d >/dev/null 2>&1 || fail "docker-compose up -d"
if seconds=$(wait_healthy 9 "$started"); then
  pass "up to all 9 containers healthy in ${seconds} s"
else
  fail "containers healthy"
fi
init_log=$(docker-compose logs --no-color redis-cluster-init 2>/dev/null)
if grep -q 'All 16384 slots covered' <<<"$init_log" && grep -q 'cluster_state:ok on all 6 nodes' <<<"$init_log"; then
  pass "redis-cluster-init created a cluster of 3 primaries and 3 replicas"
else
  fail "redis-cluster-init created the cluster"
fi
smoke "1 instance each"

echo "--- scale inventory=3 checkout=2"
started=$(date +%s.%N)
docker-compose up -d --scale inventory=3 --scale checkout=2 >/dev/null 2>&1 || fail "scale up"
if seconds=$(wait_healthy 12 "$started"); then
  pass "scaled to 12 containers healthy in ${seconds} s"
else
  fail "scaled containers healthy"
fi
# Scaling ran redis-cluster-init again: it must have found the cluster, not tried to create another.
# (Read whole first: grep -q stopping early could fail the pipeline under pipefail.)
init_logs=$(docker-compose logs --no-color redis-cluster-init 2>/dev/null)
if grep -q 'the cluster exists' <<<"$init_logs"; then
  pass "redis-cluster-init again: found the cluster"
else
  fail "redis-cluster-init again: found the cluster"
fi
# The gateway looks the service names up again every 5 s.
sleep 5
smoke "inventory x3, checkout x2" --min-instances inventory=3 --min-instances checkout=2

echo "--- restart the Redis primary that holds a cart"
token=$(curl -s -X POST "$BASE/session" | sed -E 's/.*"token":"([^"]+)".*/\1/')
curl -s -o /dev/null -X POST "$BASE/Cart/Item" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"id":"badger-night-light","quantity":4}'
holder=$(primary_of_cart badger-night-light 4)
if [ -z "$holder" ]; then
  fail "found the primary that holds the cart"
else
  echo "the cart is on $holder"
  started=$(date +%s.%N)
  docker-compose restart "$holder" >/dev/null 2>&1
  cart=""
  # Back within the node timeout (5 s), the node stays primary; later, its replica takes over.
  for _ in $(seq 1 100); do
    cart=$(curl -s "$BASE/Cart" -H "Authorization: Bearer $token")
    case "$cart" in *badger-night-light*) break ;; esac
    sleep 0.2
  done
  if [ "$cart" = '{"cart":[{"id":"badger-night-light","quantity":4}]}' ]; then
    pass "the cart survived a restart of its primary ($holder), served again $(since "$started") s after it began"
  else
    fail "the cart survived a restart of its primary ($holder) (got: $cart)"
  fi
fi

[ "$failed" -gt 0 ] && show_logs
echo "--- down"
started=$(date +%s)
if docker-compose down -v >/dev/null 2>&1; then pass "down -v in $(($(date +%s) - started)) s"; else fail "down -v"; fi
summary
[ "$failed" -eq 0 ]
