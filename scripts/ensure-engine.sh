#!/usr/bin/env bash
# Make sure a Docker engine answers and the offline sample tools are present.
# Does nothing when an engine already answers. Otherwise, as root on Debian,
# installs docker.io and starts dockerd with no iptables and no bridge (this
# workplace has no network beyond the package mirrors). Anything else: says
# what the user must do and fails.
set -euo pipefail

say() { printf 'ensure-engine: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

is_root() { [ "$(id -u)" -eq 0 ]; }
is_debian() { [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --test-tools: also the tools the test suite drives (headless Chromium renders the HTML report).
want_test_tools=0
[ "${1:-}" = "--test-tools" ] && want_test_tools=1

# The samples build their root filesystems from a static busybox: no registry needed.
is_static_busybox() {
  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'
  else
    [ -x /bin/busybox ]
  fi
}
if ! is_static_busybox; then
  if is_root && is_debian; then
    apt_install busybox-static
  else
    die "the samples need a static busybox at /bin/busybox. Install it (Debian: sudo apt-get install busybox-static) and run again."
  fi
fi

# Triage itself reads file capabilities and overlay attributes with getfattr (package attr):
# the demo and the samples get it too, not only the tests.
if ! command -v getfattr >/dev/null 2>&1; then
  if is_root && is_debian; then
    apt_install attr
  else
    say "getfattr is missing: triage will say file capabilities were not collected. Install it (Debian: sudo apt-get install attr)."
  fi
fi

# Headless Chromium renders the HTML report; tmux drives the console end to end; getfattr
# (package attr) reads the overlay attributes of a dead box's layers, and the tests set them;
# curl carries the real-service samples' attacks over HTTP; sshd and ssh-agent serve the
# test of an engine reached over ssh (on 127.0.0.1 only); yara runs --rules; setfattr sets a
# file capability on a test container's layer; rpm and rpmbuild write the RPM database an
# image is judged by, and db5.3_load the Berkeley DB one of older rpm.
for pair in chromium:chromium tmux:tmux getfattr:attr setfattr:attr curl:curl sshd:openssh-server ssh-agent:openssh-client yara:yara rpm:rpm rpmbuild:rpm db5.3_load:db5.3-util; do
  tool=${pair%%:*} package=${pair#*:}
  if [ "$want_test_tools" -eq 1 ] && ! command -v "$tool" >/dev/null 2>&1; then
    if is_root && is_debian; then
      apt_install "$package"
    else
      die "the tests need $tool, which is missing. Install it (Debian: sudo apt-get install $package) and run again."
    fi
  fi
done

# The Podman tests run coroner against Podman's Docker-compatible service too.
if [ "$want_test_tools" -eq 1 ]; then
  bash "$(dirname "$0")/ensure-podman.sh"
fi

if engine_answers; then
  say "a Docker engine answers ($(docker version --format '{{.Server.Version}}')); nothing to do"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  die "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST. Start that engine, or unset DOCKER_HOST to use a local one."
fi
if ! is_root; then
  die "no Docker engine answers and this is not root, so coroner cannot start one. Start dockerd (or add yourself to the docker group) and run again."
fi
if ! is_debian; then
  die "no Docker engine answers and this is not Debian, so coroner does not know how to install one. Install and start Docker Engine, then run again."
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  apt_install docker.io
fi

# A dockerd that is still running (starting, or shutting down) must not get a twin.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ]; then
  old=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
    say "dockerd (pid $old) is running but not answering yet; waiting for it"
    for _ in $(seq 1 30); do
      engine_answers && { say "dockerd answers"; exit 0; }
      kill -0 "$old" 2>/dev/null || break
      sleep 1
    done
  fi
  engine_answers && exit 0
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
    die "dockerd (pid $old) runs but does not answer. Stop it (kill $old) or check its log, then run again."
  fi
  say "removing the stale $pidfile of a dockerd that is gone"
  rm -f "$pidfile"
fi

log=/var/log/coroner-dockerd.log
say "starting dockerd --iptables=false --bridge=none (log: $log)"
setsid nohup dockerd --iptables=false --bridge=none >"$log" 2>&1 < /dev/null &
daemon=$!

for _ in $(seq 1 60); do
  if engine_answers; then
    say "dockerd answers ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  kill -0 "$daemon" 2>/dev/null || break
  sleep 1
done
tail -n 20 "$log" >&2 || true
die "dockerd did not answer within 60 s; its last log lines are above (full log: $log)."
