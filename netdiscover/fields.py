"""The asset's fields, each defined once: the one table every list of asset fields derives from.

A row says what a field is (its key in the asset's plain data, the JSON contract of
``assets list/show`` and the web API; how that value is read from the database; its header in
terminal tables) and where it appears: the ``assets list`` CSV and table, ``assets show``, the
web asset page, alert payloads, the inventory export and import (column name, header synonyms),
and whether people document it (an inventory or operator value outranks discovery,
reconcile/sources.py). Positions are given per view because each view keeps its own order (the
outputs are a contract).

Derived here: ``asset_to_dict`` (storage/repository.py), the ``assets list``/``show`` columns
(commands/assets.py), the web asset page's facts (web/pages.py), alert payloads (daemon/alerts.py), the
report columns (reports/columns.py, reports/missing.py), the import's fields, synonyms and limits
(inventory/mapping.py), the export's columns (inventory/export.py) and the documented fields
(reconcile/sources.py). A new field is one row here, its column in storage/models.py and a
migration. The module is plain data and imports nothing from the package, so every layer may
use it.
"""

from __future__ import annotations

from dataclasses import dataclass

# How asset_to_dict reads a field (the value's shape in the plain data).
KINDS: dict[str, str] = {
    "value": "the column as stored (text or a number)",
    "class": "a device class; an unset one reads as 'unknown'",
    "time": "a timestamp as ISO 8601 text",
    "tags": "a stored list, sorted",
    "score": "a number from 0 to 1, three decimals, 0 when unset",
    "flag": "true or false",
    "count": "a whole number, 0 when unset",
    "map": "an object, {} when unset",
    "derived": "text computed from several columns",
    "list": "a list computed from the asset's interfaces, addresses or services",
}


@dataclass(frozen=True)
class Cell:
    """A field's column in the ``assets list`` terminal table (see reports.columns.Column)."""

    order: int
    width: int
    key: bool = False
    min_width: int = 0
    wrap: bool = False
    joiner: str = ", "       # between the items of a list value


@dataclass(frozen=True)
class AssetField:
    """One asset field and every place it appears; positions count from 1, None means absent."""

    name: str                          # key in asset_to_dict (the JSON contract); CSV header
    kind: str                          # one of KINDS
    label: str                         # header in terminal tables
    csv: bool = False                  # a column of `assets list --format csv` (in FIELDS order)
    alert: bool = False                # in the asset of an alert's payload (in FIELDS order)
    show: int | None = None            # its line in `assets show`
    page: int | None = None            # its line in the web asset page's identity card
    table: Cell | None = None          # its column in the `assets list` table
    export: int | None = None          # its column in `inventory export`
    inventory_name: str | None = None  # the import/export column when it is not ``name``
    imported: int | None = None        # its place among the fields an inventory import fills
    length: int | None = None          # imported as plain text up to the column's size, this
    synonyms: tuple[str, ...] = ()     # header keys (names.header_key) an import maps to it
    aliases: tuple[str, ...] = ()      # other words --map accepts for it
    foreign: tuple[str, ...] = ()      # header keys of other tools' columns on it, kept as attribute NAME
    documented: int | None = None      # its place among the fields people document (sources.py)

    @property
    def column(self) -> str:
        """The field's column name in inventory files."""
        return self.inventory_name or self.name


FIELDS: tuple[AssetField, ...] = (
    AssetField("id", "value", "ID", csv=True, alert=True, show=1, table=Cell(1, 7, key=True), export=1),
    AssetField("status", "value", "STATUS", csv=True, alert=True, show=2, table=Cell(2, 12, key=True),
               export=4, imported=13, aliases=("review_status",), foreign=("status",),
               synonyms=("reviewstatus",)),
    AssetField("device_class", "class", "CLASS", csv=True, alert=True, show=3, page=1, table=Cell(7, 14),
               export=5, imported=12, documented=5, aliases=("class",),
               synonyms=("deviceclass", "class", "type", "devicetype", "assettype", "category", "role",
                         "devicerole", "kind", "equipmenttype", "computertype", "hardwaretype",
                         "assetcategory")),
    AssetField("vendor", "value", "VENDOR", csv=True, alert=True, show=4, page=2,
               table=Cell(6, 18, key=True, min_width=8, wrap=True), export=6, imported=6, length=255,
               documented=4,
               synonyms=("vendor", "manufacturer", "make", "maker", "brand", "hardwarevendor", "oem")),
    AssetField("model", "value", "MODEL", csv=True, alert=True, show=5, page=3, table=Cell(8, 22), export=7,
               imported=7, length=255, documented=3,
               synonyms=("model", "modelname", "product", "productname", "hardwaremodel", "devicemodel")),
    AssetField("os", "derived", "OS", csv=True, alert=True, show=6, page=4, table=Cell(9, 22), export=8,
               foreign=("os", "osname", "operatingsystem", "operatingsystemname")),
    AssetField("os_name", "value", "OS NAME", documented=6),
    AssetField("os_version", "value", "OS VERSION", documented=7,
               foreign=("osversion", "operatingsystemversion")),
    AssetField("hostname", "value", "HOSTNAME", csv=True, alert=True, show=7, page=5,
               table=Cell(5, 24, key=True, min_width=10, wrap=True), export=3, imported=2, length=255,
               documented=1, aliases=("name",),
               synonyms=("hostname", "name", "host", "devicename", "fqdn", "dnsname", "assetname",
                         "computername", "computer", "systemname", "sysname", "machinename", "netbiosname",
                         "device", "dnshostname", "nodename", "node", "servername")),
    AssetField("serial", "value", "SERIAL", csv=True, alert=True, show=8, page=6, export=9, imported=5,
               length=128, documented=2,
               synonyms=("serial", "serialnumber", "serialno", "sn", "servicetag", "serialnum",
                         "hardwareserial")),
    AssetField("macs", "list", "MAC", csv=True, alert=True, show=9,
               table=Cell(4, 36, key=True, min_width=17, wrap=True), export=10, inventory_name="mac",
               imported=3,
               synonyms=("mac", "macs", "macaddress", "macaddresses", "hwaddr", "hardwareaddress",
                         "physicaladdress", "networkportsmac", "networkportmac", "networkportsmacaddress",
                         "ethernetaddress", "macaddr", "ethernetmac", "wifimac", "primarymac")),
    AssetField("ips", "list", "IP", csv=True, alert=True, show=10,
               table=Cell(3, 32, key=True, min_width=15, wrap=True), export=11, inventory_name="ip",
               imported=4,
               synonyms=("ip", "ips", "ipaddress", "ipaddresses", "address", "ipv4", "ipv4address", "ipv6",
                         "ipv6address", "primaryip", "primaryip4", "primaryip6", "primaryipv4",
                         "primaryipv6", "ipaddr", "managementip", "mgmtip", "networkip", "ipaddressesname",
                         "lastipaddress")),
    AssetField("services", "list", "SERVICES", csv=True, alert=True),
    AssetField("first_seen", "time", "FIRST SEEN", csv=True, alert=True, show=16, page=12, export=16),
    AssetField("last_seen", "time", "LAST SEEN", csv=True, alert=True, show=17, page=13, table=Cell(10, 16),
               export=17),
    AssetField("methods", "tags", "METHODS", csv=True, alert=True, show=19, table=Cell(11, 20, joiner="+"),
               export=18),
    AssetField("confidence", "score", "CONFIDENCE", csv=True, alert=True, show=20, page=14),
    AssetField("present", "flag", "PRESENT", csv=True, show=18),
    AssetField("site", "value", "SITE", csv=True, alert=True, show=14, page=8, export=14, imported=10,
               length=128, documented=11, synonyms=("site", "branch", "campus", "sitename")),
    AssetField("owner", "value", "OWNER", csv=True, show=12, page=9, export=12, imported=8, length=255,
               documented=9,
               synonyms=("owner", "assignedto", "user", "responsible", "checkedoutto", "assigneduser",
                         "usedby", "custodian")),
    AssetField("location", "value", "LOCATION", csv=True, show=13, page=10, export=13, imported=9,
               length=255, documented=10, synonyms=("location", "room", "locationname", "office")),
    AssetField("lifecycle_state", "value", "LIFECYCLE", csv=True, show=15, page=11, export=15, imported=11,
               documented=12, synonyms=("lifecyclestate", "lifecycle", "state")),
    AssetField("asset_tag", "value", "TAG", csv=True, show=11, page=7, export=2, imported=1, length=128,
               documented=8,
               synonyms=("assettag", "tag", "asset", "assetid", "assetno", "assetnumber",
                         "inventorynumber", "inventoryno", "inventorytag", "propertytag", "propertynumber",
                         "assettagnumber")),
    AssetField("snmp_engine_id", "value", "SNMP ENGINE ID", show=21, page=15),
    AssetField("switch_ports", "list", "SWITCH PORTS"),
    AssetField("attributes", "map", "ATTRIBUTES"),
    AssetField("field_sources", "map", "SOURCES"),  # where each chosen value came from
    AssetField("missed_sweeps", "count", "MISSED SWEEPS"),  # sweeps missed in a row, within the grace
)

BY_NAME: dict[str, AssetField] = {f.name: f for f in FIELDS}


def _placed(position: str) -> tuple[AssetField, ...]:
    """The fields that have a ``position`` (an attribute of AssetField), in its order."""
    return tuple(sorted((f for f in FIELDS if getattr(f, position) is not None),
                        key=lambda f: getattr(f, position)))


# The views, each in its own order.
ASSET_KEYS: tuple[str, ...] = tuple(f.name for f in FIELDS)
LIST_CSV: tuple[str, ...] = tuple(f.name for f in FIELDS if f.csv)
ALERT_KEYS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.alert)
SHOW_KEYS: tuple[str, ...] = tuple(f.name for f in _placed("show"))
PAGE_FIELDS: tuple[AssetField, ...] = _placed("page")
LIST_TABLE: tuple[AssetField, ...] = tuple(sorted((f for f in FIELDS if f.table is not None),
                                                  key=lambda f: f.table.order if f.table else 0))
EXPORT_COLUMNS: tuple[str, ...] = tuple(f.column for f in _placed("export"))
IMPORT_FIELDS: tuple[str, ...] = tuple(f.column for f in _placed("imported"))
IMPORT_LIMITS: dict[str, int] = {f.column: f.length for f in _placed("imported") if f.length}  # plain text
DOCUMENTABLE: tuple[str, ...] = tuple(f.name for f in _placed("documented"))
# --map words: field aliases and the JSON names of fields whose inventory column differs.
IMPORT_ALIASES: dict[str, str] = {
    word: f.column for f in FIELDS for word in (*f.aliases, *((f.name,) if f.inventory_name else ()))
}
# Header key -> import target; other tools' status and OS columns are kept as attributes (our
# review status is not theirs; the OS is discovery's to find).
IMPORT_SYNONYMS: dict[str, str] = {
    **{key: f.column for f in FIELDS for key in f.synonyms},
    **{key: f"attribute:{f.name}" for f in FIELDS for key in f.foreign},
}
