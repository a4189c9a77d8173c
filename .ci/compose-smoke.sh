#!/usr/bin/env bash
# CI's check of the container path: build the images, bring the compose stack up healthy, fetch the
# page and the API document from the gateway, run the smoke suite at one and at three inventory
# replicas, restart Redis and check a cart survived, tear down. Expects a running Docker engine;
# NODE_IMAGE and REDIS_IMAGE may point at local stand-ins.
# Prints "compose: N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."

export COMPOSE_PROJECT_NAME=storefront-ci
BASE=http://127.0.0.1:${GATEWAY_PORT:-3000}
# shellcheck source=compose-checks.sh
source .ci/compose-checks.sh

summary() { echo "compose: $passed passed, $failed failed"; }

start_clean
build_all || { summary; exit 1; }
for app in gateway inventory checkout; do
  docker image inspect -f "image $app: {{.Size}}" "${COMPOSE_PROJECT_NAME}_${app}" |
    awk '{ printf "%s %.0f MB\n", $1" "$2, $3 / 1e6 }'
done

echo "--- up"
up_healthy 4
smoke "1 replica each"

echo "--- the page, the API document and its renderer, from the gateway's image"
for path_type in "/ text/html" "/openapi.json application/json" "/docs text/html" \
  "/docs/swagger-ui-bundle.js javascript"; do
  path=${path_type% *}
  type=${path_type#* }
  got=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$BASE$path")
  case "$got" in
    "200 "*"$type"*) pass "GET $path: $got" ;;
    *) fail "GET $path: $got" ;;
  esac
done

echo "--- scale inventory=3 checkout=2"
up_healthy 7 --scale inventory=3 --scale checkout=2
# The gateway looks the service names up again every 5 s.
sleep 5
smoke "inventory x3, checkout x2" --min-instances inventory=3 --min-instances checkout=2

echo "--- restart Redis"
token=$(session_with_a_cart)
docker-compose restart redis >/dev/null 2>&1
if got=$(cart_comes_back "$token" 50); then
  pass "the cart survived a Redis restart"
else
  fail "the cart survived a Redis restart ($got)"
fi

finish
