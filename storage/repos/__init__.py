"""SQL implementations of the repository Protocols of `matchmaking.ports`, one module per area."""
