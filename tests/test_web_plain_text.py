"""``plain`` (every network string on the pages and in the reports) takes a fast path for text that
is already one clean line; its answers must stay those of the full clean-up for any text."""

from __future__ import annotations

import random

from netdiscover.reports.text import _ANSI, _CONTROL, plain, shorten

ODD = ["\x00", "\t", "\n", "\r", "\x0b", "\x1b", "\x1b[31m", "\x1b]0;x\x07", "\x7f", "\x85", "\x9b", "\xa0",
       "\u1680", "\u2000", "\u200b", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069", "\u3000",
       "\ufeff", "\U0001f389", "é", "中", " ", "  ", "…"]


def _full(value: str, limit: int) -> str:
    text = _CONTROL.sub(" ", _ANSI.sub("", value[: limit * 4]))
    return shorten(" ".join(text.split()), limit)


def test_plain_answers_as_the_full_clean_up():
    rng = random.Random(19)
    for _ in range(20000):
        parts = [rng.choice(ODD) if rng.random() < 0.3 else rng.choice("ab.-_:/<>&\"'")
                 for _ in range(rng.randint(0, 14))]
        text, limit = "".join(parts), rng.choice((1, 3, 8, 40))
        assert plain(text, limit) == _full(text, limit), (text, limit)
    for ch in [chr(c) for c in range(0x3000)] + ODD:
        for text in (ch, f"a{ch}b", f" {ch}", f"{ch} ", ch * 50):
            assert plain(text, 40) == _full(text, 40), text
    assert plain(None) == "" and plain("host  one ") == "host one" and plain("x" * 50, 10) == "x" * 9 + "…"
