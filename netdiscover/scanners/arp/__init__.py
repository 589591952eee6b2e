"""ARP discovery: who-has sweeps of the local segment.

Modules: engine: raw-socket sender and receiver; link: interface choice; vendor: OUI names.
"""
