"""The operator HTTP API (FastAPI)."""
