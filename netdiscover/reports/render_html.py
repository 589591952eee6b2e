"""The unknown-device report as one self-contained HTML page (inline CSS and JS, nothing external).

Every value is escaped with ``html.escape(..., quote=True)`` before it reaches the page, in text
and in attributes alike; no row data is ever placed inside the script. The page carries a
Content-Security-Policy that allows only its own inline script (by hash), so even a missed
escape could not run injected code.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from string import Template
from typing import Any

from netdiscover.reports.columns import class_text, joined
from netdiscover.reports.text import plain, shorten, when

CELL_LIMIT = 160        # characters of one value shown in the main table
DETAIL_LIMIT = 2000     # characters of one value shown in the expanded evidence
BANNER_LIMIT = 4000
SHORT_CELL = 17         # shorter single words (MACs, IPs, times) never wrap


def esc(value: Any, limit: int = CELL_LIMIT) -> str:
    """Text safe for HTML content and double-quoted attributes: cleaned, bounded, escaped."""
    return html.escape(plain(value, limit), quote=True)


def esc_block(value: Any, limit: int = BANNER_LIMIT) -> str:
    """Multi-line text (banners) escaped for a <pre>: line breaks kept, other controls removed."""
    if value is None:
        return ""
    lines = shorten(str(value)[: limit * 2], limit).splitlines()[:60]
    return html.escape("\n".join(plain(line, limit) for line in lines), quote=True)


def _template() -> str:
    return resources.files("netdiscover.reports").joinpath("unknown_report.html").read_text("utf-8")


def _script_hash(page: str) -> str:
    match = re.search(r"<script>(.*?)</script>", page, re.S)
    body = match.group(1) if match else ""
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _chips(items: Sequence[str], cls: str = "") -> str:
    return "".join(f'<span class="chip {cls}">{esc(i, 60)}</span>' for i in items)


def _risk_chips(row: dict[str, Any]) -> str:
    return "".join(
        f'<span class="chip {esc(h.get("severity"), 10)}" title="{esc(h.get("text"))}">'
        f'{esc(h.get("code"), 40)}</span>'
        for h in row.get("risks") or []
    )


def _service_chips(row: dict[str, Any]) -> str:
    items = []
    for s in (row.get("services") or [])[:12]:
        label = f"{s.get('port')}/{s.get('protocol') or 'tcp'}"
        name = s.get("name") or ""
        title = " ".join(str(p) for p in (s.get("product"), s.get("version")) if p)
        items.append(f'<span class="chip" title="{esc(title)}">{esc(label, 12)} {esc(name, 24)}</span>')
    more = len(row.get("services") or []) - 12
    if more > 0:
        items.append(f'<span class="sub">+{more} more</span>')
    return "".join(items)


def _found_by(row: dict[str, Any]) -> str:
    fb = row.get("found_by") or {}
    parts = [esc(joined(fb.get("methods"), " + ") or "—", 60)]
    parts += [f'<div class="sub">ARP table of {esc(r, 80)}</div>' for r in (fb.get("routers") or [])[:4]]
    parts += [f'<div class="sub">switch port {esc(p, 80)}</div>' for p in (fb.get("switch_ports") or [])[:4]]
    return "".join(parts)


def _ts(value: Any) -> str:
    return esc(value or "", 40)


def _inner_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[str] = ()) -> str:
    if not rows:
        return '<p class="sub">none recorded</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, r in enumerate(rows):
        cls = f' class="{esc(classes[i])}"' if i < len(classes) and classes[i] else ""
        cells = []
        for c in r:
            text = esc(c, DETAIL_LIMIT)
            short = len(plain(c, DETAIL_LIMIT)) <= SHORT_CELL and " " not in plain(c, DETAIL_LIMIT)
            cells.append(f'<td class="nw">{text}</td>' if short else f"<td>{text}</td>")
        body.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    return f'<table class="inner"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _detail(row: dict[str, Any]) -> str:
    ev = row.get("evidence") or []
    evidence = _inner_table(
        ["Source", "Rule", "Field", "Value", "Weight", "Matched"],
        [[e.get("source"), e.get("rule"), e.get("field"), e.get("value"),
          f"{e.get('weight'):.2f}" if isinstance(e.get("weight"), int | float) else e.get("weight"),
          e.get("matched")] for e in ev],
        ["conflict" if e.get("conflict") else "" for e in ev],
    )
    conf = row.get("field_confidence") or {}
    identity = _inner_table(["Field", "Value"], [
        ["status", row.get("status")], ["hostname", row.get("hostname")], ["serial", row.get("serial")],
        ["vendor", row.get("vendor")], ["model", row.get("model")], ["os", row.get("os")],
        ["site", row.get("site")], ["methods", joined(row.get("methods"))],
        ["confidence per field", ", ".join(f"{k} {v:.0%}" for k, v in conf.items()
                                           if isinstance(v, int | float))],
    ])
    ifaces = _inner_table(
        ["MAC", "Vendor", "Switch port", "Last seen"],
        [[f"{i.get('mac')} (random)" if i.get("randomised") else i.get("mac"), i.get("vendor"),
          " ".join(p for p in (i.get("switch"), i.get("switch_port")) if p), when(i.get("last_seen"))]
         for i in row.get("interfaces") or []],
    )
    addrs = _inner_table(
        ["IP", "MAC", "Now", "First seen", "Last seen"],
        [[a.get("ip"), a.get("mac"), "yes" if a.get("current") else "no", when(a.get("first_seen")),
          when(a.get("last_seen"))] for a in (row.get("address_history") or [])[:50]],
    )
    services = _inner_table(
        ["Port", "Name", "Product", "Version"],
        [[f"{s.get('port')}/{s.get('protocol') or 'tcp'}", s.get("name"), s.get("product"), s.get("version")]
         for s in row.get("services") or []],
    )
    banners = "".join(
        f'<div class="sub">{esc(b.get("port"), 8)}/{esc(b.get("protocol"), 8)}</div>'
        f'<pre class="banner">{esc_block(b.get("banner") or b.get("extrainfo"))}</pre>'
        for b in (row.get("banners") or [])[:10]
    )
    risks = _inner_table(["Severity", "Hint"],
                         [[h.get("severity"), h.get("text")] for h in row.get("risks") or []])
    return (
        '<div class="grid">'
        f"<div><h3>Identity</h3>{identity}</div>"
        f'<div class="wide"><h3>Fingerprint evidence</h3>{evidence}</div>'
        f"<div><h3>Risk hints</h3>{risks}</div>"
        f"<div><h3>Services</h3>{services}{banners}</div>"
        f'<div><h3>Interfaces</h3>{ifaces}<h3 class="gap">Addresses</h3>{addrs}</div>'
        "</div>"
    )


def _device_rows(rows: Sequence[dict[str, Any]]) -> str:
    out = []
    for row in rows:
        status = plain(row.get("status"), 20)
        conf = row.get("confidence") if isinstance(row.get("confidence"), int | float) else 0.0
        name = row.get("hostname") or (row.get("ips") or ["(no name)"])[0]
        vendor_model = joined([row.get("vendor"), row.get("model")], " ")
        risks = row.get("risks") or []
        risk_rank = sum({"high": 100, "medium": 10, "low": 1}.get(h.get("severity"), 0) for h in risks)
        ips = row.get("ips") or []
        macs = row.get("macs") or []
        cells = [
            f'<td data-sort="{0 if status == "rogue" else 1}{esc(row.get("id"), 12)}">'
            f'<button class="tog" type="button" aria-expanded="false" '
            f'aria-label="show evidence">\u25B8</button> '
            f'<span class="badge {esc(status, 20)}">{esc(status, 20)}</span>'
            f'<div class="sub">#{esc(row.get("id"), 12)}</div></td>',
            f'<td data-sort="{esc(name)}"><strong>{esc(name)}</strong>'
            f'<div class="sub">{esc(vendor_model or "unknown vendor")}</div></td>',
            f'<td data-sort="{esc(row.get("device_class"), 30)}">{esc(class_text(row), 40)}'
            f'<span class="conf"><i style="width:{max(0.0, min(conf, 1.0)) * 100:.0f}%"></i></span></td>',
            f'<td data-sort="{esc(ips[0] if ips else "")}" class="mono">'
            + "<br>".join(esc(ip, 45) for ip in ips[:4])
            + "".join(f'<div class="sub">{esc(m, 20)}</div>' for m in macs[:3]) + "</td>",
            f"<td>{esc(row.get('os') or '—')}</td>",
            f"<td>{_found_by(row)}</td>",
            f'<td data-sort="{len(row.get("services") or [])}">{_service_chips(row)}</td>',
            f'<td data-sort="{risk_rank}">{_risk_chips(row) or "<span class=sub>none</span>"}</td>',
            f'<td data-sort="{_ts(row.get("last_seen"))}">'
            f'<div class="nw">{esc(when(row.get("last_seen")), 20)}</div><div class="sub">first seen</div>'
            f'<div class="sub nw">{esc(when(row.get("first_seen")), 20)}</div></td>',
        ]
        rogue = " rogue" if status == "rogue" else ""
        out.append(
            f'<tbody class="dev{rogue}"><tr class="main">{"".join(cells)}</tr>'
            f'<tr class="detail" hidden><td colspan="9">{_detail(row)}</td></tr></tbody>'
        )
    return "".join(out)


HEADERS = [  # (label, sort type, column width)
    ("Status", "text", "10%"), ("Device", "text", "14%"), ("Class", "text", "9%"),
    ("Addresses", "text", "12%"), ("OS", "text", "8%"), ("Found by", "text", "11%"),
    ("Services", "number", "12%"), ("Risks", "number", "12%"), ("Seen", "text", "12%"),
]


def _summary(summary: dict[str, Any]) -> str:
    total = summary.get("total", 0)
    rogue = summary.get("by_status", {}).get("rogue", 0)
    cards = (
        f'<div class="cards"><div class="card"><div class="n">{total}</div>'
        '<div class="l">undocumented devices</div></div>'
        f'<div class="card rogue"><div class="n">{rogue}</div><div class="l">flagged rogue</div></div>'
        f'<div class="card risk"><div class="n">{summary.get("at_risk", 0)}</div>'
        f'<div class="l">with risk hints</div></div></div>'
    )

    def bars(title: str, counts: dict[str, int], cls: str) -> str:
        top = max(counts.values(), default=1) or 1
        items = "".join(
            f'<div class="bar {cls}"><span>{esc(k, 40)}</span><span class="track">'
            f'<span class="fill" style="width:{100 * v / top:.0f}%;display:block"></span></span>'
            f'<span class="c">{int(v)}</span></div>'
            for k, v in list(counts.items())[:12]
        ) or '<p class="sub">none</p>'
        return f'<div class="panel"><h2>{esc(title)}</h2>{items}</div>'

    return cards + ('<div class="breakdown">' + bars("By device class", summary.get("by_class", {}), "")
                    + bars("By risk hint", summary.get("by_risk", {}), "risk") + "</div>")


MAX_HTML_ROWS = 2000


def render_html(rows: Sequence[dict[str, Any]], summary: dict[str, Any], title: str = "Undocumented devices",
                scope: str = "", generated: datetime | None = None, total: int | None = None) -> str:
    """The whole page as text; ``scope`` describes filters (site, since) for the header line.

    At most MAX_HTML_ROWS devices get a table row (a browser cannot lay out 100,000 of them);
    ``total`` is how many the report holds when ``rows`` is only its first part. The summary
    always counts them all, and the page says how to get the rest.
    """
    total = len(rows) if total is None else total
    rows = rows[:MAX_HTML_ROWS]
    generated = generated or datetime.now(UTC)
    meta = (f"Generated {when(generated)} UTC · rogue devices first, then newest first"
            " · ignored devices hidden")
    if scope:
        meta += f" · {scope}"
    if rows:
        cols = "".join(f'<col style="width:{w}">' for _, _, w in HEADERS)
        heads = "".join(f'<th scope="col" data-type="{t}">{esc(label)}</th>' for label, t, _ in HEADERS)
        body = (
            '<div class="controls"><input id="filter" type="search" '
            'placeholder="Filter by name, IP, MAC, vendor…" '
            'aria-label="filter devices"><button id="expand-all" type="button">Expand all</button>'
            '<button id="collapse-all" type="button">Collapse all</button>'
            f'<span class="count" id="shown">{len(rows)} shown</span></div>'
            + (f'<p class="more">The first {len(rows):,} of {total:,} devices, rogue first, then newest. '
               "All of them: --format json or csv; fewer: --site or --since.</p>"
               if total > len(rows) else "")
            + f'<table class="devices"><colgroup>{cols}</colgroup><thead><tr>{heads}</tr></thead>'
            f"{_device_rows(rows)}</table>"
        )
    else:
        body = ('<div class="empty">No undocumented devices. '
                'Everything seen on the network is documented.</div>')
    template = _template()
    page = Template(template).substitute(
        script_hash=_script_hash(template), title=esc(title), heading=esc(title), meta=esc(meta, 400),
        summary=_summary(summary) if rows else "", body=body,
        footer="netdiscover · click a column to sort · ▸ shows the evidence behind each device",
    )
    return page
