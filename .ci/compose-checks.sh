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

# docker-compose up -d with the arguments after $1, then a check that $1 containers become healthy.
up_healthy() {
  local want=$1 started seconds
  shift
  started=$(date +%s.%N)
  docker-compose up -d "$@" >/dev/null 2>&1 || fail "docker-compose up -d $*"
  if seconds=$(wait_healthy "$want" "$started"); then
    pass "up to all $want containers healthy in ${seconds} s"
  else
    fail "$want containers healthy"
  fi
}

# Takes down what an earlier run left, now and again when the script exits.
start_clean() {
  trap 'docker-compose down -v --remove-orphans >/dev/null 2>&1 || true' EXIT
  docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
}

# Builds the smoke suite and the images; on a failure shows why and returns 1.
build_all() {
  npx nx run e2e:build --outputStyle=static >/dev/null || { fail "build the smoke suite"; return 1; }
  echo "--- docker-compose build"
  local build_started build_log
  build_started=$(date +%s)
  build_log=$(mktemp)
  if ! docker-compose build >"$build_log" 2>&1; then
    tail -40 "$build_log"
    fail "docker-compose build"
    return 1
  fi
  echo "images built in $(($(date +%s) - build_started)) s"
}

# A new session whose cart holds 4 night lights; prints its token.
session_with_a_cart() {
  local token
  token=$(curl -s -X POST "$BASE/session" | sed -E 's/.*"token":"([^"]+)".*/\1/')
  curl -s -o /dev/null -X POST "$BASE/Cart/Item" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"id":"badger-night-light","quantity":4}'
  echo "$token"
}

# Reads the cart of session $1 until it shows its night lights, at most $2 times 0.2 s; succeeds when it
# is exactly the cart session_with_a_cart made.
cart_comes_back() {
  local cart=""
  for _ in $(seq 1 "$2"); do
    cart=$(curl -s "$BASE/Cart" -H "Authorization: Bearer $1")
    case "$cart" in *badger-night-light*) break ;; esac
    sleep 0.2
  done
  [ "$cart" = '{"cart":[{"id":"badger-night-light","quantity":4}]}' ] || { echo "got: $cart"; return 1; }
}

# The end of a compose check: the logs if something failed, down -v, the summary, and the exit status.
finish() {
  [ "$failed" -gt 0 ] && show_logs
  echo "--- down"
  local started
  started=$(date +%s)
  if docker-compose down -v >/dev/null 2>&1; then
    pass "down -v in $(($(date +%s) - started)) s"
  else
    fail "down -v"
  fi
  summary
  [ "$failed" -eq 0 ]
}
