#!/usr/bin/env bash
# Install everything netdiscover needs on a Debian machine (run as root), idempotently:
# Debian packages (.ci/apt-packages.txt), a virtualenv in .venv with the package and its test
# extras, the SNMP simulator's own virtualenv used by the lab, and a symlink
# /usr/local/bin/netdiscover -> .venv/bin/netdiscover so `netdiscover` (and `sudo netdiscover`)
# works from any directory. Safe to run again.
#   NETDISCOVER_BIN_DIR=DIR   put the symlink in DIR instead of /usr/local/bin
#   setup.sh --link-only      only (re)create the symlink
set -euo pipefail
cd "$(dirname "$0")/.."

# Link the venv's command into a directory on PATH. A symlink there (an earlier clone's) is
# replaced; a real file is left alone with a warning.
link_cli() {
  local bin_dir="${NETDISCOVER_BIN_DIR:-/usr/local/bin}"
  local target="$PWD/.venv/bin/netdiscover"
  local link="$bin_dir/netdiscover"
  if [ ! -x "$target" ]; then
    echo "setup: $target does not exist yet; run scripts/setup.sh first" >&2
    return 2
  fi
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    echo "setup: warning: $link exists and is not a symlink; left alone (run $target instead)" >&2
    return 0
  fi
  mkdir -p "$bin_dir"
  ln -sfn "$target" "$link"
  echo "setup: $link -> $target"
}

if [ "${1:-}" = "--link-only" ]; then
  link_cli
  exit $?
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages and builds network-namespace labs)" >&2
  exit 2
fi

mapfile -t wanted < <(grep -v '^\s*#' .ci/apt-packages.txt | sed 's/\s.*//' | grep -v '^$' | sort -u)
missing=()
for pkg in "${wanted[@]}" python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Services installed above must not run on the host itself: the lab starts its own copies
# inside namespaces.
for svc in snmpd avahi-daemon nmbd smbd miniupnpd lldpd radvd dnsmasq; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

if .venv/bin/python -c "import netdiscover_lab.snmp_agents" 2>/dev/null; then
  .venv/bin/python -m netdiscover_lab.snmp_agents --setup
fi
link_cli
echo "setup: done"
