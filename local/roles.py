"""The roles the local stack runs under: the two functions' and the dashboard task's.

The strict emulator knows each role's access key and enforces the policy infra/template.yaml gives it;
any other key is the account's administrator (provisioning, seeding, tests looking at the store).
"""

from __future__ import annotations

import boto3

from core.aws.clients import new_session

ROLE_KEYS = {"consumer": "ASIALOCALCONSUMERROLE", "aggregator": "ASIALOCALAGGREGATORROLE",
             "dashboard": "ASIALOCALDASHBOARDROLE"}
ADMIN_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
}


def role_credentials(role: str) -> dict[str, str]:
    """The variables that make boto3 act as `role`: temporary credentials, as ECS and Lambda give."""
    return {"AWS_ACCESS_KEY_ID": ROLE_KEYS[role], "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": f"local-{role}-session"}


def role_session(role: str) -> boto3.Session:
    """A boto3 session acting as `role`, for clients in a process that also acts as others."""
    credentials = role_credentials(role)
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
