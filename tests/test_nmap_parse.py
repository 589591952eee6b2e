"""Nmap XML -> Observations, including hostile and broken output."""

from __future__ import annotations

import json

import pytest

from netdiscover.scanners.nmap.parse import MAX_CPES, NmapXmlError, parse_xml

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'
          '<nmaprun scanner="nmap" args="nmap -oX - 10.9.0.0/24" version="7.93" xmloutputversion="1.05">\n')
FOOTER = ('<runstats><finished time="1" elapsed="12.50" exit="success"/>'
          '<hosts up="{up}" down="{down}" total="256"/></runstats>\n</nmaprun>\n')

PRINTER = """
<host><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="10.9.0.20" addrtype="ipv4"/>
<address addr="00:1B:78:AA:BB:CC" addrtype="mac" vendor="Hewlett Packard"/>
<hostnames><hostname name="printer-3.lab.example" type="PTR"/><hostname name="npi3" type="user"/></hostnames>
<ports><extraports state="closed" count="95"/>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/>
<service name="http" product="HP HTTP Server" version="2.0" extrainfo="HP LaserJet 4250" devicetype="printer"
 method="probed" conf="10"><cpe>cpe:/h:hp:laserjet_4250</cpe>
<cpe>cpe:/a:hp:http_server:2.0</cpe></service></port>
<port protocol="tcp" portid="23"><state state="closed" reason="reset" reason_ttl="64"/>
<service name="telnet" method="table" conf="3"/></port>
<port protocol="tcp" portid="25"><state state="filtered" reason="no-response" reason_ttl="0"/>
<service name="smtp" method="table" conf="3"/></port>
<port protocol="tcp" portid="9100"><state state="open" reason="syn-ack" reason_ttl="64"/>
<service name="jetdirect" method="table" conf="3"/></port>
<port protocol="udp" portid="161"><state state="open" reason="udp-response" reason_ttl="64"/>
<service name="snmp" product="net-snmp" extrainfo="public" method="probed" conf="10"/></port>
<port protocol="udp" portid="5353"><state state="open|filtered" reason="no-response" reason_ttl="0"/>
<service name="zeroconf" method="table" conf="3"/></port>
</ports>
<os><portused state="open" proto="tcp" portid="80"/>
<osmatch name="HP LaserJet 4250 printer" accuracy="97" line="1">
<osclass type="printer" vendor="HP" osfamily="embedded" osgen="" accuracy="97">
<cpe>cpe:/h:hp:laserjet_4250</cpe></osclass>
</osmatch>
<osmatch name="Linux 5.0 - 5.4" accuracy="91" line="2">
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="5.X" accuracy="91">
<cpe>cpe:/o:linux:linux_kernel:5</cpe></osclass>
</osmatch>
</os>
<uptime seconds="86400" lastboot="Sun Nov 29 05:00:00 2026"/>
<distance value="1"/>
<times srtt="1250" rttvar="500" to="100000"/>
</host>
"""

ROUTED = """
<host><status state="up" reason="syn-ack" reason_ttl="63"/>
<address addr="10.10.0.5" addrtype="ipv4"/>
<hostnames></hostnames>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="63"/>
<service name="ssh" product="OpenSSH" version="9.2p1 Debian 2" extrainfo="protocol 2.0" ostype="Linux"
 method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:9.2p1</cpe>
<cpe>cpe:/o:linux:linux_kernel</cpe></service>
</port></ports>
<distance value="2"/>
</host>
"""

SELF = """
<host><status state="up" reason="localhost-response" reason_ttl="0"/>
<address addr="10.9.0.2" addrtype="ipv4"/><hostnames></hostnames></host>
"""

DOWN = """
<host><status state="down" reason="no-response" reason_ttl="0"/>
<address addr="10.9.0.99" addrtype="ipv4"/></host>
"""

IPV6 = """
<host><status state="up" reason="nd-response" reason_ttl="0"/>
<address addr="fd00:9::20" addrtype="ipv6"/>
<address addr="02:42:AC:11:00:02" addrtype="mac"/>
</host>
"""


def doc(*hosts: str, up: int = 1, down: int = 0) -> str:
    return HEADER + "".join(hosts) + FOOTER.format(up=up, down=down)


def test_full_host_is_mapped_to_the_agreed_fields():
    run = parse_xml(doc(PRINTER, ROUTED, DOWN, up=2, down=1))
    assert run.hosts_up == 2 and run.hosts_down == 1 and run.elapsed == 12.5
    printer, routed = run.observations
    assert printer.method == "nmap" and printer.ip == "10.9.0.20"
    assert printer.mac == "00:1b:78:aa:bb:cc" and printer.vendor_hint == "Hewlett Packard"
    assert printer.hostname == "printer-3.lab.example"
    assert printer.rtt_ms == 1.25
    by_port = {(s.port, s.protocol): s for s in printer.services}
    # closed, filtered and open|filtered ports are left out
    assert set(by_port) == {(80, "tcp"), (9100, "tcp"), (161, "udp")}
    http = by_port[(80, "tcp")]
    assert (http.name, http.product, http.version, http.extrainfo) == ("http", "HP HTTP Server", "2.0",
                                                                        "HP LaserJet 4250")
    assert http.cpe == ["cpe:/h:hp:laserjet_4250", "cpe:/a:hp:http_server:2.0"]
    assert by_port[(9100, "tcp")].name == "jetdirect" and by_port[(9100, "tcp")].product is None
    facts = printer.facts["nmap"]
    assert facts["state"] == "up" and facts["reason"] == "arp-response"
    assert facts["mac_vendor"] == "Hewlett Packard" and facts["uptime_seconds"] == 86400
    assert facts["distance"] == 1 and facts["hostnames"] == ["printer-3.lab.example", "npi3"]
    assert facts["osmatch"][0] == {
        "name": "HP LaserJet 4250 printer", "accuracy": 97,
        "osclass": [{"vendor": "HP", "osfamily": "embedded", "osgen": None, "type": "printer",
                     "accuracy": 97, "cpe": ["cpe:/h:hp:laserjet_4250"]}]}
    assert facts["osmatch"][1]["osclass"][0]["osgen"] == "5.X"
    assert {"port": 80, "devicetype": "printer"} in facts["service_hints"]
    assert routed.mac is None and routed.vendor_hint is None and routed.facts["nmap"]["distance"] == 2
    assert routed.services[0].version == "9.2p1 Debian 2"
    assert json.loads(json.dumps(printer.to_dict()))["facts"]["nmap"]["osmatch"][0]["accuracy"] == 97


def test_own_address_is_dropped():
    run = parse_xml(doc(SELF, ROUTED, up=2))
    assert [o.ip for o in run.observations] == ["10.10.0.5"]
    assert run.dropped_local == ["10.9.0.2"]
    # also by address, when nmap did not mark it
    run = parse_xml(doc(ROUTED), local_ips={"10.10.0.5"})
    assert run.observations == []


def test_ipv6_host_with_mac():
    (obs,) = parse_xml(doc(IPV6)).observations
    assert obs.ip == "fd00:9::20" and obs.mac == "02:42:ac:11:00:02" and obs.vendor_hint is None


def test_hostile_strings_are_bounded_and_clean():
    huge = "A" * 100_000
    hostile = f"""
<host><status state="up" reason="arp-response"/>
<address addr="10.9.0.66" addrtype="ipv4"/>
<address addr="00:11:22:33:44:55" addrtype="mac" vendor="&lt;script&gt;alert(1)&lt;/script&gt;"/>
<hostnames><hostname name="evil&#x1b;[2J&#7;host&#x0;name{huge}" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/>
<service name="http&#x1b;[31m" product="&lt;img src=x onerror=alert(1)&gt;{huge}"
 version="1.0\x01\x02\x1f" extrainfo="&#x9b;31m{huge}">{"<cpe>cpe:/a:x:y</cpe>" * 50}
{"".join(f"<cpe>cpe:/a:v:p{i}</cpe>" for i in range(50))}</service>
<script id="banner" output="220 {huge}&#xa;&#x7;"/></port>
<port protocol="tcp" portid="70000"><state state="open" reason="syn-ack"/></port>
<port protocol="tcp" portid="x"><state state="open" reason="syn-ack"/></port>
</ports>
<os><osmatch name="{huge}" accuracy="lots">{"<osclass type='t' accuracy='1'/>" * 40}</osmatch>
{"<osmatch name='m' accuracy='1'/>" * 40}</os>
</host>
"""
    (obs,) = parse_xml(doc(hostile)).observations
    flat = json.dumps(obs.to_dict())
    assert len(flat) < 40_000
    for bad in ("\x1b", "\x00", "\x07", "\x01", "\x9b"):
        assert bad not in flat
    assert obs.hostname.startswith("evil[2Jhostname") and len(obs.hostname) <= 255
    (svc,) = obs.services                               # ports 70000 and "x" are not ports
    assert svc.name == "http[31m"
    assert svc.product.startswith("<img src=x onerror=alert(1)>")   # markup stays data, escaped on output
    assert len(svc.product) <= 255 and len(svc.extrainfo) <= 255 and svc.version == "1.0"
    assert len(svc.cpe) == MAX_CPES and len(set(svc.cpe)) == MAX_CPES
    assert svc.banner.startswith("220 AAA") and len(svc.banner) <= 1024
    assert obs.vendor_hint == "<script>alert(1)</script>"
    osm = obs.facts["nmap"]["osmatch"]
    assert len(osm) == 5 and osm[0]["accuracy"] is None and len(osm[0]["osclass"]) == 8
    assert len(osm[0]["name"]) <= 255


@pytest.mark.parametrize("data", [
    b"",
    b"Starting Nmap 7.93\nTCP/IP fingerprinting (for OS scan) requires root privileges. QUITTING!",
    HEADER.encode() + b"<host><status state='up'",              # nmap killed half-way
    b"<html><body>not nmap</body></html>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b"<nmaprun>&b;</nmaprun>",                                   # entity expansion
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><nmaprun>&e;</nmaprun>',
])
def test_unusable_output_raises_a_clear_error(data):
    with pytest.raises(NmapXmlError) as err:
        parse_xml(data)
    assert "\n" not in str(err.value)


def test_error_exit_is_reported():
    text = HEADER + ('<runstats><finished exit="error" errormsg="Failed to open device eth9"/>'
                     '</runstats></nmaprun>')
    run = parse_xml(text)
    assert run.errors == ["Failed to open device eth9"] and run.observations == []
