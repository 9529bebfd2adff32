"""Reference Fiwano: the known-good implementation of fiwano-api.md, on FastAPI and SQLite."""
