"""SNMP discovery: interrogation of agents.

Modules: scanner: the sweep; ber: encoder/decoder; client: the UDP request engine; walk: table
walks; tables: the MIB tables read. This file holds only the method's descriptor, so it stays
cheap to import.
"""

from netdiscover.scanners.descriptor import Needs, Option, ScannerDescriptor

DEPTHS = ("basic", "system", "full")

DESCRIPTOR = ScannerDescriptor(
    name="snmp",
    summary="SNMP interrogation of every agent: system group, interfaces, chassis, and what routers "
            "and switches know (ARP caches, forwarding tables, LLDP)",
    scan="netdiscover.scanners.snmp.scanner.scan",
    needs=Needs(credentials=True),
    options=(
        Option("snmp_depth", str, "full", "basic: system group only; system: fingerprint facts; "
               "full: everything, with neighbour and switch-port tables", choices=DEPTHS),
        Option("snmp_concurrency", int, 64, "agents interrogated at once (at most 4096)"),
        Option("snmp_contacts", int, 1024, "most addresses awaiting a first answer at once (at most 16384; "
               "most have no agent and only wait out the first-contact timeout); the sweep adapts below "
               "that when first answers come slowly"),
        Option("snmp_inflight", int, 256, "most requests to answering agents awaiting replies at once; "
               "the sweep adapts below that when replies time out"),
        Option("snmp_timeout", float, 1.0, "first-contact timeout, seconds (the sweep's timeout overrides)"),
        Option("snmp_retries", int, 1, "first-contact retries (the sweep's retries override)"),
        Option("snmp_walk_timeout", float, 2.0, "timeout once an agent has answered, seconds"),
        Option("snmp_walk_retries", int, 1, "retries once an agent has answered"),
        Option("snmp_port", int, 161, "UDP port of the agents"),
        Option("snmp_max_repetitions", int, 50, "GETBULK max-repetitions"),
        Option("snmp_initial_repetitions", int, 10, "GETBULK max-repetitions of a table's first request"),
        Option("snmp_max_rows", int, 50_000, "rows read per agent"),
        Option("snmp_max_column_rows", int, 20_000, "rows read per table column"),
        Option("snmp_max_bytes", int, 8 << 20, "reply bytes read per agent"),
        Option("snmp_agent_seconds", float, 60.0, "time spent per agent, seconds"),
    ),
    default_position=2,
)
