"""Short vendor names from registered organisation names (IEEE OUI, IANA PEN, ENTITY-MIB mfg).

Registries name organisations the way they registered ("ciscoSystems", "Hewlett-Packard",
"HUAWEI Technology Co.,Ltd"); an inventory wants one short name per maker. ``short_vendor``
applies the hand-made table in ``vendor_names.csv`` (regex on the registered name -> short name)
and otherwise strips legal suffixes and filler words.

Two registry conventions are read as well: a registrant that states its own short name
("Zhongxing Telecom Co.,ltd. (abbr. ZTE)") is called by it, and a Chinese enterprise name,
which by the country's name-registration rules reads place + trade name + industry + form
("Shenzhen RAKwireless Technology Co.,Ltd."), is called by its trade name. Over 800 IANA
registrants are named the second way.

A standards body (a forum, alliance, committee or consortium: "Broadband Forum", "Wi-Fi
Alliance", "National Standardization Committee of Radio & Television") registers an enterprise
number for the MIBs it publishes, which boxes of any maker then implement; such a registrant names
no maker, and ``short_vendor`` gives None for it.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from netdiscover.fingerprints.literal_screen import Screen, fold

DATA = Path(__file__).with_name("vendor_names.csv")

_SUFFIX = re.compile(
    r"[\s,.]+(inc|incorporated|ltd|limited|llc|l\.l\.c|corp|corporation|co|company|gmbh|ag|s\.?a|"
    r"s\.?r\.?l|b\.?v|ab|oy|a/?s|plc|k\.?k|pte|pty|sas|spa|s\.p\.a|se|nv|kg|ohg|"
    r"co\s*ltd|holdings?|group)\b\.?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
# a standards body: one of these words anywhere, or "Forum"/"Alliance" ending the name (before a
# legal form or a parenthesis), so that "Forum Systems, Inc." or "Alliance Systems" stay makers
_STANDARDS_BODY = re.compile(
    r"\b(?:committee|consortium|task force|standardi[sz]ation)\b|"
    r"\b(?:forum|alliance)\s*(?:[,.]?\s*(?:inc|ltd|llc|e\.\s?v|ab)\b\.?)?\s*(?:\(.*)?$", re.IGNORECASE)
_ABBR = re.compile(r"\(\s*abbr(?:eviated|\.)?\s*:?\s*([A-Za-z0-9][\w&.-]{0,23})\s*\)", re.IGNORECASE)
# cities and provinces that open Chinese enterprise names ("China" is left: it is part of brands)
_PLACE = re.compile(
    r"^(beijing|shanghai|shenzhen|hangzhou|guangzhou|nanjing|wuhan|chengdu|xiamen|suzhou|tianjin|"
    r"chongqing|xi'?an|hefei|changsha|jinan|qingdao|dalian|fuzhou|zhuhai|dongguan|ningbo|wuxi|"
    r"zhengzhou|shenyang|harbin|kunming|zhejiang|jiangsu|guangdong|fujian|shandong|sichuan|hubei|"
    r"hunan|henan|anhui|hebei|liaoning|yunnan)\s+(?=\S)", re.IGNORECASE)
# the industry word that ends the trade name in such a name
_INDUSTRY = re.compile(
    r"\s+(?:science|scientific|technolog(?:y|ies)|tech|electronics?|electric|communications?|"
    r"telecom(?:munications?)?|networks?|network|information|info|digital|industrial|industry|"
    r"software|systems?|intelligent|security|development|trading|equipment|optoelectronics?|"
    r"photonics|automation|microelectronics|semiconductors?|power|data|cloud|smart|computer|"
    r"instruments?|medical|services?|online)\b.*$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[re.Pattern[str], str], ...]:
    rows = []
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.reader(line for line in handle if line.strip() and not line.startswith("#")):
            if len(row) >= 2 and row[0].strip():
                rows.append((re.compile(row[0].strip(), re.IGNORECASE), row[1].strip()))
    return tuple(rows)


@lru_cache(maxsize=1)
def _screen() -> Screen:
    return Screen(pattern for pattern, _ in _table())


def _tabled(text: str) -> str | None:
    """The table's short name for the first row whose regex finds ``text`` ("" for an empty
    name), or None when no row does."""
    table = _table()
    for at in _screen().candidates(fold(text)):
        pattern, short = table[at]
        if pattern.search(text):
            return short
    return None


@lru_cache(maxsize=8192)
def short_vendor(org: str | None) -> str | None:
    """The short vendor name for a registered organisation name, or None for empty input."""
    if not org:
        return None
    text = _SPACES.sub(" ", str(org)[:200]).strip(" ,.")
    if not text or _STANDARDS_BODY.search(text):
        return None
    short = _tabled(text)
    if short is not None:
        return short or None
    abbr = _ABBR.search(text)
    if abbr:
        return abbr.group(1)
    place = _PLACE.match(text)
    if place:
        rest = text[place.end():]
        trade = _INDUSTRY.sub("", rest)
        # a trade name is one or two words before the industry word; anything else stays whole
        if trade != rest and 0 < len(trade.split()) <= 2:
            text = trade
    previous = None
    while previous != text:
        previous = text
        text = _SUFFIX.sub("", text).strip(" ,.&")
    return text or None


def _head(text: object) -> str:
    """The opening of a text as the maker look-ups read it: 120 characters, spaces collapsed."""
    return _SPACES.sub(" ", str(text)[:120]).strip(" ,.\"'")


# a company's legal name opening a text: one to five capitalised words, then its legal form
# ("Calix, Inc E5-16F", "DrayTek Corporation, Router Model", "Acme Widgets GmbH Switch 8")
_LEGAL_NAME = re.compile(
    r"[A-Z][\w&'.-]{0,30}(?:[ \t]+[A-Z&][\w&'.-]{0,30}){0,4}?[ \t]*,?[ \t]+"
    r"(?i:inc|incorporated|ltd|limited|llc|corp|corporation|co\.?,?[ \t]*ltd|gmbh|ag|s\.a|b\.v|ab|oy|a/s|plc|"
    r"k\.k|s\.r\.l|s\.r\.o)\b\.?")


@lru_cache(maxsize=8192)
def opening_company(text: str | None) -> str | None:
    """The short vendor name of a company whose legal name opens ``text``, else None: the table's
    name for a maker it knows, otherwise the legal name without its legal form."""
    if not text:
        return None
    found = _LEGAL_NAME.match(_head(text))
    return short_vendor(found.group(0)) if found else None


@lru_cache(maxsize=8192)
def known_vendor(text: str | None) -> str | None:
    """The short vendor name when ``text`` begins with a maker the table knows, else None.

    Unlike ``short_vendor`` it never falls back to the text itself, so it can be asked of free
    text such as a sysDescr that starts with its maker's name ("Dell EMC Networking N1524P").
    """
    if not text:
        return None
    return _tabled(_head(text)) or None

