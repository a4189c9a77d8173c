# Sourced by the compose checks (.ci/compose-smoke.sh, .ci/compose-cluster-smoke.sh): counting
# checks, waiting for healthy containers, the smoke suite, and the logs shown when something failed.
# Expects COMPOSE_PROJECT_NAME and BASE (the gateway's URL) to be set.
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "  ok    $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL  $*"; }
# Seconds since $1 (a date +%s.%N), to a tenth.
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# Waits until `want` containers of the project report healthy; prints the seconds it took.
wait_healthy() {
  local want=$1 started=$2 n=0
  for _ in $(seq 1 240); do
    n=$(docker ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter health=healthy -q | wc -l)
    if [ "$n" -ge "$want" ]; then
      since "$started"
      return 0
    fi
    sleep 0.5
  done
  echo "only $n of $want containers healthy" >&2
  return 1
}

smoke() {
  local label=$1
  shift
  if node dist/apps/e2e/smoke.js "$BASE" "$@"; then pass "smoke suite ($label)"; else fail "smoke suite ($label)"; fi
}

show_logs() {
  echo "--- container logs"
  docker-compose logs --no-color --tail=80 || true
}
