#!/usr/bin/env bash
# Install (when missing) and start what the test suite needs; safe to run again and again.
#
#  - Debian packages: docker.io debootstrap docker-registry apache2-utils haproxy groovy openssl
#    curl git graphviz docker-compose ant (Ant's glob matcher, on Groovy's class path, for the
#    branch-glob tests)
#    (apt-get only when one of them is missing).
#  - dockerd in the background when /var/run/docker.sock does not answer: overlay2 first,
#    vfs when overlay2 cannot start (nested or odd file systems), never touching iptables and
#    without the default bridge (tests use host networking). Log: /var/log/jenkinsgen-dockerd.log
#  - The registry and HAProxy are started by the tests' own fixtures on 127.0.0.1 ports.
#
# Needs root for apt-get and dockerd (CI runs as root). Exits non-zero with one line saying why.
set -euo pipefail

PACKAGES=(docker.io debootstrap docker-registry apache2-utils haproxy groovy openssl curl git graphviz docker-compose ant)
# Overridable to try the start-up path beside a running engine (own socket, state and pid).
SOCK=${JENKINSGEN_DOCKERD_SOCK:-/var/run/docker.sock}
STATE=${JENKINSGEN_DOCKERD_STATE:-}
LOG=${JENKINSGEN_DOCKERD_LOG:-/var/log/jenkinsgen-dockerd.log}
PIDFILE=${STATE:-/var/run}/jenkinsgen-dockerd.pid
say() { echo "ci-services: $*"; }
die() { echo "ci-services: $*" >&2; exit 1; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "packages missing (${missing[*]}) and not root to install them"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
  # The packaged registry service is not what the tests use; they start their own.
  if command -v systemctl >/dev/null && systemctl is-active -q docker-registry 2>/dev/null; then
    systemctl stop docker-registry || true
  fi
fi

docker_answers() { docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if docker_answers; then
  say "dockerd already answers on $SOCK"
  exit 0
fi
[[ $(id -u) == 0 ]] || die "dockerd is not running and starting it needs root"
# pgrep (procps) may itself be missing on a fresh machine: then no dockerd is assumed.
if [[ -z $STATE ]] && command -v pgrep >/dev/null && pgrep -x dockerd >/dev/null; then
  say "dockerd is running but not answering yet; waiting"
else
  start_dockerd() {
    local extra=()
    if [[ -n $STATE ]]; then
      mkdir -p "$STATE"
      extra=(--data-root="$STATE/data" --exec-root="$STATE/exec" --pidfile="$STATE/docker.pid")
    fi
    say "starting dockerd (storage driver $1)"
    nohup dockerd --host="unix://$SOCK" --storage-driver="$1" "${extra[@]}" \
      --iptables=false --ip6tables=false --bridge=none >>"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
  }
  wait_for_docker() {
    local pid=$1
    for _ in $(seq 1 120); do
      docker_answers && return 0
      kill -0 "$pid" 2>/dev/null || return 1
      sleep 0.5
    done
    return 1
  }
  start_dockerd overlay2
  if ! wait_for_docker "$(cat "$PIDFILE")"; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    sleep 2
    start_dockerd vfs
  fi
fi
for _ in $(seq 1 120); do
  if docker_answers; then
    say "dockerd $(docker -H "unix://$SOCK" version --format '{{.Server.Version}}') answers on $SOCK"
    exit 0
  fi
  sleep 0.5
done
die "dockerd did not answer on $SOCK within 60s (see $LOG)"
