"""Nmap discovery: port and service scans by the nmap binary.

Modules: scanner: the sweep; args: command lines per profile; process: one nmap run, read as it
streams; parse: its XML; scripts: NSE output.
This file holds only the method's descriptor, so it stays cheap to import.
"""

from netdiscover.scanners.descriptor import Needs, Option, ScannerDescriptor

PROFILES = ("quick", "standard", "deep")

DESCRIPTOR = ScannerDescriptor(
    name="nmap",
    summary="nmap host discovery, open services and OS guesses, in chunks run side by side "
            "(profiles: " + ", ".join(PROFILES) + "; root adds SYN, UDP and OS detection)",
    scan="netdiscover.scanners.nmap.scanner.scan",
    needs=Needs(programs=("nmap",)),
    options=(
        Option("nmap_chunk_size", int, 256, "addresses per nmap run"),
        Option("nmap_parallel", int, 2, "nmap runs at once (at most 8); they share the rate bound"),
        Option("nmap_chunk_timeout", float, 3600.0, "seconds one nmap run may take"),
        Option("nmap_path", str, None, "the nmap binary to run (default: nmap found on PATH)"),
    ),
    default_position=3,
)
