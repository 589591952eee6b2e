"""SNMP discovery: interrogation of agents.

Modules: ber: encoder/decoder; client: the UDP request engine; walk: table walks; tables: the MIB
tables read.
"""
