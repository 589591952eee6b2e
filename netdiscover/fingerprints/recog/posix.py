"""POSIX bracket classes (``[:alpha:]``) as the ASCII ranges they stand for inside a Python class."""

POSIX_CLASSES: dict[str, str] = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "xdigit": "0-9a-fA-F",
    "space": r" \t\r\n\v\f",
    "blank": r" \t",
    "cntrl": r"\x00-\x1f\x7f",
    "punct": r"!-/:-@\[-`{-~",
    "graph": r"!-~",
    "print": r" -~",
    "word": r"\w",
}
