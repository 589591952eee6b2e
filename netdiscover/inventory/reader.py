"""Reading an inventory file: encoding, CSV dialect, strict row shape, and the record stream.

The file is streamed (one row in memory at a time), so a 100k-row export costs no more memory
than a small one. A row is refused with an error naming its line when its quoting is broken
(an unterminated quote swallows the following lines), its number of cells differs from the
header's, or it holds a NUL byte; without ``skip_invalid`` any such error means nothing is
imported, so a damaged file never half-lands in the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from netdiscover.identity import mac_kind, serial_key
from netdiscover.inventory import presets as presets_mod
from netdiscover.inventory.export import unguard
from netdiscover.inventory.mapping import Column, Record, build_plan, plan_problem, record_from_cells
from netdiscover.inventory.names import header_key
from netdiscover.inventory.presets import Preset
from netdiscover.observation import clean_text
from netdiscover.storage.spill import FirstLines

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_WARNINGS = 1000
WINDOW = 5000          # rows checked for repeated identity keys together
IN_MEMORY_KEYS = 100_000  # identity keys kept in memory before they move to a temporary file
_DELIMITERS = (",", ";", "\t", "|")
_LEGACY = "cp1252"


class InventoryError(Exception):
    """The file cannot be imported; the message names the line and the problem (one line each)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}")


def _first_bad_utf8(path: Path) -> int | None:
    """Line of the first byte sequence that is not UTF-8, or None when the file is UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return lines + chunk[: max(exc.start, 0)].count(b"\n") + 1
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines + 1
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _delimiter(header_line: str) -> str:
    """The delimiter the header row uses most (outside quotes)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Lines:
    """The text file's physical lines, NUL bytes noted by line number (then removed for csv)."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.line = 0
        self.nul_line = 0          # last line that held a NUL

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = next(self.fh)
        self.line += 1
        if "\x00" in text:
            self.nul_line = self.line
            text = text.replace("\x00", "")
        return text


def _line_number(error: str) -> int:
    parts = error.split(" ", 2)
    return int(parts[1].rstrip(":")) if len(parts) > 1 and parts[1].rstrip(":").isdigit() else 0


class Source:
    """An inventory file opened for import: its preset, column plan, and a stream of Records.

    Iterating yields valid records; errors (per line) and warnings accumulate on the object.
    Without ``skip_invalid``, records stop being yielded after the first error (the rest of
    the file is still read, so every error is reported).
    """

    def __init__(self, path: str | Path, *, fmt: str | None = None, encoding: str = "auto",
                 preset: str | None = None, mapping: Preset | None = None,
                 columns: dict[str, str] | None = None, skip_invalid: bool = False) -> None:
        self.path = Path(path)
        self.skip_invalid = skip_invalid
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.warning_count = 0
        self.notes: list[str] = []
        self.rows = 0
        self._seen = FirstLines(IN_MEMORY_KEYS)
        self._fh: IO[bytes] | None = None
        try:
            self.size = self.path.stat().st_size
            if not self.path.is_file():
                raise InventoryError([f"{self.path} is not a file"])
        except OSError as exc:
            raise InventoryError([f"cannot read {self.path}: {exc.strerror or exc}"]) from None
        if self.size > MAX_FILE_BYTES:
            raise InventoryError([f"{self.path.name}: {self.size:,} bytes is more than the "
                                  f"{MAX_FILE_BYTES:,} limit"])
        self.format = (fmt or ("json" if self.path.suffix.lower() == ".json" else "csv")).lower()
        self._forced = presets_mod.get(preset) if preset else None
        self._mapping = mapping
        self._user = {**(mapping.columns if mapping else {}), **(columns or {})}
        self.class_words = tuple(sorted({**(mapping.device_class if mapping else {})}.items()))
        self.encoding = self._encoding(encoding)
        if self.format == "json":
            self._open_json()
        else:
            self._open_csv()

    # ---- opening

    def _encoding(self, requested: str) -> str:
        requested = requested.lower()
        if requested not in ("auto", "utf-8", "utf8"):
            try:
                codecs.lookup(requested)
            except LookupError:
                raise InventoryError([f"unknown encoding {requested!r}"]) from None
            return requested
        try:
            with self.path.open("rb") as fh:
                head = fh.read(65536)
        except OSError as exc:
            raise InventoryError([f"cannot read {self.path}: {exc.strerror or exc}"]) from None
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        bad = _first_bad_utf8(self.path)
        if bad is None:
            return "utf-8-sig"
        hint = f"line {bad}: not valid UTF-8 text; save the file as UTF-8 or give --encoding latin-1"
        if requested != "auto":
            raise InventoryError([hint])
        # A product export whose header is not UTF-8, or a known product's export: legacy Windows text.
        first = head.split(b"\n", 1)[0].decode(_LEGACY, errors="replace")
        keys = [header_key(h) for h in next(csv.reader([first], delimiter=_delimiter(first)), [])]
        product = (self._forced or presets_mod.detect(keys)).name not in (presets_mod.GENERIC, "netdiscover")
        if bad == 1 or product:
            chosen = _LEGACY if _decodes(self.path, _LEGACY) else "latin-1"
            self.notes.append(f"{self.path.name} is not UTF-8 (line {bad}); read as {chosen} "
                              "(give --encoding to choose)")
            return chosen
        raise InventoryError([hint])

    def _choose_preset(self, keys: list[str]) -> None:
        if self._forced is not None:
            self.preset, self.detected = self._forced, False
        else:
            self.preset, self.detected = presets_mod.detect(keys), True

    def _open_csv(self) -> None:
        try:
            self._fh = self.path.open("rb")
            text = io.TextIOWrapper(self._fh, encoding=self.encoding, newline="", errors="strict")
            first = text.readline()
        except (OSError, UnicodeDecodeError) as exc:
            self.close()
            raise InventoryError([f"cannot read {self.path}: {exc}"]) from None
        if not first.strip("\ufeff\r\n\t "):
            self.close()
            raise InventoryError(["the file is empty"])
        self.delimiter = _delimiter(first)
        self._lines = _Lines(text)
        try:
            header = next(csv.reader([first.lstrip("\ufeff")], delimiter=self.delimiter))
        except csv.Error as exc:
            self.close()
            raise InventoryError([f"line 1: malformed header row ({exc})"]) from None
        if "\x00" in first:
            self.close()
            raise InventoryError(
                ["line 1: NUL byte in the header row (the file is damaged or not a text export)"])
        self.header = [h.strip() for h in header]
        self._choose_preset([header_key(h) for h in self.header])
        self.plan = self._plan(self.header)
        csv.field_size_limit(4 * 65536)
        self._reader = csv.reader(self._lines, delimiter=self.delimiter)
        self._lines.line = 1

    def _plan(self, headers: list[str]) -> list[Column]:
        try:
            plan = build_plan(headers, self.preset, self._user)
        except ValueError as exc:
            self.close()
            raise InventoryError([str(exc)]) from None
        problem = plan_problem(plan)
        if problem:
            self.close()
            raise InventoryError([f"line 1: {problem}"])
        return plan

    def _open_json(self) -> None:
        try:
            text = self.path.read_text(encoding=self.encoding)
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InventoryError([f"line {exc.lineno}: invalid JSON ({exc.msg})"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InventoryError([f"cannot read {self.path}: {exc}"]) from None
        if isinstance(data, dict) and isinstance(data.get("assets"), list):
            data = data["assets"]
        if not isinstance(data, list):
            raise InventoryError(["the JSON document must be an array of objects"])
        self._entries = data[:MAX_ROWS]
        keys: dict[str, None] = {}
        for entry in self._entries:
            if isinstance(entry, dict):
                keys.update(dict.fromkeys(str(k) for k in entry if k != "attributes"))
        self.header = list(keys)
        self._choose_preset([header_key(h) for h in self.header])
        self.plan = self._plan(self.header) if self.header else []
        self._plans: dict[tuple[str, ...], list[Column]] = {}

    def close(self) -> None:
        """Release the file."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def position(self) -> int:
        """Bytes read so far (for a progress bar)."""
        try:
            return self._fh.tell() if self._fh is not None else self.size
        except (OSError, ValueError):
            return self.size

    # ---- rows

    def _error(self, message: str) -> None:
        self.errors.append(clean_text(message, 400) or message[:400])

    def _accept(self, window: list[Record]) -> Iterator[Record]:
        """The window's records that repeat no identity key (asset tag, serial, MAC) of an earlier row."""
        keyed = []
        for rec in window:
            for warning in rec.warnings:
                self.warning_count += 1
                if len(self.warnings) < MAX_WARNINGS:
                    self.warnings.append(warning)
            keys = [("asset_tag", rec.asset_tag)] if rec.asset_tag else []
            keys += [("serial", s) for s in (serial_key(rec.serial),) if s]
            keys += [("mac", m) for m in rec.macs if mac_kind(m)]
            keyed.append((rec, [(hash(k), k) for k in keys]))
        earlier = self._seen.lines(h for _, keys in keyed for h, _ in keys)
        here: dict[int, int] = {}
        accepted = []
        for rec, keys in keyed:
            for digest, key in keys:
                first = earlier.get(digest) or here.setdefault(digest, rec.line)
                if first != rec.line:
                    self._error(f"line {rec.line}: same {key[0]} {key[1]!r} as line {first}")
                    break
            else:
                accepted.append(rec)
        self._seen.add(here)
        if self.errors and not self.skip_invalid:
            return iter(())
        return iter(accepted)

    def __iter__(self) -> Iterator[Record]:
        window: list[Record] = []
        try:
            for rec in self._json_records() if self.format == "json" else self._csv_records():
                window.append(rec)
                if len(window) >= WINDOW:
                    yield from self._accept(window)
                    window = []
            yield from self._accept(window)
        finally:
            self.close()
            self._seen.close()
            self.errors.sort(key=_line_number)

    def _csv_records(self) -> Iterator[Record]:
        reader, lines, plan = self._reader, self._lines, self.plan
        width = len(plan)
        words = self.class_words
        unguard_cells = self.preset.name == "netdiscover"
        while True:
            start = lines.line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self._error(f"line {start}: malformed CSV ({exc})")
                continue
            except UnicodeDecodeError as exc:
                self._error(f"line {start}: not valid {self.encoding} text ({exc.reason})")
                return
            end = lines.line
            if lines.nul_line >= start:
                self._error(f"line {lines.nul_line}: NUL byte in the row "
                            "(the file is damaged or not a text export)")
                continue
            if len(cells) != width:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if end > start:
                    self._error(f"line {start}: unterminated quote: a quoted field runs on to line {end}, "
                                f"leaving {len(cells)} cells where the header has {width} columns")
                else:
                    self._error(f"line {start}: {len(cells)} cells but the header has {width} columns")
                continue
            if not any(cells) or not any(c.strip() for c in cells):
                continue        # a blank row (spreadsheets leave them at the end)
            if end > start and width > 1 and self._swallows(cells, width):
                self._error(f"line {start}: unterminated quote: a quoted field swallows the following "
                            f"line(s) up to line {end}, which look like rows of their own")
                continue
            if unguard_cells:
                cells = [unguard(c) for c in cells]
            self.rows += 1
            if self.rows > MAX_ROWS:
                self._error(f"line {start}: more than {MAX_ROWS:,} rows")
                return
            try:
                rec = record_from_cells(start, plan, cells, words)
            except ValueError as exc:
                self._error(f"line {start}: {exc}")
                continue
            yield rec

    def _swallows(self, cells: list[str], width: int) -> bool:
        """A cell holding whole lines that carry a row's worth of delimiters: a lost closing quote."""
        for cell in cells:
            if "\n" in cell:
                for part in cell.split("\n")[1:]:
                    if part.count(self.delimiter) >= width - 1:
                        return True
        return False

    def _json_records(self) -> Iterator[Record]:
        for number, entry in enumerate(self._entries, start=1):
            if not isinstance(entry, dict):
                self._error(f"entry {number}: not an object")
                continue
            extra = entry.get("attributes")
            keys = tuple(str(k) for k in entry if k != "attributes" or not isinstance(extra, dict))
            plan = self._plans.get(keys)
            if plan is None:
                plan = self._plans[keys] = build_plan(list(keys), self.preset, self._user)
            values = [v for k, v in entry.items() if k != "attributes" or not isinstance(extra, dict)]
            self.rows += 1
            try:
                rec = record_from_cells(number, plan, values, self.class_words)
                for key, value in (extra or {}).items():
                    text = _attribute_text(value, str(key))
                    if text is not None:
                        rec.attributes[clean_text(str(key), 64) or "?"] = text
            except ValueError as exc:
                self._error(f"entry {number}: {exc}")
                continue
            yield rec


def _attribute_text(value: Any, key: str) -> str | None:
    from netdiscover.inventory.mapping import cell_text

    return cell_text(value, key)
