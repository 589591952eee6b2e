"""``assets show`` loads only what showing one asset needs: not the listing's filters, the report
writers nor the risk rules. (Its time is a benchmark's job; this checks the cause.)"""

from __future__ import annotations

import json
import subprocess
import sys

NOT_FOR_SHOW = ("netdiscover.services.reports", "netdiscover.reports.risk",
                "netdiscover.reports.unknown_json", "netdiscover.services.paging",
                "netdiscover.storage.asset_pages")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(set(sys.modules) & {set(NOT_FOR_SHOW)!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_show_service_loads_nothing_of_the_listing_or_the_reports():
    assert _loaded_after("from netdiscover.services.assets import show_asset") == []


def test_the_probe_sees_them_where_they_are_used():
    code = "from netdiscover.services.assets import parse_asset_query\nparse_asset_query()"
    assert _loaded_after(code) == ["netdiscover.storage.asset_pages"]
