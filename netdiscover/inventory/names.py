"""Column names and type words: how an unseen export's headers and device types find our fields.

Headers are compared as *keys*: accents folded, lower case, everything but letters and digits
removed, so "Serial Number", "serial_number", "SerialNumber" and "Serial-No." meet. The
synonyms below are the generic map every preset falls back on; device-type words map a
product's type or category (Desktop, Laptop, Core Switch, IP Phone) onto our device classes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

from netdiscover.vocabulary import DEVICE_CLASSES

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# Field names a mapping may target, besides "attribute:NAME" and "ignore".
FIELDS: tuple[str, ...] = (
    "asset_tag", "hostname", "mac", "ip", "serial", "vendor", "model", "owner", "location", "site",
    "lifecycle_state", "device_class", "status",
)
FIELD_ALIASES = {
    "name": "hostname", "macs": "mac", "ips": "ip", "review_status": "status", "class": "device_class",
}


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def header_key(header: str) -> str:
    """The comparison key of a column name: "Serial-No." -> "serialno"."""
    return _NOT_ALNUM.sub("", _fold(header.strip().lstrip("\ufeff")))


def attribute_name(header: str) -> str:
    """The attribute name a column is kept under: "Cost Center" -> "cost_center"."""
    return _NOT_ALNUM.sub("_", _fold(header.strip().lstrip("\ufeff"))).strip("_")[:64] or "column"


# Generic synonyms: header key -> target. Status and OS columns of other tools are kept as
# attributes (our review status is not theirs; the OS is discovery's to find).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "asset_tag": ("assettag", "tag", "asset", "assetid", "assetno", "assetnumber", "inventorynumber",
                  "inventoryno", "inventorytag", "propertytag", "propertynumber", "assettagnumber"),
    "hostname": ("hostname", "name", "host", "devicename", "fqdn", "dnsname", "assetname", "computername",
                 "computer", "systemname", "sysname", "machinename", "netbiosname", "device",
                 "dnshostname", "nodename", "node", "servername"),
    "mac": ("mac", "macs", "macaddress", "macaddresses", "hwaddr", "hardwareaddress", "physicaladdress",
            "networkportsmac", "networkportmac", "networkportsmacaddress", "ethernetaddress", "macaddr",
            "ethernetmac", "wifimac", "primarymac"),
    "ip": ("ip", "ips", "ipaddress", "ipaddresses", "address", "ipv4", "ipv4address", "ipv6",
           "ipv6address", "primaryip", "primaryip4", "primaryip6", "primaryipv4", "primaryipv6",
           "ipaddr", "managementip", "mgmtip", "networkip", "ipaddressesname", "lastipaddress"),
    "serial": ("serial", "serialnumber", "serialno", "sn", "servicetag", "serialnum", "hardwareserial"),
    "vendor": ("vendor", "manufacturer", "make", "maker", "brand", "hardwarevendor", "oem"),
    "model": ("model", "modelname", "product", "productname", "hardwaremodel", "devicemodel"),
    "owner": ("owner", "assignedto", "user", "responsible", "checkedoutto", "assigneduser", "usedby",
              "custodian"),
    "location": ("location", "room", "locationname", "office"),
    "site": ("site", "branch", "campus", "sitename"),
    "lifecycle_state": ("lifecyclestate", "lifecycle", "state"),
    "device_class": ("deviceclass", "class", "type", "devicetype", "assettype", "category", "role",
                     "devicerole", "kind", "equipmenttype", "computertype", "hardwaretype",
                     "assetcategory"),
    "attribute:os": ("os", "osname", "operatingsystem", "operatingsystemname"),
    "attribute:os_version": ("osversion", "operatingsystemversion"),
    "attribute:status": ("status",),
    "status": ("reviewstatus",),
}
SYNONYMS: dict[str, str] = {key: target for target, keys in _SYNONYMS.items() for key in keys}

# Headers whose values must be exactly our vocabulary (our own field names): anything else
# under them is an error, while a product's "Type" or "State" is mapped where it can be.
STRICT_KEYS = frozenset({"deviceclass", "lifecyclestate"})

# Device-type words (lower case, single spaces) -> device class. A phrase is looked up whole,
# then word by word from the last ("Core Switch" -> switch, "Windows Server 2019" -> server).
_CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "workstation": ("desktop", "laptop", "notebook", "workstation", "pc", "computer", "tower",
                    "all in one", "all-in-one", "thin client", "macbook", "imac", "ultrabook",
                    "portable", "mini pc", "desktop computer"),
    "server": ("server", "rack server", "blade", "blade server", "mainframe"),
    "printer": ("printer", "mfp", "multifunction printer", "multi-function printer", "copier",
                "plotter", "label printer", "multifunction", "print server"),
    "switch": ("switch", "network switch", "leaf", "spine", "stack"),
    "router": ("router", "gateway", "edge router"),
    "firewall": ("firewall", "utm", "security appliance", "ngfw"),
    "wireless-ap": ("access point", "wireless access point", "ap", "wap", "wifi", "wireless ap",
                    "wlan ap", "wireless"),
    "wireless-controller": ("wireless controller", "wlc", "wlan controller"),
    "load-balancer": ("load balancer", "load-balancer", "adc"),
    "voip": ("phone", "ip phone", "voip", "voip phone", "desk phone", "telephone", "sip phone",
             "conference phone", "softphone", "voip gateway"),
    "mobile": ("mobile", "smartphone", "tablet", "mobile phone", "cell phone", "cellphone", "ipad",
               "iphone", "handheld", "mobile device"),
    "camera": ("camera", "ip camera", "cctv", "webcam", "surveillance camera", "nvr", "dvr"),
    "power": ("ups", "pdu", "power", "power supply", "power distribution unit"),
    "storage": ("nas", "san", "storage", "storage array", "disk array", "tape library"),
    "hypervisor": ("hypervisor", "esxi", "esxi host", "vmware host", "hyper-v host", "proxmox"),
    "media": ("tv", "smart tv", "projector", "media player", "display", "signage", "streamer"),
    "iot": ("iot", "sensor", "thermostat", "smart device", "badge reader", "controller"),
    "appliance": ("appliance",),
}
CLASS_WORDS: dict[str, str] = {word: klass for klass, words in _CLASS_WORDS.items() for word in words}
CLASS_WORDS.update({k: k for k in DEVICE_CLASSES if k != "unknown"})
CLASS_WORDS["network device"] = "unknown"


def _singular(word: str) -> str:
    if word.endswith("es") and word[:-2] in CLASS_WORDS:
        return word[:-2]
    if word.endswith("s") and word[:-1] in CLASS_WORDS:
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def device_class_of(value: str, extra: tuple[tuple[str, str], ...] = ()) -> str | None:
    """The device class a type word names, or None when it names none we know.

    ``extra`` (a preset's or mapping file's own words) is consulted first.
    """
    phrase = " ".join(_fold(value).replace("_", " ").replace("/", " / ").split())
    words_extra = dict(extra)
    for table in (words_extra, CLASS_WORDS):
        if phrase in table:
            return table[phrase] if table[phrase] in DEVICE_CLASSES else None
    words = [w for w in re.split(r"[^0-9a-z+-]+", phrase) if w]
    for table in (words_extra, CLASS_WORDS):
        for first, second in pairwise(words):
            pair = f"{_singular(first)} {_singular(second)}"
            if pair in table:
                return table[pair] if table[pair] in DEVICE_CLASSES else None
    for word in reversed(words):
        word = _singular(word)
        for table in (words_extra, CLASS_WORDS):
            if word in table and table[word] in DEVICE_CLASSES:
                return table[word]
    return None
