"""The per-user dialog state: which flow and step, the draft of answers, locale, button refs.

The whole state is a JSON-compatible dict in the `DialogStateStore`, written after every step, so
a restart in the middle of the intake loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATE_VERSION = 1
MAX_REFS = 200


@dataclass(slots=True)
class DialogState:
    """What the dialog remembers about one chat user.

    Attributes:
        locale: The user's catalog locale ("" until known).
        flow: The flow the user is in ("" when none).
        step: The step of that flow (the value of the flow's step Enum).
        data: The current flow's draft (answers given so far, ids of what is on screen).
        parked: Drafts of flows left with /cancel or by switching, by flow name.
        refs: Short references used in buttons, mapped to company ids (ids may be too long
            for Telegram's 64-byte callback data).
        next_ref: The next reference number.
        screen: Id of the message whose buttons were pressed last (the current screen).
        event_code: The event the user joined.
        forget: Delete the stored state instead of saving it (after /delete_me).
    """

    locale: str = ""
    flow: str = ""
    step: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    parked: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    next_ref: int = 1
    screen: int | None = None
    event_code: str = ""
    forget: bool = False

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> DialogState:
        """Return the state stored as `raw` (a fresh state for None or an unknown version)."""
        if not raw or raw.get("v") != STATE_VERSION:
            return cls()
        return cls(
            locale=str(raw.get("locale", "")),
            flow=str(raw.get("flow", "")),
            step=str(raw.get("step", "")),
            data=dict(raw.get("data") or {}),
            parked={str(k): dict(v) for k, v in (raw.get("parked") or {}).items()},
            refs={str(k): str(v) for k, v in (raw.get("refs") or {}).items()},
            next_ref=int(raw.get("next_ref", 1)),
            screen=raw.get("screen"),
            event_code=str(raw.get("event_code", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-compatible form to store."""
        return {
            "v": STATE_VERSION,
            "locale": self.locale,
            "flow": self.flow,
            "step": self.step,
            "data": self.data,
            "parked": self.parked,
            "refs": self.refs,
            "next_ref": self.next_ref,
            "screen": self.screen,
            "event_code": self.event_code,
        }

    def enter(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Start (or restart) a flow at a step with a draft."""
        self.flow, self.step = flow, step
        self.data = data if data is not None else {}

    def leave(self, *, park: bool = False) -> None:
        """Leave the current flow; with `park`, keep its draft to continue later."""
        if park and self.flow:
            self.parked[self.flow] = {"step": self.step, "data": self.data}
        self.flow, self.step, self.data = "", "", {}

    def unpark(self, flow: str) -> bool:
        """Continue a parked flow where it stopped; return False when there is none."""
        parked = self.parked.pop(flow, None)
        if not parked:
            return False
        self.enter(flow, str(parked.get("step", "")), dict(parked.get("data") or {}))
        return True

    def ref(self, company_id: str) -> str:
        """Return the short reference of a company id for a button (reusing an existing one)."""
        for key, value in self.refs.items():
            if value == company_id:
                return key
        key = str(self.next_ref)
        self.next_ref += 1
        self.refs[key] = company_id
        while len(self.refs) > MAX_REFS:
            self.refs.pop(next(iter(self.refs)))
        return key

    def deref(self, key: str) -> str | None:
        """Return the company id behind a button reference, or None if it is unknown (stale)."""
        return self.refs.get(key)
