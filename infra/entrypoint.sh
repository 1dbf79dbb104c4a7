#!/bin/sh
# Streamlit reads OIDC login settings only from a secrets.toml file, but ECS hands settings to a container
# as environment variables (the client secret straight from Secrets Manager, never baked into the image).
# This writes ~/.streamlit/secrets.toml from them when login is configured, then runs the command (CMD).
set -eu

if [ -n "${AUTH_CLIENT_ID:-}" ]; then
    mkdir -p "$HOME/.streamlit"
    umask 077
    python - <<'PY'
import json
import os
import pathlib

settings = {
    "client_id": "AUTH_CLIENT_ID",
    "client_secret": "AUTH_CLIENT_SECRET",
    "server_metadata_url": "AUTH_SERVER_METADATA_URL",
    "redirect_uri": "AUTH_REDIRECT_URI",
    "cookie_secret": "STREAMLIT_SERVER_COOKIE_SECRET",
}
missing = [name for name in settings.values() if not os.environ.get(name)]
if missing:
    raise SystemExit(
        f"Login is configured (AUTH_CLIENT_ID is set) but {', '.join(missing)} is empty: "
        "set it, or unset AUTH_CLIENT_ID to serve the dashboard without login."
    )
# A JSON string (non-ASCII left as is) is also a valid TOML basic string: quotes and controls escaped.
lines = ["[auth]"] + [f"{key} = {json.dumps(os.environ[name], ensure_ascii=False)}" for key, name in settings.items()]
(pathlib.Path.home() / ".streamlit" / "secrets.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
PY
fi

exec "$@"
