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

start_clean
build_all || { summary; exit 1; }

echo "--- up: 6 Redis nodes, the cluster's creation, 3 services"
up_healthy 9
init_log=$(docker-compose logs --no-color redis-cluster-init 2>/dev/null)
if grep -q 'All 16384 slots covered' <<<"$init_log" && grep -q 'cluster_state:ok on all 6 nodes' <<<"$init_log"; then
  pass "redis-cluster-init created a cluster of 3 primaries and 3 replicas"
else
  fail "redis-cluster-init created the cluster"
fi
smoke "1 instance each"

echo "--- scale inventory=3 checkout=2"
up_healthy 12 --scale inventory=3 --scale checkout=2
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
token=$(session_with_a_cart)
holder=$(primary_of_cart badger-night-light 4)
if [ -z "$holder" ]; then
  fail "found the primary that holds the cart"
else
  echo "the cart is on $holder"
  started=$(date +%s.%N)
  docker-compose restart "$holder" >/dev/null 2>&1
  # Back within the node timeout (5 s), the node stays primary; later, its replica takes over.
  if got=$(cart_comes_back "$token" 100); then
    pass "the cart survived a restart of its primary ($holder), served again $(since "$started") s after it began"
  else
    fail "the cart survived a restart of its primary ($holder) ($got)"
  fi
fi

finish
