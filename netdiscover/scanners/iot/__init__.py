"""IoT discovery: mDNS, SSDP and NetBIOS queries with paced unicast and multicast exchanges."""
