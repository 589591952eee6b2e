"""IPv6 neighbour discovery: ICMPv6 echo to all-nodes and neighbour solicitations on the local link.

The scanner is in ``scanner``; this file holds only the method's descriptor, so it stays cheap to import.
"""

from netdiscover.scanners.descriptor import Needs, ScannerDescriptor

DESCRIPTOR = ScannerDescriptor(
    name="ndp",
    summary="IPv6 neighbours on one segment: who answers all-nodes, and the SLAAC addresses each holds",
    scan="netdiscover.scanners.ndp.scanner.scan",
    needs=Needs(root=True, interface=True),
    rate=200,         # probes per second: a few echoes, then one solicitation per responder and prefix
)
