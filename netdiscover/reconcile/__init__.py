"""Reconciliation: merge one sweep's observations into the asset database, deciding identity.

The only code that decides which device an observation belongs to (rules in DESIGN.md):
serial number (+ vendor), SNMP engine ID, a globally unique MAC, then for randomised MACs the
DHCP identity key the passive listener recorded (kept on the interface row) or the hostname,
both within a site, and an IP alone only when nothing better exists. Router ARP-table
entries (NEIGHBOUR) create and update devices by IP + MAC; switch forwarding-table entries
(LOCATION) only place a known MAC on a switch port.

A sweep is reconciled in one transaction that holds the database's write lock from the
start, so two sweeps never decide on the same stale picture and a crash leaves the
database as it was. The work is set-based: identities are preloaded with a few chunked
queries and rows are written with executemany, so 100k devices take seconds, not hours.

Absence is evidence only from a method that could have seen the device there (ARP on the
scanner's own segment, nmap host discovery, SNMP where the device answered SNMP before; never
IoT announcements or routers' ARP tables), and only after a grace (missed by 2 such sweeps
and unseen for an hour, by default): ``absence``. Documented values (inventory, operator) win
over observed ones, and a sweep that disagrees leaves a discrepancy: ``sources`` and
``discrepancies``.

The steps, one module each, composed by ``services.reconcile``: ``grouping`` (observations ->
devices, pure), ``summary`` (one device's observations merged, pure), ``fingerprint_merge``
(best value per fingerprint field), ``matching`` (devices -> existing assets, reading candidates
through ``storage.identities``), then planners that turn decisions into a
``storage.write_plan.WritePlan``: ``known`` (matched assets), ``ip_moves``, ``absence`` (who is
missed, who is gone), ``new_assets``, ``discrepancies`` and ``locations`` (switch ports). They
share the sweep's ``context``; ``storage.sweep_writes`` reads for them and writes the plans.
"""

from __future__ import annotations

from netdiscover.reconcile.absence import Grace, coverage_of
from netdiscover.reconcile.context import ReconcileResult
from netdiscover.reconcile.fingerprint_merge import merge_fingerprint
from netdiscover.reconcile.grouping import Device, group_devices
from netdiscover.reconcile.summary import Summary, summarise

__all__ = ["Device", "Grace", "ReconcileResult", "Summary", "coverage_of", "group_devices",
           "merge_fingerprint", "summarise"]
