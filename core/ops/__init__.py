"""Operator tools: `python -m core` (cli), provisioning, health checks, replay and migration (not shipped in
the Lambda zip)."""
