"""Real asset tools' exports import: every row, every identifying field, and no cell lost.

The files in tests/data/exports are written from each product's documented export columns
(Snipe-IT asset export, NetBox device export in API and UI header styles, GLPI computer export
in UTF-8 with BOM and in Latin-1, Lansweeper asset export) plus a Device42-style export no
preset knows, which must map through the generic synonyms alone.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from pathlib import Path

import pytest

from netdiscover.inventory import Source
from netdiscover.observation import normalise_mac
from netdiscover.services.inventory import import_records
from netdiscover.storage.assets import list_assets
from netdiscover.storage.repository import asset_to_dict

EXPORTS = Path(__file__).parent / "data" / "exports"

# file -> (encoding, delimiter, preset, rows, our field -> source column)
SPECS = {
    "snipeit_assets.csv": ("utf-8", ",", "snipeit", 6, {
        "hostname": "Asset Name", "asset_tag": "Asset Tag", "serial": "Serial", "vendor": "Manufacturer",
        "model": "Model", "owner": "Checked Out To", "location": "Location", "mac": "MAC Address",
        "ip": "IP Address"}),
    "netbox_devices_api.csv": ("utf-8", ",", "netbox", 5, {
        "hostname": "name", "asset_tag": "asset_tag", "serial": "serial", "vendor": "manufacturer",
        "model": "device_type", "site": "site", "location": "location", "ip": "primary_ip4"}),
    "netbox_devices_ui.csv": ("utf-8", ",", "netbox", 5, {
        "hostname": "Name", "asset_tag": "Asset tag", "serial": "Serial number", "vendor": "Manufacturer",
        "model": "Type", "site": "Site", "location": "Location", "ip": "IP Address"}),
    "glpi_computers.csv": ("utf-8-sig", ";", "glpi", 12, {
        "hostname": "Name", "asset_tag": "Inventory number", "serial": "Serial number",
        "vendor": "Manufacturer", "model": "Model", "location": "Location", "owner": "User",
        "mac": "Network ports - MAC", "ip": "IP - Address"}),
    "glpi_computers_latin1.csv": ("latin-1", ";", "glpi", 12, {
        "hostname": "Name", "asset_tag": "Inventory number", "serial": "Serial number",
        "vendor": "Manufacturer", "model": "Model", "location": "Location", "owner": "User",
        "mac": "Network ports - MAC", "ip": "IP - Address"}),
    "lansweeper_assets.csv": ("utf-8", ",", "lansweeper", 7, {
        "hostname": "AssetName", "serial": "Serialnumber", "vendor": "Manufacturer", "model": "Model",
        "location": "Location", "mac": "Mac", "ip": "IPAddress"}),
    "device42_devices.csv": ("utf-8", ",", "generic", 3, {
        "hostname": "Device Name", "asset_tag": "Asset Number", "serial": "Serial #",
        "vendor": "Hardware Vendor", "model": "Hardware Model", "location": "Room", "mac": "MAC Addresses",
        "ip": "IP Addresses"}),
}


def source_rows(name: str) -> list[dict[str, str]]:
    encoding, delimiter = SPECS[name][:2]
    with (EXPORTS / name).open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def parts(cell: str) -> list[str]:
    return [p for p in re.split(r"[\s,;|]+", cell) if p]


def ip_of(part: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(part.split("/")[0])


def imported(sessions, name: str, **kw):
    source = Source(EXPORTS / name, **kw)
    result = import_records(sessions, source, actor="tester")
    assert source.errors == []
    with sessions() as s:
        assets = [asset_to_dict(a) for a in list_assets(s)]
    return source, result, {a["hostname"]: a for a in assets}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_row_imports_with_its_identity_fields(sessions, name):
    _enc, _delim, preset, count, fields = SPECS[name]
    source, result, assets = imported(sessions, name)
    assert source.preset.name == preset
    assert (result.records, result.created) == (count, count)
    rows = source_rows(name)
    assert len(assets) == len(rows) == count
    for row in rows:
        asset = assets[row[fields["hostname"]]]
        assert asset["status"] == "documented"
        for ours, theirs in fields.items():
            cell = row[theirs]
            if ours == "mac":
                assert sorted(asset["macs"]) == sorted(normalise_mac(p) for p in parts(cell)), row
            elif ours == "ip":
                wanted = {str(ip_of(p)) for p in parts(cell) if not ip_of(p).is_link_local}
                assert wanted and wanted <= set(asset["ips"]), (wanted, asset["ips"])
            elif cell:
                assert asset[ours] == cell, (ours, asset[ours], cell)
            else:
                assert asset[ours] is None


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_cell_is_silently_dropped(sessions, name):
    source, _result, assets = imported(sessions, name)
    warned = " ".join(source.warnings)
    hostname_column = SPECS[name][4]["hostname"]
    for row in source_rows(name):
        asset = assets[row[hostname_column]]
        kept = {v for k, v in asset.items() if isinstance(v, str) and k not in ("first_seen", "last_seen")}
        kept |= {str(v) for v in (asset["attributes"] or {}).values()}
        kept |= {v.lower() for v in kept}       # "Router" kept as the device class router
        for header, cell in row.items():
            cell = cell.strip()
            if not cell or cell in kept or cell.lower() in kept:
                continue
            for part in parts(cell):
                mac = normalise_mac(part)
                if mac and mac in asset["macs"]:
                    continue
                try:
                    ip = ip_of(part)
                except ValueError:
                    raise AssertionError(f"{name}: {header}={cell!r} is nowhere in {asset}") from None
                assert str(ip) in asset["ips"] or (ip.is_link_local and part in warned), (header, cell)


def test_device_types_map_to_classes_and_unknown_words_are_kept(sessions):
    _s, _r, glpi = imported(sessions, "glpi_computers.csv")
    assert glpi["PC-ACCT-01"]["device_class"] == "workstation"       # Desktop
    assert glpi["LT-SALES-02"]["device_class"] == "workstation"      # Notebook
    assert glpi["PC-HR-01"]["device_class"] == "workstation"         # Mini Tower
    assert glpi["SRV-APP-01"]["device_class"] == "server"
    kiosk = glpi["KIOSK-LOBBY"]                                      # a word we do not know
    assert kiosk["device_class"] == "unknown" and kiosk["attributes"]["type"] == "Kiosk"
    assert glpi["PC-ACCT-01"]["attributes"]["os"] == "Microsoft Windows 11 Pro"
    assert glpi["PC-ACCT-01"]["attributes"]["status"] == "In use"


def test_netbox_type_is_the_model_and_rack_never_overwrites_location(sessions):
    _s, _r, nb = imported(sessions, "netbox_devices_ui.csv")
    leaf = nb["leaf-sw-01"]
    assert leaf["model"] == "DCS-7050SX3-48YC8" and leaf["device_class"] == "switch"
    assert leaf["location"] == "Server Room" and leaf["attributes"]["rack"] == "R01"
    assert leaf["ips"] == ["10.1.0.2"] and leaf["attributes"]["platform"] == "Arista EOS"
    assert leaf["attributes"]["tenant"] == "Example Corp" and leaf["attributes"]["status"] == "Active"
    assert nb["ap-lobby"]["device_class"] == "wireless-ap" and nb["pdu-r01"]["device_class"] == "power"


def test_netbox_api_headers_give_the_same_devices(sessions, tmp_path):
    _s, _r, api = imported(sessions, "netbox_devices_api.csv")
    assert sorted(api["leaf-sw-01"]["ips"]) == ["10.1.0.2", "2001:db8:1::2"]
    assert api["core-rtr-01"]["device_class"] == "router" and api["esx-01"]["device_class"] == "hypervisor"
    # the UI export of the same devices updates them instead of adding new ones
    source = Source(EXPORTS / "netbox_devices_ui.csv")
    result = import_records(sessions, source)
    assert (result.created, result.records) == (2, 5)     # ap-lobby and pdu-r01 are only in the UI file


def test_snipeit_and_lansweeper_describe_the_same_office(sessions):
    imported(sessions, "snipeit_assets.csv")
    source = Source(EXPORTS / "lansweeper_assets.csv")
    result = import_records(sessions, source)
    # ALICE-PC, BOB-LT, PRN-HQ, SW-CORE match Snipe-IT's records by serial/MAC: no duplicates
    assert (result.created, result.updated) == (3, 4)
    with sessions() as s:
        by_tag = {a.asset_tag: a for a in list_assets(s)}
    assert by_tag["ASSET-0001"].hostname == "ALICE-PC"    # the later record's name
    assert by_tag["ASSET-0001"].attributes["os"] == "Win 11"
