"""The review pages in Debian's headless Chromium (Playwright, nothing downloaded), served on 127.0.0.1.

Logs in, filters the unknown list, approves a device with a note and sees it leave the list
and appear in the asset's events; a device named like an XSS payload renders as text and no
dialog ever opens. Screenshots at 1280 px go to $WEB_SCREENSHOT_DIR (or the test's tmp dir).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from webdata import PASSWORD, XSS, seed, served

from netdiscover.storage.engine import open_database
from netdiscover.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A seeded SQLite database served by uvicorn on a free loopback port, for this module."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/apt-packages.txt installs it")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    db = tmp_path_factory.mktemp("web") / "netdiscover.db"
    sessions = open_database(f"sqlite:///{db}")
    data = seed(sessions)
    with served(create_app(sessions)) as url:
        data.update(url=url, sessions=sessions)
        yield data
    sessions.kw["bind"].dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(10_000)
    yield page
    context.close()


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("WEB_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def log_in(page, url: str, user: str = "reviewer") -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_review_flow_in_chromium(page, server, tmp_path):
    url, out = server["url"], shots(tmp_path)
    log_in(page, url)
    assert page.locator(".stat.undocumented .num").inner_text().isdigit()
    page.screenshot(path=str(out / "dashboard.png"), full_page=True)

    page.click("nav >> text=Unknown devices")
    page.select_option("select[name=device_class]", "printer")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*device_class=printer.*"))
    rows = page.locator("table.list tbody tr[data-asset-id]")
    assert rows.count() > 1
    classes = {rows.nth(i).locator("td").nth(3).inner_text() for i in range(rows.count())}
    assert classes == {"printer"}
    page.screenshot(path=str(out / "unknown-list.png"), full_page=True)

    chosen = rows.first.get_attribute("data-asset-id")
    page.check(f"input[name=ids][value='{chosen}']")
    page.fill("#bulk input[name=note]", "office printer, ticket 4711")
    page.click("#bulk button[value=approve]")
    page.wait_for_load_state()
    assert page.locator(f"tr[data-asset-id='{chosen}']").count() == 0
    assert page.locator("table.list tbody tr[data-asset-id]").count() == rows.count()

    page.goto(f"{url}/assets/{chosen}")
    events = page.locator("table.events tbody tr").first
    assert "approved" in events.inner_text()
    assert "office printer, ticket 4711" in events.inner_text() and "reviewer" in events.inner_text()
    page.screenshot(path=str(out / "asset.png"), full_page=True)
    assert page.dialogs == []


def test_select_all_and_empty_selection(page, server):
    log_in(page, server["url"])
    page.goto(f"{server['url']}/unknown?site=lab")
    boxes = page.locator("input[name=ids]")
    page.check("[data-select-all]")
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.uncheck("[data-select-all]")
    page.click("#bulk button[value=ignore]")
    assert page.dialogs == ["Select at least one device first."]
    assert page.url.endswith("/unknown?site=lab")


def test_xss_named_device_renders_as_text(page, server):
    url = server["url"]
    log_in(page, url)
    hostile = server["hostile"][0]
    for target in (f"{url}/unknown?q=192.168.77.", f"{url}/assets/{hostile}", f"{url}/changes?since=30d"):
        page.goto(target)
        page.wait_for_load_state("load")
        assert page.locator("main img").count() == 0, target
        assert XSS in page.locator("main").inner_text(), target
    page.goto(f"{url}/unknown?q=192.168.77.1")
    assert page.locator(f"tr[data-asset-id='{hostile}'] td.name").inner_text() == XSS
    assert page.dialogs == []


def test_narrow_screen_has_no_sideways_page(page, server):
    log_in(page, server["url"])
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/unknown", f"/assets/{server['assets'][5]}", "/sweeps"):
        page.goto(server["url"] + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)


def test_admin_manages_users_and_tokens_and_sees_sites(page, server, tmp_path):
    from netdiscover.services.sites import add_site, record_heartbeat

    url, out = server["url"], shots(tmp_path)
    add_site(server["sessions"], "paris")
    add_site(server["sessions"], "lyon")
    record_heartbeat(server["sessions"], "paris", {"version": "0.9", "host": "collector-paris", "root": True,
                                                   "nmap": True, "interfaces": ["eth0", "eth1"]})
    log_in(page, url, "admin")
    page.click("nav >> text=Users")
    page.wait_for_url(f"{url}/users")
    page.fill("form[action='/users'] input[name=name]", "erin")
    page.select_option("form[action='/users'] select[name=role]", "reviewer")
    page.fill("form[action='/users'] input[name=password]", "erin's long password")
    page.click("form[action='/users'] button[type=submit]")
    page.wait_for_url(f"{url}/users")
    assert "reviewer" in page.locator("tr[data-user='erin']").inner_text()

    page.select_option("form[action='/tokens'] select[name=user]", "erin")
    page.fill("form[action='/tokens'] input[name=label]", "ticket bot")
    page.click("form[action='/tokens'] button[type=submit]")
    token = page.locator("[data-token]").input_value()
    assert token.startswith("ndt_")
    page.screenshot(path=str(out / "users.png"), full_page=True)
    page.reload()                  # re-sends the GET it was redirected to, not the form
    assert page.locator("[data-token]").count() == 0, "the token is shown once"
    assert page.locator("table.tokens tbody tr", has_text="ticket bot").count() == 1, "a reload made a token"
    row = page.locator("table.tokens tbody tr", has_text="ticket bot")
    row.locator("button", has_text="Revoke").click()
    page.wait_for_url(f"{url}/users")
    assert "revoked" in page.locator("table.tokens tbody tr", has_text="ticket bot").inner_text()
    assert page.locator("[data-token]").count() == 0, "the token is shown once"

    page.click("nav >> text=Sites")
    assert page.locator("tr[data-site='paris']").inner_text().count("yes") == 2
    page.screenshot(path=str(out / "sites.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/users", "/sites"):
        page.goto(url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert page.dialogs == []
