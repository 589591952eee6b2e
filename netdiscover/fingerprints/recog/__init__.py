"""Recog (Rapid7's fingerprint database, BSD-2-Clause) vendored as data, with our own matcher.

``data/`` holds the XML files that fit discovery, unchanged, beside Recog's LICENSE and
COPYING (keep them together). ``translate`` rewrites Recog's Ruby regexes for Python,
``database`` loads a file on first use and returns the first fingerprint that matches a string.
"""

from netdiscover.fingerprints.recog.database import Database, RecogFingerprint, load, match, names

__all__ = ["Database", "RecogFingerprint", "load", "match", "names"]
