"""Passive discovery: listen to what devices announce (ARP, DHCP, mDNS, SSDP, LLDP, CDP, ND, NetBIOS).

``listener`` opens receive-only packet sockets with a kernel filter (``bpf``); ``frames`` decodes
each frame and hands its payload to ``neighbours``, ``dhcp``, ``announce`` or ``linklayer``;
``sightings`` merges what was heard per MAC into Observations with method ``passive``, which
never proves that a device is gone.
"""
