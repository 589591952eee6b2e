#!/usr/bin/env bash
# The whole product in one command (run as root on Debian with Python 3.11+):
# install what is missing, build the simulated office network (namespaces on this machine only),
# import its sample inventory, sweep it with ARP + SNMP + Nmap + IoT discovery into the default
# SQLite database, and show what nobody documented. Safe to run twice. Afterwards `netdiscover`
# is on PATH (setup.sh links /usr/local/bin/netdiscover to .venv/bin/netdiscover).
set -euo pipefail
cd "$(dirname "$0")/.."

ND=".venv/bin/netdiscover"
OUT="${NETDISCOVER_DEMO_OUT:-out}"
mkdir -p "$OUT"
echo "== 0. installing what is missing (log: $OUT/setup.log)"
if ! bash scripts/setup.sh >"$OUT/setup.log" 2>&1; then
  tail -n 20 "$OUT/setup.log" >&2
  exit 1
fi

# setup.sh linked `netdiscover` onto PATH (/usr/local/bin); suggest the short name when it works.
SHOW="$ND"
if [ "$(readlink -f "$(command -v netdiscover 2>/dev/null || true)" 2>/dev/null)" = "$(readlink -f "$ND")" ]; then
  SHOW="netdiscover"
  echo "   netdiscover is on PATH: $(command -v netdiscover) -> $(readlink -f "$ND")"
else
  echo "   netdiscover is not on PATH here; run it as $ND"
fi

echo "== 1. building the office network"
"$ND" lab up --inventory "$OUT/office-inventory.csv"
"$ND" lab status

echo
echo "== 2. importing what the office's admins documented ($OUT/office-inventory.csv)"
"$ND" inventory import "$OUT/office-inventory.csv"

echo
echo "== 3. sweeping 10.20.0.0/24 (office LAN) and 10.30.0.0/24 (routed servers)"
start=$(date +%s.%N)
"$ND" lab exec -- netdiscover scan 10.20.0.0/24 10.30.0.0/24 --iface eth0 \
  -m arp -m iot -m snmp -m nmap --community public --name office-demo
end=$(date +%s.%N)
python3 -c "import sys; print(f'sweep took {float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$start" "$end"

echo
echo "== 4. what nobody documented"
"$ND" report unknown
"$ND" report unknown --format html -o "$OUT/unknown-devices.html"

cat <<EOT

The HTML report is in $OUT/unknown-devices.html (open it in a browser).
Try next:
  $SHOW assets list                         # everything in the asset database
  $SHOW assets show 10.20.0.71              # one device, with its addresses and services
  $SHOW fingerprint explain 10.20.0.71      # why netdiscover thinks it is a camera
  $SHOW review approve <ID> --note "ours" --by you
  $SHOW report changes --since 1h
  sudo $SHOW lab exec -- netdiscover scan 10.20.0.0/24 -m arp    # sweep again: no duplicates
  sudo $SHOW lab down                       # remove the lab
EOT
