#!/bin/bash
# Container health probe without curl or wget: the slim runtime image has bash,
# and bash can open a TCP connection through /dev/tcp. Sends one HTTP/1.1 GET
# to 127.0.0.1 and succeeds only when the response status is 200.
#
#   healthcheck.sh [PORT] [PATH]   defaults: 8080 /readyz (a backend)
#   healthcheck.sh 8790 /v1/ready  the coordinator
#
# When COORDINATOR_SECRET is set in the container, it is sent in the
# x-coordinator-secret header, which the coordinator requires.
set -euo pipefail

port=${1:-8080}
path=${2:-/readyz}
secret_header=""
if [[ -n ${COORDINATOR_SECRET:-} ]]; then
  secret_header="x-coordinator-secret: ${COORDINATOR_SECRET}"$'\r\n'
fi

# Loopback connects complete at once. `read -t` bounds a server that accepts
# but never responds, and Docker's own healthcheck timeout backs it up.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n' "$path" "$secret_header" >&3
if ! IFS= read -r -t 3 status_line <&3; then
  echo "unhealthy: no response on port $port within 3 s" >&2
  exit 1
fi
status_line=${status_line%$'\r'}
case $status_line in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *)
    echo "unhealthy: $status_line" >&2
    exit 1
    ;;
esac
