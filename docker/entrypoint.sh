#!/bin/bash
# Entrypoint of the runtime image: runs `workerd serve "$@"`.
#
# Why a wrapper: workerd resolves an `external` service address once, at start,
# and keeps that IP. If the coordinator container gets a new IP (recreated, or
# restarted after another container took its old address), a backend would keep
# calling the old IP and return 503 until restarted by hand.
#
# So when COORDINATOR_TARGET is set (host:port, e.g. coordinator:8790), this
# script resolves the host itself, passes the IP to workerd with
# `--external-addr coordinator=IP:PORT`, checks the name every
# COORDINATOR_RECHECK_SECONDS, and restarts workerd when the IP changes.
# With COORDINATOR_TARGET empty (the coordinator itself), it just execs workerd.
set -euo pipefail

target=${COORDINATOR_TARGET:-}
recheck_seconds=${COORDINATOR_RECHECK_SECONDS:-2}
wait_seconds=${COORDINATOR_WAIT_SECONDS:-120}

if [[ -z $target ]]; then
  exec workerd serve "$@"
fi

host=${target%:*}
port=${target##*:}
[[ -n $host && -n $port && $host != "$target" ]] || {
  echo "{\"level\":\"error\",\"event\":\"bad_coordinator_target\",\"value\":\"$target\",\"expected\":\"host:port\"}" >&2
  exit 2
}

log_event() {
  printf '{"time":"%s","event":"%s","coordinator":"%s","address":"%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$target" "${2:-}"
}

# Prints the first IPv4 address of $host, or nothing.
resolve_host() {
  local address _rest
  read -r address _rest < <(getent ahostsv4 "$host" 2>/dev/null) || true
  printf '%s' "${address:-}"
}

address=""
for ((waited = 0; waited < wait_seconds; waited++)); do
  address=$(resolve_host)
  [[ -n $address ]] && break
  ((waited % 10 == 0)) && log_event coordinator_unresolved
  sleep 1
done
if [[ -z $address ]]; then
  log_event coordinator_unresolved_giving_up
  exit 1
fi

child=0
stop_child() {
  if ((child > 0)); then kill -TERM "$child" 2>/dev/null || true; fi
  wait "$child" 2>/dev/null || true
}
trap 'stop_child; exit 143' TERM INT

while true; do
  log_event workerd_start "$address:$port"
  workerd serve "$@" --external-addr "coordinator=$address:$port" &
  child=$!
  while kill -0 "$child" 2>/dev/null; do
    # Background sleep + wait keeps the TERM trap responsive.
    sleep "$recheck_seconds" &
    wait $! || true
    next=$(resolve_host)
    if [[ -n $next && $next != "$address" ]]; then
      log_event coordinator_moved "$next:$port"
      stop_child
      address=$next
      continue 2
    fi
  done
  # workerd stopped on its own: report its status, as a plain exec would.
  status=0
  wait "$child" || status=$?
  exit "$status"
done
