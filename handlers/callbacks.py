"""Callback data: `<flow prefix>:<action>[:<id>...]`, ids only, always under 64 bytes.

Examples: `m:req:42` (request a meeting with the company behind reference 42), `mt:acc:17`
(accept meeting request 17), `in:country:c:PL`. Texts never travel in callback data.
"""

from __future__ import annotations

from handlers.types import MAX_CALLBACK_BYTES

SEPARATOR = ":"


class StaleCallback(Exception):
    """The button is unknown, out of date, or belongs to someone else."""


def pack(*parts: object) -> str:
    """Join parts into callback data.

    Raises:
        ValueError: If a part contains the separator or the result is 64 bytes or longer.
    """
    texts = [str(p) for p in parts]
    if any(SEPARATOR in t for t in texts):
        raise ValueError(f"callback part contains {SEPARATOR!r}: {texts!r}")
    data = SEPARATOR.join(texts)
    if len(data.encode("utf-8")) >= MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def unpack(data: str) -> list[str]:
    """Split callback data into its parts."""
    return data.split(SEPARATOR)


def int_part(parts: list[str], index: int) -> int:
    """Return part `index` as an int.

    Raises:
        StaleCallback: If it is missing or not a number.
    """
    try:
        return int(parts[index])
    except (IndexError, ValueError):
        raise StaleCallback(":".join(parts)) from None


def part(parts: list[str], index: int) -> str:
    """Return part `index`.

    Raises:
        StaleCallback: If it is missing.
    """
    if index >= len(parts) or not parts[index]:
        raise StaleCallback(":".join(parts))
    return parts[index]
