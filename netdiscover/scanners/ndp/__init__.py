"""IPv6 neighbour discovery: ICMPv6 echo to all-nodes and neighbour solicitations on the local link."""
