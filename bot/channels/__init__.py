"""Channels: thin adapters between a chat app and the framework-neutral dialog.

Each channel turns its updates into `handlers.types.UserEvent`, calls `App.handle`, and performs
the returned `Response`. What the Telegram channels share lives in `common`:

- `aiogram.run_aiogram` -- Telegram through aiogram 3 (the default), polling or webhook.
- `ptb.run_ptb` -- Telegram through python-telegram-bot 22, same behaviour.
- `console.run_console` -- a terminal REPL talking to the same App, for demos and support.
- `webhook.register_and_serve` -- `setWebhook`, then the aiohttp webhook server both Telegram
  channels use.

Importing this package or its modules builds nothing and imports no chat framework; they are
imported inside the functions that need them.
"""
