#!/usr/bin/env bash
# End-to-end check of docker-compose.yml on a real Docker engine
# (`npm run test:compose`). From the host, over 127.0.0.1, it asserts that:
#   - the session limit is enforced across both backends (5 x 200, then 429 + Retry-After);
#   - `docker-compose restart coordinator` mid-window keeps the session's count;
#   - a foreign fingerprint for a known session gets 403 (ANOMALY_MODE=enforce);
#   - parallel requests of distinct sessions get exactly GLOBAL_LIMIT 200s;
#   - the project's simulator, run against the stack, stays within both limits.
# Windows are shortened through the environment. Everything is torn down
# (`down -v`) on exit, failure included. The last line is "N passed, N failed".
#
# Uses a running engine; as root without one it installs docker.io,
# docker-compose and debootstrap with apt-get and starts dockerd (stopped again
# at the end). Exits 77 with a SKIP line when no engine can be had.
#
# Settings (environment): GLOBAL_LIMIT (30), GLOBAL_WINDOW_SECONDS (6),
# SESSION_LIMIT (5), SESSION_WINDOW_SECONDS (20; must outlast a coordinator
# restart), BACKEND1_HOST_PORT (8080), BACKEND2_HOST_PORT (8081),
# PARALLEL_SESSIONS (40), SIMULATOR_DURATION_SECONDS (10), COMPOSE (command).
# Other service settings are reset to their defaults so results do not depend
# on the caller's environment.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT_DIR"

unset COORDINATOR_TIMEOUT_MS FAIL_MODE MAX_BODY_BYTES CLIENT_IP_HEADER RISK_PERIOD_SECONDS \
  QUARANTINE_SECONDS QUARANTINE_MIN_FOREIGN QUARANTINE_FOREIGN_PERCENT OWNER_CONFIRMATIONS \
  MAX_OWNER_CANDIDATES IPV4_NETWORK_PREFIX IPV6_NETWORK_PREFIX SESSION_SHARDS SIMULATOR_CLIENTS
export ANOMALY_MODE=enforce
export GLOBAL_LIMIT=${GLOBAL_LIMIT:-30}
export GLOBAL_WINDOW_SECONDS=${GLOBAL_WINDOW_SECONDS:-6}
export SESSION_LIMIT=${SESSION_LIMIT:-5}
export SESSION_WINDOW_SECONDS=${SESSION_WINDOW_SECONDS:-20}
export BACKEND1_HOST_PORT=${BACKEND1_HOST_PORT:-8080}
export BACKEND2_HOST_PORT=${BACKEND2_HOST_PORT:-8081}
export PUBLISH_ADDRESS=127.0.0.1
export SIMULATOR_DURATION_SECONDS=${SIMULATOR_DURATION_SECONDS:-10}
COORDINATOR_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export COORDINATOR_SECRET
PARALLEL_SESSIONS=${PARALLEL_SESSIONS:-40}
PROJECT="esgtest$$$(date +%s)"
READY_TIMEOUT_SECONDS=90
UA_OWNER='Mozilla/5.0 (X11; Linux x86_64)'
UA_OTHER='Mozilla/5.0 (iPhone; CPU iPhone OS 14_0 like Mac OS X)'

PASSED=0
FAILED=0
SKIPPED=0
DOCKERD_PID=""
STACK_UP=0
INTERRUPTED=0
WORK_DIR=$(mktemp -d)
TEST_STARTED_S=$(date +%s)

log() { printf '[test-compose] %s\n' "$*"; }
pass() {
  PASSED=$((PASSED + 1))
  printf 'ok   %s\n' "$1"
}
fail() {
  FAILED=$((FAILED + 1))
  printf 'FAIL %s: %s\n' "$1" "$2"
}
skip() {
  SKIPPED=$((SKIPPED + 1))
  printf 'skip %s: %s\n' "$1" "$2"
}
now_ms() { date +%s%3N; }

compose() { $COMPOSE -p "$PROJECT" "$@"; }

print_summary() {
  local line="$PASSED passed, $FAILED failed"
  if ((SKIPPED > 0)); then line+=", $SKIPPED skipped"; fi
  printf '%s\n' "$line"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if ((INTERRUPTED)); then status=130; fi
  if ((STACK_UP)); then
    if ((FAILED > 0 || status != 0)); then
      log "container states (name, restarts, exit code, OOM-killed):"
      print_container_states || true
      log "last log lines of each service:"
      compose logs --no-color --timestamps --tail 25 2>&1 | cut -c1-400 || true
    fi
    log "tearing down project $PROJECT (down -v)"
    compose down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || log "warning: down -v failed"
  fi
  if [[ -n $DOCKERD_PID ]]; then
    log "stopping the dockerd this script started (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  fi
  rm -rf "$WORK_DIR"
  log "took $(($(date +%s) - TEST_STARTED_S)) s"
  print_summary
  if ((status == 0 && FAILED > 0)); then status=1; fi
  exit "$status"
}
# A signal ends the run through cleanup, with status 130 whatever was running.
on_signal() {
  INTERRUPTED=1
  fail "run completes" "interrupted by a signal"
  exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

# Sleeps in the background and waits for it, so a signal is handled at once
# instead of after the sleep.
pause() {
  sleep "$1" &
  wait $! || true
}

skip_all() {
  printf 'SKIP test:compose: %s\n' "$1"
  trap - EXIT
  if [[ -n $DOCKERD_PID ]]; then kill "$DOCKERD_PID" 2>/dev/null || true; fi
  rm -rf "$WORK_DIR"
  exit 77
}

project_containers() { docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"; }

print_container_states() {
  local ids
  ids=$(project_containers)
  # shellcheck disable=SC2086 # one argument per container id
  [[ -z $ids ]] || docker inspect -f \
    '  {{.Name}} restarts={{.RestartCount}} exit={{.State.ExitCode}} oom={{.State.OOMKilled}} {{.State.Status}}' $ids
}

# --- engine -----------------------------------------------------------------

install_engine_packages() {
  log "installing docker.io docker-compose debootstrap curl with apt-get"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
    docker.io docker-compose debootstrap curl; } >"$WORK_DIR/apt.log" 2>&1 ||
    skip_all "apt-get could not install Docker (see output above): $(tail -3 "$WORK_DIR/apt.log" | tr '\n' ' ')"
}

ensure_engine() {
  if docker info >/dev/null 2>&1; then
    log "using the running Docker engine"
  else
    [[ $(id -u) == 0 ]] || skip_all "no Docker engine is reachable and this user is not root, so none can be started"
    command -v dockerd >/dev/null 2>&1 || install_engine_packages
    log "starting dockerd (log: /tmp/dockerd.log)"
    dockerd >/tmp/dockerd.log 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || skip_all "dockerd did not start within 60 s (see /tmp/dockerd.log)"
  fi
  if [[ -z ${COMPOSE:-} ]]; then
    if docker compose version >/dev/null 2>&1; then
      COMPOSE="docker compose"
    elif command -v docker-compose >/dev/null 2>&1; then
      COMPOSE="docker-compose"
    elif [[ $(id -u) == 0 ]]; then
      install_engine_packages
      COMPOSE="docker-compose"
    else
      skip_all "neither 'docker compose' nor 'docker-compose' is installed"
    fi
  fi
  command -v curl >/dev/null 2>&1 || { [[ $(id -u) == 0 ]] && install_engine_packages; } ||
    skip_all "curl is needed to probe the backends"
  log "compose command: $COMPOSE ($($COMPOSE version --short 2>/dev/null || echo unknown))"
}

# --- HTTP helpers -----------------------------------------------------------

# post_send PORT SESSION IP USER_AGENT: sets REPLY_STATUS and REPLY_RETRY_AFTER.
post_send() {
  local headers="$WORK_DIR/headers"
  REPLY_STATUS=$(curl -s -m 10 -o "$WORK_DIR/body" -D "$headers" -w '%{http_code}' \
    -X POST -H "X-Session-ID: $2" -H "X-IP-Address: $3" -H "User-Agent: $4" \
    --data 'compose test body' "http://127.0.0.1:$1/send") || REPLY_STATUS=000
  REPLY_RETRY_AFTER=$({ tr -d '\r' <"$headers" | sed -n 's/^[Rr]etry-[Aa]fter: *//p' | tail -n 1; } 2>/dev/null || true)
}

http_status() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$1" || echo 000; }

# Waits until both backends return 200 on /readyz. Returns 1 after the timeout.
wait_ready() {
  local deadline=$(($(date +%s) + $1))
  while (($(date +%s) < deadline)); do
    if [[ $(http_status "http://127.0.0.1:$BACKEND1_HOST_PORT/readyz") == 200 &&
      $(http_status "http://127.0.0.1:$BACKEND2_HOST_PORT/readyz") == 200 ]]; then
      return 0
    fi
    pause 0.5
  done
  return 1
}

random_letters() {
  local letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ out="" i
  for ((i = 0; i < $1; i++)); do out+=${letters:RANDOM%52:1}; done
  printf '%s' "$out"
}
random_ipv4() { printf '%d.%d.%d.%d' $((RANDOM % 223 + 1)) $((RANDOM % 255)) $((RANDOM % 255)) $((RANDOM % 254 + 1)); }
port_of_attempt() { if (($1 % 2)); then echo "$BACKEND2_HOST_PORT"; else echo "$BACKEND1_HOST_PORT"; fi; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- checks -----------------------------------------------------------------

LAST_ADMIT_MS=0
SESSION_ID=""
SESSION_FIFTH_ADMIT_MS=0

check_session_limit() {
  SESSION_ID=$(random_letters 10)
  local statuses=() i
  for ((i = 0; i <= SESSION_LIMIT; i++)); do
    post_send "$(port_of_attempt "$i")" "$SESSION_ID" 203.0.113.10 "$UA_OWNER"
    statuses+=("$REPLY_STATUS")
    if [[ $REPLY_STATUS == 200 ]]; then
      LAST_ADMIT_MS=$(now_ms)
      SESSION_FIFTH_ADMIT_MS=$LAST_ADMIT_MS
    fi
  done
  local expected
  expected="$(printf '200 %.0s' $(seq 1 "$SESSION_LIMIT"))429"
  local name="session limit across both backends: $SESSION_LIMIT x 200 then 429"
  if [[ ${statuses[*]} == "$expected" ]]; then pass "$name"; else fail "$name" "got ${statuses[*]}"; fi
  name="429 carries Retry-After in [1, $SESSION_WINDOW_SECONDS] s"
  if [[ $REPLY_RETRY_AFTER =~ ^[0-9]+$ ]] && ((REPLY_RETRY_AFTER >= 1 && REPLY_RETRY_AFTER <= SESSION_WINDOW_SECONDS)); then
    pass "$name (got $REPLY_RETRY_AFTER)"
  else
    fail "$name" "Retry-After was '${REPLY_RETRY_AFTER}'"
  fi
}

check_restart_keeps_counts() {
  local name="coordinator restart mid-window keeps the session's count (next request 429)"
  local started_ms
  started_ms=$(now_ms)
  if ! compose restart -t 10 coordinator >"$WORK_DIR/restart.log" 2>&1; then
    fail "$name" "restart failed: $(tail -2 "$WORK_DIR/restart.log")"
    return
  fi
  if ! wait_ready 60; then
    fail "$name" "backends not ready within 60 s after the restart"
    return
  fi
  local restart_ms=$(($(now_ms) - started_ms))
  log "coordinator restart until both backends ready: ${restart_ms} ms"
  local elapsed_ms=$(($(now_ms) - SESSION_FIFTH_ADMIT_MS))
  if ((elapsed_ms >= (SESSION_WINDOW_SECONDS - 1) * 1000)); then
    fail "$name" "restart took too long (${elapsed_ms} ms since the last admission, window ${SESSION_WINDOW_SECONDS} s); raise SESSION_WINDOW_SECONDS"
    return
  fi
  post_send "$BACKEND2_HOST_PORT" "$SESSION_ID" 203.0.113.10 "$UA_OWNER"
  if [[ $REPLY_STATUS == 429 ]]; then
    pass "$name (Retry-After $REPLY_RETRY_AFTER)"
  else
    fail "$name" "got $REPLY_STATUS ${elapsed_ms} ms after the fifth admission"
    if [[ $REPLY_STATUS == 200 ]]; then LAST_ADMIT_MS=$(now_ms); fi
  fi
}

check_foreign_fingerprint() {
  local name="foreign fingerprint (same session, other IP and User-Agent) gets 403"
  local session owner_ip
  session=$(random_letters 10)
  owner_ip=$(random_ipv4)
  post_send "$BACKEND1_HOST_PORT" "$session" "$owner_ip" "$UA_OWNER"
  if [[ $REPLY_STATUS != 200 ]]; then
    fail "$name" "the owner's first request got $REPLY_STATUS, expected 200"
    return
  fi
  LAST_ADMIT_MS=$(now_ms)
  post_send "$BACKEND2_HOST_PORT" "$session" "$(random_ipv4)" "$UA_OTHER"
  if [[ $REPLY_STATUS == 403 ]]; then
    pass "$name"
    return
  fi
  if [[ $REPLY_STATUS == 200 ]]; then LAST_ADMIT_MS=$(now_ms); fi
  fail "$name" "got $REPLY_STATUS"
}

check_global_limit() {
  local name="$PARALLEL_SESSIONS parallel distinct sessions: exactly $GLOBAL_LIMIT x 200, rest 429"
  # Start from an empty global window: wait until the last admission has aged out.
  local wait_ms=$((LAST_ADMIT_MS + GLOBAL_WINDOW_SECONDS * 1000 + 1000 - $(now_ms)))
  if ((wait_ms > 0)); then
    log "waiting ${wait_ms} ms for the global window to empty"
    pause "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"
  fi

  # Background jobs reseed $RANDOM and now and then draw the same letters, so
  # the index keeps the session ids distinct.
  local i pids=()
  for ((i = 0; i < PARALLEL_SESSIONS; i++)); do
    curl -s -m 15 -o /dev/null -w '%{http_code}\n' -X POST \
      -H "X-Session-ID: par-$i-$(random_letters 8)" -H "X-IP-Address: $(random_ipv4)" \
      -H "User-Agent: $UA_OWNER" --data 'parallel' \
      "http://127.0.0.1:$(port_of_attempt "$i")/send" >"$WORK_DIR/parallel.$i" 2>/dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done

  local ok=0 limited=0 other=0 code other_codes=""
  for ((i = 0; i < PARALLEL_SESSIONS; i++)); do
    code=$(cat "$WORK_DIR/parallel.$i" 2>/dev/null || echo 000)
    case $code in
      200) ok=$((ok + 1)) ;;
      429) limited=$((limited + 1)) ;;
      *)
        other=$((other + 1))
        other_codes+=" ${code:-none}"
        ;;
    esac
  done

  if ((ok == GLOBAL_LIMIT && limited == PARALLEL_SESSIONS - GLOBAL_LIMIT && other == 0)); then
    pass "$name"
  else
    fail "$name" "got $ok x 200, $limited x 429, $other other (${other_codes# })"
  fi
}

report_footprint() {
  log "image sizes:"
  docker image ls --format '  {{.Repository}}:{{.Tag}} {{.Size}}' |
    grep -E 'edge-session-guard|bookworm-slim' || true
  log "container memory (docker stats --no-stream):"
  local ids
  ids=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT")
  # shellcheck disable=SC2086 # one argument per container id
  [[ -z $ids ]] || docker stats --no-stream \
    --format '  {{.Name}} {{.MemUsage}} cpu {{.CPUPerc}}' $ids 2>/dev/null || true
}

check_simulator() {
  local name="simulator run ($SIMULATOR_DURATION_SECONDS s) stays within both limits (exit 0)"
  if [[ ! -f simulator/cli.ts ]]; then
    skip "$name" "simulator/cli.ts does not exist yet"
    report_footprint
    return
  fi
  local cid status
  cid=$(compose --profile sim run -d --no-deps simulator 2>"$WORK_DIR/sim-run.log" | tail -n 1) || {
    fail "$name" "could not start: $(tail -3 "$WORK_DIR/sim-run.log")"
    return
  }
  pause "$((SIMULATOR_DURATION_SECONDS / 2))"
  report_footprint
  status=$(timeout $((SIMULATOR_DURATION_SECONDS + 60)) docker wait "$cid" 2>/dev/null || echo timeout)
  log "simulator output (last lines):"
  docker logs --tail 15 "$cid" 2>&1 | sed 's/^/  /' || true
  docker rm -f "$cid" >/dev/null 2>&1 || true
  if [[ $status == 0 ]]; then pass "$name"; else fail "$name" "exit status $status"; fi
}

check_no_crashes() {
  local name="no container crashed or was restarted by its restart policy"
  local ids counts
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.oneoff=False")
  # shellcheck disable=SC2086 # one argument per container id
  counts=$(docker inspect -f '{{.Name}}={{.RestartCount}}' $ids 2>/dev/null | tr '\n' ' ')
  if [[ -n $ids && ! $counts =~ =[1-9] ]]; then
    pass "$name"
  else
    fail "$name" "restart counts: ${counts:-none}"
  fi
}

# --- main -------------------------------------------------------------------

main() {
  ((PARALLEL_SESSIONS > GLOBAL_LIMIT)) || skip_all "PARALLEL_SESSIONS ($PARALLEL_SESSIONS) must exceed GLOBAL_LIMIT ($GLOBAL_LIMIT)"
  ((SESSION_LIMIT < GLOBAL_LIMIT)) || skip_all "SESSION_LIMIT must be below GLOBAL_LIMIT for these checks"
  ensure_engine
  for port in "$BACKEND1_HOST_PORT" "$BACKEND2_HOST_PORT"; do
    if port_in_use "$port"; then
      fail "host port $port is free" "something already listens on 127.0.0.1:$port (set BACKEND1_HOST_PORT/BACKEND2_HOST_PORT)"
      exit 1
    fi
  done

  bash scripts/docker-base-images.sh

  local started_s services=(coordinator)
  [[ -f simulator/cli.ts ]] && services+=(simulator)
  started_s=$(date +%s)
  log "building ${services[*]} (project $PROJECT)"
  STACK_UP=1
  if ! compose --profile sim build "${services[@]}" >"$WORK_DIR/build.log" 2>&1; then
    tail -30 "$WORK_DIR/build.log"
    fail "images build" "see the build output above"
    exit 1
  fi
  log "build took $(($(date +%s) - started_s)) s"

  started_s=$(date +%s)
  if ! compose up -d --no-build coordinator backend1 backend2 >"$WORK_DIR/up.log" 2>&1; then
    tail -20 "$WORK_DIR/up.log"
    fail "stack starts" "docker-compose up failed"
    exit 1
  fi
  if wait_ready "$READY_TIMEOUT_SECONDS"; then
    pass "coordinator, backend1 and backend2 start and report ready ($(($(date +%s) - started_s)) s)"
  else
    fail "stack becomes ready" "backends not ready on /readyz within ${READY_TIMEOUT_SECONDS} s"
    exit 1
  fi

  check_session_limit
  check_restart_keeps_counts
  check_foreign_fingerprint
  check_global_limit
  check_simulator
  check_no_crashes
}

main "$@"
