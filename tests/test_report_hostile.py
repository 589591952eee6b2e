"""Attacker-controlled strings (hostnames, sysDescr, banners) stay data in every report format.

The HTML is checked by parsing it: the only script is the page's own, no element or attribute
comes from the data, no event-handler attribute exists. The CSV is checked with the csv module:
no cell can start a formula. The table carries no escape or control characters.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.reports.render_html import _template
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset, Interface, ObservationRecord, Service

SCRIPT = "<script>alert(document.cookie)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULA = "=cmd|' /C calc'!A0"
ANSI = "\x1b[31mRED\x1b[0m\x1b]0;pwned\x07\r\x08"
HUGE = "A" * 1_000_000 + SCRIPT
HOSTILE = [SCRIPT, IMG, FORMULA, ANSI, "+SUM(1,2)", "-2+3", "@SUM(A1)", "\tTAB",
           "</script><script>x()</script>", "' onmouseover='alert(1)", "javascript:alert(1)",
           "\u202eevil\u202c"]

OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "main",
            "div", "span", "table", "colgroup", "col", "thead", "tbody", "tr", "th", "td", "button", "input",
            "strong", "br", "pre", "footer", "script", "i"}


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture
def hostile_db(sqlite_url):
    factory = open_database(sqlite_url)
    now = datetime.now(UTC)
    with factory.begin() as s:
        for i, bad in enumerate([*HOSTILE, HUGE]):
            asset = Asset(status="rogue" if i == 0 else "undocumented", hostname=bad, vendor=bad, model=bad,
                          os_name=bad, os_version=bad, serial=bad, site="hq", device_class="camera",
                          confidence=0.7, methods=["snmp", bad], first_seen=now, last_seen=now,
                          created_at=now, updated_at=now,
                          fingerprint={"confidence": {"vendor": 0.9},
                                       "evidence": [{"source": "snmp", "rule": bad, "field": "vendor",
                                                     "value": bad, "weight": 0.8, "matched": bad}]})
            s.add(asset)
            s.flush()
            mac = f"00:11:22:33:44:{i:02x}"
            s.add(Interface(asset_id=asset.id, mac=mac, mac_vendor=bad, switch=bad, switch_port=bad,
                            first_seen=now, last_seen=now))
            s.add(Address(asset_id=asset.id, ip=f"10.66.0.{i + 10}", mac=mac, current=True, first_seen=now,
                          last_seen=now))
            s.add(Service(asset_id=asset.id, port=80, protocol="tcp", name=bad, product=bad, version=bad,
                          banner=bad, extrainfo=bad, open=True))
            s.add(ObservationRecord(asset_id=asset.id, method="snmp", kind="neighbour", seen_at=now,
                                    data={"reporter": bad, "credential": bad}))
    yield sqlite_url
    factory.kw["bind"].dispose()


def _run(url, fmt, tmp_path):
    out = tmp_path / f"report.{fmt}"
    started = time.monotonic()
    res = CliRunner().invoke(main, ["--db", url, "report", "unknown", "--format", fmt, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert time.monotonic() - started < 20
    return out.read_text(encoding="utf-8")


def test_html_is_inert(hostile_db, tmp_path):
    page = _run(hostile_db, "html", tmp_path)
    assert len(page) < 3_000_000            # 1 MB values are cut, not copied around
    parser = PageParser()
    parser.feed(page)
    parser.close()
    tags = {t for t, _ in parser.tags}
    assert tags <= OUR_TAGS, tags - OUR_TAGS
    assert [t for t, _ in parser.tags].count("script") == 1
    ours = re.search(r"<script>(.*?)</script>", _template(), re.S).group(1)
    assert parser.scripts == [ours]
    for tag, attrs in parser.tags:
        for name, _value in attrs:
            assert not name.lower().startswith("on"), (tag, name)
            assert name in {"lang", "charset", "http-equiv", "content", "name", "class", "style", "data-sort",
                            "type", "aria-expanded", "aria-label", "colspan", "hidden", "id", "placeholder",
                            "scope", "data-type", "title"}, (tag, name)   # no href/src: no URL to run
    text = "".join(parser.text)
    assert SCRIPT in text and "<img src=x onerror=alert(1)>" in text     # shown as text, not dropped
    assert "\x1b" not in page and "\u202e" not in page
    csp = [dict(a) for t, a in parser.tags if t == "meta" and dict(a).get("http-equiv")]
    assert "script-src 'sha256-" in csp[0]["content"] and "default-src 'none'" in csp[0]["content"]


def test_csv_cannot_start_formulas(hostile_db, tmp_path):
    text = _run(hostile_db, "csv", tmp_path)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + len(HOSTILE) + 1
    width = len(rows[0])
    cells = [c for row in rows[1:] for c in row]
    assert all(len(row) == width for row in rows)
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell[:60]
        assert len(cell) <= 32000 and "\x00" not in cell
    assert any(c == "'" + FORMULA for c in cells)


def test_table_has_no_escape_sequences(hostile_db, tmp_path):
    text = _run(hostile_db, "table", tmp_path)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text)
    assert max(len(line) for line in text.splitlines()) < 2000
    assert "RED" in text


def test_json_escapes_and_parses(hostile_db, tmp_path):
    text = _run(hostile_db, "json", tmp_path)
    assert "\x1b" not in text
    data = json.loads(text)
    assert len(data) == len(HOSTILE) + 1
    assert data[0]["status"] == "rogue" and data[0]["hostname"] == SCRIPT
