"""One rehearsal of a deployment, for one parameter set, in an emulator of its own: create the stack, run the
pipeline under the roles it created, update it with a changed parameter and run an event again, delete it,
and see what is left. Each step's outcome is kept for the tests (tests/infra/test_rehearsal.py) to judge."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from botocore.exceptions import ClientError

from core.aws import AwsClients
from core.settings import Settings
from local.emulator import embedded_aws
from local.rehearsal import pipeline
from local.rehearsal.created import Deployed, grant, read_deployed
from local.rehearsal.parameters import ParameterSet
from local.rehearsal.stack import Created, Stack
from local.roles import admin_session

STACK = "image-processor"  # infra/deploy.sh's default STACK_NAME
STREAM = "AWS::Kinesis::Stream"


@dataclass(frozen=True)
class Rehearsal:
    parameter_set: ParameterSet
    parameters: dict[str, str]
    expanded: dict[str, Any]  # the template after SAM's transform, as `sam deploy` sends it
    left_out: dict[str, str]  # unmodelled resources taken out of it, logical id -> type
    created: str  # the stack's status after the create
    deployed: Deployed
    run: pipeline.Run
    updated: str
    after_update: Deployed
    follow_up: pipeline.Run  # one event sent after the update
    follow_up_expires: bool  # its item carries DynamoDB's TTL attribute
    deleted: str
    remaining: dict[str, bool]  # logical id -> whether it still exists after the delete (types we can ask)
    existing_stream_kept: bool | None  # the stream StreamArn named, after the delete (None: none named)
    state: dict[str, Any]  # the emulator's own record at the end: every denial, the grants


def rehearse(parameter_set: ParameterSet) -> Rehearsal:
    """The whole rehearsal in a fresh emulator; this process's boto3 points at it meanwhile."""
    with embedded_aws() as endpoint, _pointed_at(endpoint):
        admin = AwsClients(Settings(), session=admin_session())
        parameters = parameter_set.prepare(admin)
        stack = Stack(admin, STACK)
        created = stack.create(parameters)
        deployed = _granted(admin, endpoint, stack)
        run = pipeline.exercise(admin, deployed, parameter_set.source_bucket)
        updated = stack.update(parameters | parameter_set.changed)
        after = _granted(admin, endpoint, stack)
        follow_up, expires = pipeline.follow_up(admin, after)
        resources = stack.resources()
        deleted = stack.delete()
        existing = parameters.get("StreamArn", "").rsplit("/", 1)[-1]  # the producers' stream, if named
        return Rehearsal(
            parameter_set=parameter_set, parameters=parameters, expanded=stack.expanded,
            left_out=stack.left_out, created=created, deployed=deployed, run=run, updated=updated,
            after_update=after, follow_up=follow_up, follow_up_expires=expires, deleted=deleted,
            remaining={name: found for name, made in resources.items()
                       if (found := exists(admin, made)) is not None},
            existing_stream_kept=exists(admin, Created(STREAM, existing)) if existing else None,
            state=requests.get(f"{endpoint}/_local/state", timeout=10).json(),
        )


@contextmanager
def _pointed_at(endpoint: str) -> Iterator[None]:
    """AWS_ENDPOINT_URL set to `endpoint` within the block (the functions' processes inherit it), then as
    it was."""
    before = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield
    finally:
        if before is None:
            del os.environ["AWS_ENDPOINT_URL"]
        else:
            os.environ["AWS_ENDPOINT_URL"] = before


def _granted(admin: AwsClients, endpoint: str, stack: Stack) -> Deployed:
    """What the stack holds now; its roles' policies, as IAM holds them, given to the emulator's IAM."""
    deployed = read_deployed(admin, stack.outputs(), stack.resources())
    grant(endpoint, deployed.policies)
    return deployed


def exists(clients: AwsClients, made: Created) -> bool | None:
    """Whether a resource of the stack is still there (None: a type this does not ask about)."""
    ask = _PROBES.get(made.cfn_type)
    if ask is None:
        return None
    try:
        ask(clients, made.physical_id)
    except ClientError as error:
        if error.response["Error"]["Code"] in _GONE:
            return False
        raise
    return True


_GONE = {"404", "NoSuchBucket", "ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue",
         "QueueDoesNotExist", "NoSuchEntity"}
_PROBES: dict[str, Callable[[AwsClients, str], Any]] = {
    "AWS::S3::Bucket": lambda c, name: c.s3.head_bucket(Bucket=name),
    "AWS::DynamoDB::Table": lambda c, name: c.dynamodb.describe_table(TableName=name),
    STREAM: lambda c, name: c.kinesis.describe_stream_summary(StreamName=name),
    "AWS::SQS::Queue": lambda c, url: c.sqs.get_queue_attributes(QueueUrl=url),
    "AWS::Logs::LogGroup": lambda c, name: _log_group(c, name),
    "AWS::Lambda::Function": lambda c, name: c.client("lambda").get_function(FunctionName=name),
    "AWS::IAM::Role": lambda c, name: c.client("iam").get_role(RoleName=name),
}


def _log_group(clients: AwsClients, name: str) -> None:
    groups = clients.logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    if not any(group.get("logGroupName") == name for group in groups):
        raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeLogGroups")
