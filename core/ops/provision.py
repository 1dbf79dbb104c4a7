"""Create the stack's data resources (core/ops/resources.py), idempotently.

Runs against whatever the settings and boto3's environment point at: the embedded emulator or an AWS account
(`python -m core provision`). In AWS the deploy template owns these; this is for accounts and endpoints
without it.
"""

from __future__ import annotations

from core.aws import AwsClients
from core.ops.resources import RESOURCES, STREAM


def provision(clients: AwsClients, shard_count: int = 1) -> None:
    """Every resource the pipeline needs; safe to run again."""
    for resource in RESOURCES:
        if resource is STREAM:
            STREAM.create(clients, shard_count)
        else:
            resource.create(clients)
