"""The Recog matcher: Ruby regex translation, every vendored example against its own fingerprint,
parameter extraction and interpolation, and bounded time on hostile input."""

from __future__ import annotations

import re
import string
import time
import warnings

import pytest

from netdiscover.fingerprints import recog
from netdiscover.fingerprints.recog import database
from netdiscover.fingerprints.recog.translate import Untranslatable, compile_ruby, flags, translate

VENDORED = ("dhcp_vendor_class", "ftp_banners", "hp_pjl_id", "html_title", "http_servers",
            "mdns_device-info_txt", "rtsp_servers", "sip_user_agents", "snmp_sysdescr", "snmp_sysobjid",
            "ssh_banners", "telnet_banners", "x509_subjects")


def test_the_discovery_files_are_vendored_with_their_licence():
    assert tuple(recog.names()) == VENDORED
    notice = (database.DATA / "LICENSE").read_text() + (database.DATA / "COPYING").read_text()
    assert "Rapid7" in notice and "Redistribution and use in source and binary forms" in notice


@pytest.mark.parametrize("name", VENDORED)
def test_every_example_matches_its_own_fingerprint_with_its_params(name):
    db = recog.load(name)
    assert db.fingerprints, name
    checked = 0
    failures = []
    for fp in db.fingerprints:
        assert fp.error is None, f"{name}: {fp.pattern!r}: {fp.error}"
        for example in fp.examples:
            checked += 1
            got = fp.match(database.bounded(example.text))
            if got is None:
                failures.append(f"no match: {fp.pattern!r} on {example.text[:80]!r}")
                continue
            wrong = {k: (v, got.get(k)) for k, v in example.expected.items() if got.get(k) != v}
            if wrong:
                failures.append(f"params {wrong} from {fp.pattern!r} on {example.text[:80]!r}")
            # the database as used (first match wins) names this very fingerprint
            hit = db.match(example.text)
            if hit is None or hit[0] is not fp:
                failures.append(f"first match for {example.text[:60]!r} is not {fp.pattern!r}")
    assert checked >= len(db.fingerprints) // 2
    assert not failures, f"{len(failures)} of {checked} examples fail:\n" + "\n".join(failures[:20])


def test_the_example_count_over_all_files():
    examples = sum(len(fp.examples) for name in VENDORED for fp in recog.load(name).fingerprints)
    with_params = sum(1 for name in VENDORED for fp in recog.load(name).fingerprints
                      for ex in fp.examples if ex.expected)
    assert examples >= 4600 and with_params >= 3000


def test_base64_examples_decode_to_real_banners():
    telnet = recog.load("telnet_banners")
    decoded = [ex.text for fp in telnet.fingerprints for ex in fp.examples
               if "\r" in ex.text or "\n" in ex.text]
    assert len(decoded) >= 100          # 137 base64 examples in telnet_banners
    assert not any(ex.text.startswith("\x00undecodable") for name in VENDORED
                   for fp in recog.load(name).fingerprints for ex in fp.examples)


@pytest.mark.parametrize(("ruby", "text", "matches"), [
    (r"\Afoo\z", "foo", True),
    (r"\Afoo\z", "foo\n", False),
    (r"foo\Z", "foo\n", True),          # Ruby \Z allows one final newline
    (r"foo\Z", "foo\nx", False),
    (r"^v(\h+)$", "vDEADbeef", True),
    (r"^v\h+$", "vxyz", False),
    (r"^(?<major>\d+)\.(?<minor>\d+)$", "12.4", True),
    (r"^[[:alpha:]]+ [[:digit:]]+$", "abc 123", True),
    (r"^[[:alpha:]]+$", "ab1", False),
    (r"^[a[bc]]+$", "abcab", True),     # class union
    (r"^a++b$", "aaab", True),          # possessive
    (r"^(?>a+)b$", "aab", True),        # atomic
    (r"^second$", "first\nsecond\nthird", True),   # Ruby ^/$ are line anchors
    (r"^x(?i)abc$", "xABC", True),      # mid-pattern flag holds to the end of its group
    (r"^(?:X(?i)a)b$", "XAb", True),
    (r"^(?:X(?i)a)b$", "XAB", False),
    (r"^\d+$", "١٢٣", False),           # Ruby \d is ASCII
])
def test_ruby_constructs_translate(ruby, text, matches):
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # Python's nested-set FutureWarning would be a bug
        assert bool(compile_ruby(ruby).search(text)) is matches, translate(ruby)


def test_ruby_m_flag_is_dotall():
    assert compile_ruby(r"a.b", "REG_MULTILINE").search("a\nb")
    assert compile_ruby(r"a.b", "REG_DOT_NEWLINE").search("a\nb")
    assert not compile_ruby(r"a.b").search("a\nb")
    assert compile_ruby(r"(?m)a.b").search("a\nb")
    assert compile_ruby(r"abc", "REG_ICASE").search("ABC")
    assert flags("REG_ICASE,REG_MULTILINE") & re.IGNORECASE


@pytest.mark.parametrize("ruby", [r"[a-z&&[^aeiou]]", r"\K", r"\p{Alpha}", "[abc", "(abc", "abc)", "a\\",
                                  r"(?<name>x)(y)"])
def test_untranslatable_constructs_are_refused(ruby):
    with pytest.raises((Untranslatable, re.error)):
        compile_ruby(ruby)


def test_params_captures_constants_and_interpolation():
    hit = recog.match("ssh_banners", "OpenSSH_8.2p1 Ubuntu-4ubuntu0.5")
    assert hit is not None
    fp, params = hit
    assert params["service.version"] == "8.2p1"
    assert params["os.version"] == "20.04" and params["os.family"] == "Linux"
    # "{service.version}" in the constant filled from the capture
    assert params["service.cpe23"] == "cpe:/a:openbsd:openssh:8.2p1"
    assert "Ubuntu" in fp.description


def test_unfilled_placeholder_drops_the_param():
    fp = database.RecogFingerprint("t", "^x(\\d)?$", re.compile(r"^x(\d)?$"),
                                   (("cpe", "cpe:/a:x:x:{v}"), ("vendor", "X")), (("v", 1),))
    assert fp.match("x1") == {"v": "1", "cpe": "cpe:/a:x:x:1", "vendor": "X"}
    assert fp.match("x") == {"vendor": "X"}


def test_match_returns_a_copy():
    first = recog.match("http_servers", "Hikvision-Webs")
    assert first is not None
    first[1]["hw.vendor"] = "changed"
    assert recog.match("http_servers", "Hikvision-Webs")[1]["hw.vendor"] == "Hikvision"


@pytest.mark.parametrize("value", [None, "", 42, b"Hikvision-Webs", ["x"], {"a": 1}])
def test_odd_values_do_not_match_and_do_not_raise(value):
    assert recog.match("http_servers", value) is None


def test_unknown_database_is_a_key_error():
    with pytest.raises(KeyError):
        recog.load("../../etc/passwd")


def _hostile_strings() -> list[str]:
    out = [c * 50_000 for c in string.whitespace + string.punctuation + "a0A"]
    out += [(c + " ") * 10_000 for c in string.punctuation + "a"]
    out += [(c + "\n") * 10_000 for c in "*a-="]
    out += [" \n" * 20_000, "\r\n" * 20_000, "\x00\xff" * 10_000, "".join(map(chr, range(1, 0x800))) * 10]
    return out


def test_hostile_strings_are_matched_in_bounded_time():
    """Every database on huge, binary and backtracking-bait strings: no exception, bounded time."""
    baits = _hostile_strings()
    # CPU time of this thread: catastrophic backtracking costs minutes of it, a loaded machine none
    started = time.thread_time()
    for name in VENDORED:
        db = recog.load(name)
        for text in baits:
            db.match_all(text)           # every fingerprint, not only up to the first hit
    elapsed = time.thread_time() - started
    assert elapsed < 10, f"{elapsed:.1f} s"


def test_backtracking_patterns_stay_fast_on_their_own_bait():
    # two shipped patterns are cubic on runs of blank lines; bounded input keeps them cheap
    title = recog.load("html_title")
    telnet = recog.load("telnet_banners")
    for db, bait in ((title, "\n" * 100_000), (title, " \n" * 50_000), (telnet, "\r\n" * 50_000),
                     (telnet, "*" * 100_000 + "\n")):
        started = time.thread_time()
        db.match_all(bait)
        assert time.thread_time() - started < 2.0
    assert len(database.bounded("x" * 100_000)) <= database.MAX_INPUT
    assert database.bounded("a" + " " * 1000 + "b") == "a" + " " * database.MAX_SPACE_RUN + "b"


@pytest.mark.parametrize("name", VENDORED)
def test_literal_prefilter_never_changes_the_answer(name):
    """The anchor index picks the same first fingerprint as trying every pattern in order."""
    db = recog.load(name)
    assert sum(fp.anchors is not None for fp in db.fingerprints) > 0.8 * len(db.fingerprints)
    compared = 0
    for fp in db.fingerprints:
        for example in fp.examples[:4]:
            for text in (example.text, example.text.upper(), example.text.lower(), "x " + example.text,
                         example.text[: len(example.text) // 2]):
                naive = db.match_all(text)
                hit = db.match(text)
                assert (hit[0] if hit else None) is (naive[0][0] if naive else None), (fp.pattern, text)
                compared += 1
    assert compared >= len(db.fingerprints)
