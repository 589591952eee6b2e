"""DHCP/LLDP/CDP evidence: option-55 order and option-60 text name the client; abilities name the class."""

from __future__ import annotations

import pytest

from netdiscover.fingerprints import dhcp as dhcp_fp
from netdiscover.fingerprints import fingerprint
from netdiscover.fingerprints.combine import SOURCES
from netdiscover.observation import Observation
from netdiscover.scanners.passive.listener import Listener
from tests import passive_frames as pf


def heard(*frames: bytes) -> list[Observation]:
    listener = Listener(["unused"])
    for frame in frames:
        listener.handle(frame)
    return [o for o in listener.table.drain() if o.facts]


def dhcp_obs(prl: str | None = None, vendor: str | None = None) -> Observation:
    facts = {"dhcp": {k: v for k, v in (("prl", prl), ("vendor_class", vendor)) if v}}
    return Observation(method="passive", mac="02:00:00:00:00:01", facts=facts)


def test_registered_as_a_fingerprint_source():
    assert "netdiscover.fingerprints.dhcp" in SOURCES


@pytest.mark.parametrize(("prl", "vendor", "os_family", "device_class"), [
    ("1,3,6,15,31,33,43,44,46,47,119,121,249,252", "MSFT 5.0", "windows", "workstation"),
    ("1,121,3,6,15,119,252", None, "apple-ios", "mobile"),
    ("1,121,3,6,15,108,114,119,252,95,44,46", None, "macosx", "workstation"),
    ("1,3,6,15,26,28,51,58,59,43,114", "android-dhcp-13", "android", "mobile"),
    ("1,28,2,3,15,6,119,12,44,47,26,121,42", None, "linux", "unknown"),
    (None, "dhcpcd-9.4.1:Linux-6.1.0:x86_64:GenuineIntel", "linux", "unknown"),
])
def test_client_software_from_request(prl, vendor, os_family, device_class):
    fp = fingerprint([dhcp_obs(prl, vendor)])
    assert fp.os_family == os_family
    assert fp.device_class == device_class
    assert any(e.source == "dhcp" for e in fp.evidence)


def test_phone_vendor_class_names_maker_and_class():
    fp = fingerprint([dhcp_obs(vendor="Cisco Systems, Inc. IP Phone CP-8845")])
    assert (fp.vendor, fp.device_class) == ("Cisco", "voip")


def test_unknown_or_reordered_request_gives_no_evidence():
    assert dhcp_fp.evidence([dhcp_obs("252,249,121,119,47,46,44,43,33,31,15,6,3,1", "<b>x</b>")]) == []
    assert dhcp_fp.evidence([Observation(method="passive", facts={"dhcp": "not a mapping"})]) == []


def test_heard_windows_request_is_explained():
    (obs,) = heard(pf.dhcp_request())
    fp = fingerprint([obs])
    rules = {e.rule for e in fp.evidence if e.source == "dhcp"}
    assert rules == {"windows-10-11", "msft-5"} and fp.os_name == "Microsoft Windows"
    assert any(e.matched == "vendor class MSFT 5.0" for e in fp.evidence)


def test_lldp_bridge_is_a_switch_and_cdp_platform_is_the_model():
    lldp, = heard(pf.lldp_frame())
    assert fingerprint([lldp]).device_class == "switch"
    cdp, = heard(pf.cdp_frame())
    fp = fingerprint([cdp])
    assert (fp.vendor, fp.model, fp.device_class) == ("Cisco", "WS-C2960-24TT-L", "switch")


def test_dhcpv6_microsoft_enterprise_number():
    (obs,) = heard(pf.dhcpv6_solicit())
    assert fingerprint([obs]).os_family == "windows"


def test_fingerprint_explain_shows_dhcp_evidence(tmp_path):
    import json

    from click.testing import CliRunner

    from netdiscover.cli import main

    path = tmp_path / "heard.json"
    path.write_text(json.dumps([o.to_dict() for o in heard(pf.dhcp_request(hostname=b"<i>pc</i>"))]))
    result = CliRunner().invoke(main, ["fingerprint", "explain", "--observations", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rules = {e["rule"] for e in data["evidence"] if e["source"] == "dhcp"}
    assert rules == {"windows-10-11", "msft-5"} and data["os_name"] == "Microsoft Windows"
