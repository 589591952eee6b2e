"""ARP discovery: who-has sweeps of the local segment.

Modules: scanner: the sweep; engine: raw-socket sender and receiver; link: interface choice;
vendor: OUI names. This file holds only the method's descriptor, so it stays cheap to import.
"""

from netdiscover.scanners.descriptor import Needs, Option, ScannerDescriptor

# Frames per second, retries included. 2000 x 84 bytes on the wire is ~1.3 Mbit/s of broadcast:
# 0.13% of a gigabit segment (arp-scan's default is 256 kbit/s; nmap does not limit ARP at all).
# Segments behind 100 Mbit/s ports with tight broadcast storm control may want a lower --rate.
DEFAULT_RATE = 2000
DEFAULT_RETRIES = 2            # extra tries for a silent address: the first always; later ones only where
                               # the first showed enough loss to be worth them (engine.py)

DESCRIPTOR = ScannerDescriptor(
    name="arp",
    summary="ARP who-has sweep of the local segment: every host that answers, with its MAC and vendor",
    scan="netdiscover.scanners.arp.scanner.scan",
    needs=Needs(root=True, interface=True),
    rate=DEFAULT_RATE,
    retries=DEFAULT_RETRIES,
    options=(
        Option("retry_ms", float, 100.0, "wait before asking a silent address again, in ms "
               "(nmap: min RTT timeout 100 ms); the sweep's timeout overrides it"),
        Option("quiet_ms", float, 500.0, "end after this long with nothing sent or received, in ms"),
        Option("proxy_threshold", int, 4, "one MAC answering for this many addresses looks like proxy ARP"),
        Option("deadline_s", float, None, "hard limit on the sweep, in seconds "
               "(default: twice the expected time plus 10 s)"),
    ),
    default_position=0,
)
