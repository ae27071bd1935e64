"""Relay Log: app wiring (settings, database, ASGI app, CLI)."""
