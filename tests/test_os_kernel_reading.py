"""The benchmark's kernel-level OS reading: it accepts the kernel a sysDescr names, never less."""

import re
from types import SimpleNamespace

from benchmarks import os_kernel_reading


def _scorer() -> SimpleNamespace:
    def norm_os(s):
        return re.sub(r"[^a-z0-9]", "", s.lower()) if s else None

    return SimpleNamespace(norm_os=norm_os, os_aliases=lambda r: {norm_os(r["os"])})


RECORDS = {
    "ups.snmprec": {"os": "poweralert", "sysDescr": "Ubuntu 18.04 Linux 4.4.31 flash: 3.34G armv7l"},
    "sw.snmprec": {"os": "ciscosb", "sysDescr": "Catalyst 1200 Series Smart Switch"},
    "srv.snmprec": {"os": "windows", "sysDescr": "Hardware: Intel64 - Software: Windows Version 6.3"},
    "odd.snmprec": {"os": "x", "sysDescr": ["not", "text"]},
}


def test_named_kernels_reads_only_text() -> None:
    assert os_kernel_reading.named_kernels("SunOS host 5.11 i86pc") == {"sunos"}
    assert os_kernel_reading.named_kernels("Linuxbox 2.0") == set()
    assert os_kernel_reading.named_kernels(None) == set()
    assert os_kernel_reading.named_kernels("x" * 10_000 + " Linux") == set()


def test_kernel_answer_counts_where_the_descr_names_it() -> None:
    preds = [{"file": "ups.snmprec", "os_family": "Linux"}, {"file": "sw.snmprec", "os_family": "linux"},
             {"file": "srv.snmprec", "os_family": "Windows"}, {"file": "odd.snmprec", "os_family": "linux"}]
    # ups: kernel named; sw: no kernel named and label differs; srv: the label itself; odd: no text
    assert os_kernel_reading.accuracy(_scorer(), RECORDS, preds) == 0.5


def test_labels_right_by_the_scorer_stay_right_and_abstentions_stay_wrong() -> None:
    preds = [{"file": "sw.snmprec", "os_family": "ciscosb"}, {"file": "ups.snmprec", "os_family": None},
             {"file": "missing.snmprec", "os_family": "linux"}]
    assert os_kernel_reading.accuracy(_scorer(), RECORDS, preds) == 0.25
