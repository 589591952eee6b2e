"""The scanner registry: every method's descriptor points at real code, and the lists derive from it."""

from __future__ import annotations

import importlib
from pathlib import Path

import click
import pytest

from netdiscover import scanners
from netdiscover.cli import main
from netdiscover.config import SettingsError, load_settings
from netdiscover.scanners import DEFAULT_METHODS, SCANNERS

SWEEP = """\
[[sweep]]
name = "lan"
targets = ["10.20.0.0/24"]
methods = [{methods}]
every = "15m"
"""


@pytest.mark.parametrize("name", list(SCANNERS))
def test_descriptor_names_its_package_and_a_scan_function(name):
    descriptor = SCANNERS[name]
    assert descriptor.name == name
    assert descriptor.module == f"netdiscover.scanners.{name}.scanner"
    assert importlib.import_module(f"netdiscover.scanners.{name}").DESCRIPTOR is descriptor
    module = scanners.load(name)
    assert callable(getattr(module, descriptor.scan.rpartition(".")[2]))
    assert name == module.NAME


@pytest.mark.parametrize("name", list(SCANNERS))
def test_option_defaults_have_the_declared_type(name):
    for option in SCANNERS[name].options:
        assert option.default is None or isinstance(option.default, option.kind), option
        assert not option.choices or option.default in option.choices, option
        assert option.help, option


def test_default_methods_follow_the_descriptors():
    placed = sorted((d for d in SCANNERS.values() if d.default_position is not None),
                    key=lambda d: d.default_position)
    assert DEFAULT_METHODS == tuple(d.name for d in placed) == ("arp", "iot", "snmp", "nmap")
    assert tuple(SCANNERS) == ("arp", "snmp", "nmap", "iot", "ndp")


def test_unknown_method_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown scan method 'smtp'"):
        scanners.load("smtp")


def test_cli_choices_and_help_come_from_the_registry():
    scan = main.get_command(None, "scan")
    option = next(p for p in scan.params if p.name == "methods")
    assert isinstance(option.type, click.Choice) and set(option.type.choices) == set(SCANNERS)
    for descriptor in SCANNERS.values():
        assert f"{descriptor.name}: {descriptor.summary}" in scan.epilog


def test_settings_accept_every_registered_method_and_nothing_else(tmp_path: Path):
    path = tmp_path / "nd.toml"
    path.write_text(SWEEP.format(methods=", ".join(f'"{m}"' for m in SCANNERS)))
    path.chmod(0o600)
    assert load_settings(path).sweeps[0].methods == list(SCANNERS)
    path.write_text(SWEEP.format(methods='"arp", "passive"'))
    with pytest.raises(SettingsError, match="unknown method 'passive'"):
        load_settings(path)
