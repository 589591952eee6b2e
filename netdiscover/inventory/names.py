"""Column names and type words: how an unseen export's headers and device types find our fields.

Headers are compared as *keys*: accents folded, lower case, everything but letters and digits
removed, so "Serial Number", "serial_number", "SerialNumber" and "Serial-No." meet. The generic
header synonyms every preset falls back on are each field's own, in the field table
(``netdiscover.fields.IMPORT_SYNONYMS``); device-type words here map a product's type or category
(Desktop, Laptop, Core Switch, IP Phone) onto our device classes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

from netdiscover.vocabulary import DEVICE_CLASSES

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


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
