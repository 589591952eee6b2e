#!/usr/bin/env bash
# Set up (as root) and run the whole netdiscover test suite: unit tests, SQLite and PostgreSQL
# storage tests, and the network-namespace lab tests against real nmap, snmpd and snmpsim.
# Usage: sudo ./scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/postgres.sh
bash scripts/services.sh

db="netdiscover_test_$(date +%s)_$$"
psql -h 127.0.0.1 -U postgres -d postgres -qc "create database $db" >/dev/null
cleanup() {
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
export NETDISCOVER_TEST_PG="postgresql+psycopg://postgres@127.0.0.1:5432/$db"

.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
