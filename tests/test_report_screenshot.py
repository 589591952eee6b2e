"""The HTML report of a realistic office, rendered by headless Chromium at 1280 px, fits without
sideways scrolling and produces a screenshot (skipped where Chromium is not installed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"


def load_script():
    spec = importlib.util.spec_from_file_location("screenshot_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_fits_1280_and_screenshots(tmp_path):
    shots = load_script()
    binary = shots.chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    url = f"sqlite:///{tmp_path / 'office.db'}"
    shots.sample_office(url)
    page = shots.render(url, tmp_path)
    html = page.read_text(encoding="utf-8")
    assert "Pineapple" in html and "&lt;script&gt;alert(" in html
    assert shots.layout_width(binary, page, tmp_path) <= shots.WIDTH
    png = tmp_path / "overview.png"
    shots.screenshot(binary, page, png, 900)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
