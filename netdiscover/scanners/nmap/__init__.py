"""Nmap discovery: port and service scans by the nmap binary.

Modules: args: command lines per profile; parse: its XML; scripts: NSE output.
"""
