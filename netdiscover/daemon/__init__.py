"""The daemon, a front door: configured sweeps on their schedules, passive ``[[listen]]`` jobs,
queued web requests, alerts and metrics, for months unattended.

runner.py: the ``Daemon`` loop (``netdiscover daemon``); schedule.py: intervals, cron, catch-up;
listen.py: passive listening jobs; alerts.py: webhooks and syslog; metrics.py: Prometheus.
"""
