"""IoT discovery: mDNS, SSDP and NetBIOS queries with paced unicast and multicast exchanges.

Modules: scanner: the exchanges; mdns, ssdp, netbios: one protocol each, as data. This file holds
only the method's descriptor, so it stays cheap to import.
"""

from netdiscover.scanners.descriptor import Needs, Option, ScannerDescriptor

DESCRIPTOR = ScannerDescriptor(
    name="iot",
    summary="what devices announce about themselves over mDNS/DNS-SD, SSDP/UPnP and NetBIOS "
            "(unicast to the targets, multicast on the local segment)",
    scan="netdiscover.scanners.iot.scanner.scan",
    needs=Needs(interface=True, programs=("ip",)),
    rate=300,
    retries=0,
    options=(
        Option("iot_quiet", float, 1.0, "seconds to keep listening after the last packet sent "
               "(the sweep's timeout overrides)"),
        Option("iot_phase_limit", float, 8.0, "cap on one protocol's exchange beyond its paced "
               "sending, seconds"),
        Option("iot_describe_limit", float, 20.0, "cap on fetching all SSDP device descriptions, seconds"),
    ),
    default_position=1,
)
