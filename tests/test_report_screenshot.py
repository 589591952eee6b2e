"""The HTML report of a realistic office in headless Chromium at 1280 px: it fits without sideways
scrolling, its own script runs under its Content-Security-Policy, sorting and expanding work, and a
screenshot is produced (skipped where Chromium is not installed)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"

PROBE = """<script>document.addEventListener('DOMContentLoaded', function () {
  var body = document.body;
  body.setAttribute('data-scroll-width', String(document.documentElement.scrollWidth));
  var ths = document.querySelector('table.devices').tHead.rows[0].cells;
  ths[7].click(); ths[7].click();
  var first = document.querySelector('table.devices tbody');
  first.querySelector('button.tog').click();
  body.setAttribute('data-first', first.rows[0].cells[7].getAttribute('data-sort'));
  body.setAttribute('data-open', String(!first.querySelector('tr.detail').hidden));
  body.setAttribute('data-order', ths[7].getAttribute('aria-sort'));
});</script>"""


def load_script():
    spec = importlib.util.spec_from_file_location("screenshot_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    shots = load_script()
    binary = shots.chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    work = tmp_path_factory.mktemp("office")
    url = f"sqlite:///{work / 'office.db'}"
    shots.sample_office(url)
    return shots, binary, shots.render(url, work), work


def test_screenshot_of_the_office_report(office):
    shots, binary, page, work = office
    html = page.read_text(encoding="utf-8")
    assert "Pineapple" in html and "&lt;script&gt;alert(" in html
    png = work / "overview.png"
    shots.screenshot(binary, page, png, 900)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_fits_1280_script_runs_under_csp_sorts_and_expands(office):
    shots, binary, page, work = office
    # The page as written: its own script is allowed by the CSP hash and runs (headers get tabindex).
    dom = shots.run_chromium(binary, ["--window-size=1280,900", "--dump-dom", page.as_uri()]).stdout
    assert dom.count('tabindex="0"') == 9

    # A copy with a probe (the CSP removed so the probe may run): measure, sort by risk, open a device.
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text(encoding="utf-8"))
    probed = work / "probe.html"
    probed.write_text(html.replace("</head>", PROBE + "</head>", 1), encoding="utf-8")
    dom = shots.run_chromium(binary, ["--window-size=1280,900", "--dump-dom", probed.as_uri()]).stdout
    width = int(re.search(r'data-scroll-width="(\d+)"', dom).group(1))
    assert width <= shots.WIDTH
    ranks = [int(v) for v in re.findall(r'<td data-sort="(\d+)"><span class="chip', dom)]
    assert 'data-order="descending"' in dom and 'data-open="true"' in dom
    assert f'data-first="{max(ranks)}"' in dom
