"""The roles the local stack runs under: the two functions' and the dashboard task's.

The strict emulator knows each role's access key and enforces the policy infra/template.yaml gives it;
any other key is the account's administrator (provisioning, seeding, tests looking at the store).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

import boto3

from core.aws.clients import new_session

ROLE_KEYS = {"consumer": "ASIALOCALCONSUMERROLE", "aggregator": "ASIALOCALAGGREGATORROLE",
             "dashboard": "ASIALOCALDASHBOARDROLE"}
ROLE_SECRET = "local"
# ECS rotates a task role's credentials, each valid about 6 hours (Lambda's last up to 12): like AWS's,
# a local role session ends, and a link it signed stops working then. Its token says when (session_end).
ROLE_SESSION_SECONDS = 6 * 3600
_SESSION_END = "-session-until-"
ADMIN_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
}


def role_credentials(role: str, seconds: float = ROLE_SESSION_SECONDS) -> dict[str, str]:
    """The variables that make boto3 act as `role`: temporary credentials, as ECS and Lambda give,
    for a session that ends `seconds` from now."""
    return {"AWS_ACCESS_KEY_ID": ROLE_KEYS[role], "AWS_SECRET_ACCESS_KEY": ROLE_SECRET,
            "AWS_SESSION_TOKEN": f"local-{role}{_SESSION_END}{time.time() + seconds:.3f}"}


def container_credentials(role: str, seconds: float = ROLE_SESSION_SECONDS) -> dict[str, str]:
    """A session of `role` as ECS's container credentials endpoint serves it: botocore reads it from
    AWS_CONTAINER_CREDENTIALS_FULL_URI and fetches a fresh one as the session nears its end."""
    credentials = role_credentials(role, seconds)
    ends = datetime.fromtimestamp(time.time() + seconds, UTC)
    return {"AccessKeyId": credentials["AWS_ACCESS_KEY_ID"],
            "SecretAccessKey": credentials["AWS_SECRET_ACCESS_KEY"],
            "Token": credentials["AWS_SESSION_TOKEN"], "Expiration": ends.strftime("%Y-%m-%dT%H:%M:%SZ")}


def task_role_environment(role: str, endpoint: str, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` made to act as `role` as an ECS task does: no keys of its own (boto3's chain would take them
    first), sessions from the local AWS's credentials endpoint, fetched again before each ends."""
    kept = {name: value for name, value in environ.items() if name not in (*ADMIN_CREDENTIALS, "AWS_PROFILE")}
    return kept | {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{endpoint}/_local/credentials/{role}"}


def role_session(role: str, seconds: float = ROLE_SESSION_SECONDS) -> boto3.Session:
    """A boto3 session acting as `role`, for clients in a process that also acts as others."""
    credentials = role_credentials(role, seconds)
    return new_session(
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


def admin_session() -> boto3.Session:
    """A boto3 session acting as the account's administrator, whatever the environment says."""
    return new_session(
        aws_access_key_id=ADMIN_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ADMIN_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=ADMIN_CREDENTIALS["AWS_SESSION_TOKEN"],
    )


def role_of(access_key: str) -> str | None:
    return next((role for role, key in ROLE_KEYS.items() if key == access_key), None)


def secret_of(access_key: str) -> str:
    """The secret the local AWS expects with `access_key`: the roles' own; any other key is an
    administrator's whose secret is the key itself (local/local, as `make run` and the tests use)."""
    return ROLE_SECRET if role_of(access_key) else access_key


def session_end(token: str) -> float | None:
    """When the role session of `token` ends (Unix time); None for an administrator's credentials."""
    _, found, end = token.rpartition(_SESSION_END)
    try:
        return float(end) if found else None
    except ValueError:
        return None
