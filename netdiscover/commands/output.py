"""Where a command's result goes: standard output, or the file named by ``-o/--output``.

The option itself (``output_option``) and the writers the commands that have it share: a file is
written whole, a line on standard error says where, and a file that cannot be written is a
one-line error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from netdiscover.commands.context import UserError
from netdiscover.commands.streamed import write_json_pieces

output_option: Callable[[Any], Any] = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.")


def emit(text: str, output: Path | None, what: str | None = None) -> None:
    """``text`` to standard output, or into ``output`` as it is (line ends untranslated, as CSV
    wants them), then ``wrote [WHAT to] FILE`` on standard error."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {what} to {output}" if what else f"wrote {output}", err=True)


def emit_pieces(chunks: Iterable[str], output: Path | None) -> None:
    """Like ``emit``, for JSON text that comes in pieces (an array streamed row by row)."""
    if output is None:
        write_json_pieces(chunks)
        return
    try:
        with output.open("w", encoding="utf-8") as sink:
            for chunk in chunks:
                sink.write(chunk)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}", err=True)


def check_writable(output: Path | None) -> None:
    """Raise UserError now when ``output`` could not be written later (no such directory, or no
    permission): for commands whose result takes long to make."""
    if output is None:
        return
    folder = output.parent
    if not folder.is_dir():
        raise UserError(f"cannot write {output}: no such directory {folder}")
    if not os.access(output if output.exists() else folder, os.W_OK):
        raise UserError(f"cannot write {output}: permission denied")
