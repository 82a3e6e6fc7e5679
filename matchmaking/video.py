"""Video-call links: a template with a `{room}` placeholder, filled with an unguessable name."""

from __future__ import annotations

import secrets
from typing import Protocol

ROOM_BYTES = 18
"""Random bytes per room name: 144 bits, 24 URL-safe characters."""


class TokenSource(Protocol):
    """Makes random URL-safe tokens (the `secrets` module is one)."""

    def token_urlsafe(self, nbytes: int | None = ...) -> str:
        """Return a random URL-safe text token of `nbytes` random bytes."""
        ...


def make_video_link(template: str, rng: TokenSource = secrets) -> str:
    """Return the template with `{room}` replaced by a random room name (>= 128 bits, URL-safe).

    A template without `{room}` gets the room name appended after a slash.

    Example:
        make_video_link("https://meet.jit.si/matchbot-{room}")
        -> "https://meet.jit.si/matchbot-3q9V...".
    """
    room = rng.token_urlsafe(ROOM_BYTES)
    if "{room}" not in template:
        return template.rstrip("/") + "/" + room
    return template.replace("{room}", room)
