"""Settings from the environment (prefix `MATCHBOT_`) and an optional `.env` file.

Every key is documented in `.env.example`. `load_settings` turns a bad value into one clear line
naming the variable instead of a traceback.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from matchmaking.errors import ConfigError
from matchmaking.models import Event

ENV_PREFIX = "MATCHBOT_"


def _default_event_days() -> list[date]:
    start = date.today() + timedelta(days=14)
    return [start, start + timedelta(days=1)]


class Settings(BaseSettings):
    """All configuration of a matchbot process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    data_dir: Path = Path("./var")
    database_url: str = ""
    telegram_token: SecretStr = SecretStr("")
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str = ""
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(8080, ge=1, le=65535)
    webhook_secret: SecretStr = SecretStr("")
    admin_ids: Annotated[list[int], NoDecode] = []
    embedder: str = "bundled"
    embedder_model: str = ""
    embedder_threads: int = Field(1, ge=1, le=64)
    embedder_backend: Literal["torch", "onnx", "openvino"] = "torch"
    embedder_onnx_file: str = ""
    adapter: str = "auto"
    default_locale: str = "en"
    channel: Literal["aiogram", "ptb", "console"] = "aiogram"
    redis_url: str = ""
    video_link_template: str = "https://meet.jit.si/matchbot-{room}"
    event_code: str = "cee-china"
    event_name: str = "China-CEE SME Matchmaking"
    event_timezone: str = "Europe/Warsaw"
    event_days: Annotated[list[date], NoDecode] = Field(default_factory=_default_event_days)
    meeting_minutes: int = Field(30, ge=5, le=240)
    cross_border_only: bool = True
    request_expiry_hours: int = Field(72, ge=1)
    daily_request_budget: int = Field(10, ge=1)
    max_meetings_per_day: int = Field(8, ge=1)
    push_interval_hours: int = Field(24, ge=1)
    log_level: str = "INFO"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return [int(v) for v in value.replace(";", ",").split(",") if v.strip()]
            except ValueError:
                raise ValueError("expected comma-separated Telegram user ids") from None
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("event_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            days = [v.strip() for v in value.split(",") if v.strip()]
            return days or _default_event_days()
        return value

    @field_validator("event_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'matchbot.sqlite3').as_posix()}"

    @property
    def index_dir(self) -> Path:
        """Return the folder where the vector indexes are kept."""
        return self.data_dir / "index"

    def event(self) -> Event:
        """Build the event described by these settings."""
        return Event(
            code=self.event_code,
            name=self.event_name,
            days=tuple(self.event_days),
            timezone=self.event_timezone,
            meeting_minutes=self.meeting_minutes,
            slot_minutes=self.meeting_minutes,
            cross_border_only=self.cross_border_only,
            request_expiry_hours=self.request_expiry_hours,
            daily_request_budget=self.daily_request_budget,
            max_meetings_per_day=self.max_meetings_per_day,
        )


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise ConfigError with one line per bad variable.

    Raises:
        ConfigError: If a variable has a value that cannot be used.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ENV_PREFIX + "_".join(str(p) for p in err["loc"][:1]).upper()
            lines.append(f"{name}: {err['msg']}")
        raise ConfigError("Invalid configuration: " + "; ".join(lines)) from None
