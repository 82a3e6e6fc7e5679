"""Build everything a matchbot process needs from its settings, in one place.

Nothing is created at import time: `build_app` returns an `App` whose `start` opens the database
(applying migrations), loads the encoder lazily and the indexes, and wires the services and the
dialog.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from handlers.types import Reply, Response, UserEvent
from matchmaking.models import Event
from matchmaking.ports import Clock
from matchmaking.services import SystemClock

if TYPE_CHECKING:
    from handlers.engine import Dialog
    from matchmaking.facade import AppServices
    from storage.db import Database

log = logging.getLogger(__name__)


class App:
    """One running matchbot: database, index, services and dialog."""

    def __init__(
        self, settings: Settings, *, event: Event | None = None, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.event = event or settings.event()
        self.clock: Clock = clock or SystemClock()
        self._db: Database | None = None
        self._services: AppServices | None = None
        self._dialog: Dialog | None = None

    @property
    def services(self) -> AppServices:
        """Return the services (after `start`)."""
        if self._services is None:
            raise RuntimeError("App.start() was not called")
        return self._services

    @property
    def dialog(self) -> Dialog:
        """Return the dialog (after `start`)."""
        if self._dialog is None:
            raise RuntimeError("App.start() was not called")
        return self._dialog

    async def start(self, *, with_dialog: bool = True) -> None:
        """Open the database (migrating it), build the encoder, index and services."""
        if self._services is not None:
            return
        from datetime import timedelta

        from embeddings.encoders import make_encoder
        from embeddings.engine import EmbeddingMatchEngine
        from matchmaking.facade import build_services
        from matchmaking.services import Repositories as Ports
        from storage.db import Database
        from storage.repositories import Repositories

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._db = Database(self.settings.resolved_database_url)
        await self._db.upgrade()
        repos = Repositories.create(self._db)
        encoder = make_encoder(
            self.settings.embedder,
            self.settings.embedder_model,
            self.settings.embedder_threads,
            backend=self.settings.embedder_backend,
            onnx_file=self.settings.embedder_onnx_file,
        )
        engine = EmbeddingMatchEngine(
            encoder,
            repos.vectors,
            repos.companies,
            self.settings.index_dir,
            adapter=self.settings.adapter,
        )
        self._services = build_services(
            self.event,
            Ports(
                companies=repos.companies,
                preferences=repos.preferences,
                requests=repos.requests,
                meetings=repos.meetings,
                outcomes=repos.outcomes,
                jobs=repos.jobs,
                interpreters=repos.interpreters,
                dialogs=repos.dialogs,
            ),
            engine,
            self.clock,
            video_template=self.settings.video_link_template,
            push_interval=timedelta(hours=self.settings.push_interval_hours),
        )
        if with_dialog:
            from handlers.engine import Dialog

            self._dialog = Dialog(
                self._services,
                self._services.repos.dialogs,
                admin_ids=set(self.settings.admin_ids),
                default_locale=self.settings.default_locale,
                event_code=self.event.code,
            )

    async def stop(self) -> None:
        """Close the database."""
        if self._db is not None:
            await self._db.dispose()
        self._db = None
        self._services = None
        self._dialog = None

    async def handle(self, event: UserEvent) -> Response:
        """Run one user event through the dialog."""
        return await self.dialog.handle(event)

    async def run_due_jobs(self) -> list[Reply]:
        """Run due jobs and return the messages they owe (each addressed by chat_id)."""
        notices = await self.services.jobs.run_due()
        if not notices:
            return []
        return await self.dialog.render_notices(notices)

    def bot_commands(self, locale: str) -> list[tuple[str, str]]:
        """Return the command menu for a locale."""
        return self.dialog.bot_commands(locale)

    def supported_locales(self) -> list[str]:
        """Return the locales with a catalog."""
        from handlers.i18n import supported_locales

        return list(supported_locales())

    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()


def build_app(settings: Settings, *, event: Event | None = None, clock: Clock | None = None) -> App:
    """Return an App for these settings (nothing is opened until `start`)."""
    return App(settings, event=event, clock=clock)
