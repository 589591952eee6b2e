#!/usr/bin/env bash
# Make sure the brokers of the several-sites tests answer: RabbitMQ on 127.0.0.1:5672 (guest/guest)
# and Redis on 127.0.0.1:6379. Installs Debian's servers when missing, starts them when stopped.
# Prints "rabbitmq: ok" and "redis: ok" on success.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }
install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
  return 1
}

if ! port_open 5672; then
  command -v rabbitmq-server >/dev/null || { echo "rabbitmq: installing the Debian server"; install rabbitmq-server; }
  # no systemd in containers: start the node detached; a running node just refuses a second one
  (service rabbitmq-server start || rabbitmq-server -detached) >/dev/null 2>&1 || true
  wait_port 5672 || { echo "rabbitmq: server did not come up on 127.0.0.1:5672" >&2; exit 1; }
  rabbitmqctl -q await_startup >/dev/null 2>&1 || true
fi
echo "rabbitmq: ok"

if ! port_open 6379; then
  command -v redis-server >/dev/null || { echo "redis: installing the Debian server"; install redis-server; }
  (service redis-server start || redis-server --bind 127.0.0.1 --port 6379 --daemonize yes) >/dev/null 2>&1 || true
  wait_port 6379 || { echo "redis: server did not come up on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "redis: ok"
