"""SQL storage: database, tables, migrations and the repositories of `matchmaking.ports`."""
