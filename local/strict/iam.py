"""IAM, enforced: a call made with a role's key needs an Allow, and no explicit Deny, for every action it
implies, from the statements whose conditions hold (conditions.py).

The roles' statements come from infra/template.yaml (local/template.py), so the local stack runs with
exactly the permissions a deployment gets; a rehearsal (local/rehearsal/) replaces them with the policies
IAM holds for the roles its CloudFormation stack created (POST /_local/iam/grant). Which action and
resource a call needs follows AWS's service authorization reference for the calls this project makes; a
transaction needs the action of each item, as DynamoDB requires. Like AWS, S3 answers 403 rather than 404
for a missing key when the caller may not list the bucket.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from core.ops.resources import BUCKET, CONSUMER_LOG_GROUP, FAILURE_QUEUE, STREAM, TABLE
from local.roles import role_of
from local.strict.answers import Answer, error
from local.strict.calls import AwsCall, s3_location
from local.strict.conditions import holds
from local.template import ACCOUNT, Statement, read_statement

Need = tuple[str, str]  # (action, resource ARN)


@dataclass(frozen=True)
class Denial:
    role: str
    action: str
    resource: str


class Authorizer:
    """Decides each call of a role against its statements; keeps every denial for the tests to read."""

    def __init__(self, statements: dict[str, list[Statement]]) -> None:
        self._initial = self._granted = statements
        self._removed: set[tuple[str, str]] = set()  # (role, action) taken away by a test
        self._lock = threading.Lock()
        self.denials: list[Denial] = []

    def refuse(self, call: AwsCall) -> Answer | None:
        """An AccessDenied answer when `call`'s role lacks a permission it needs, else None."""
        role = role_of(call.access_key)
        if role is None:
            return None
        for action, resource in self.needs(call):
            if not self.allows(role, action, resource, context_of(call)):
                with self._lock:
                    self.denials.append(Denial(role, action, resource))
                return _denied(call, role, action, resource)
        return None

    def allows(self, role: str, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
        """Whether a statement allows it and none denies it (an explicit Deny wins, as in IAM)."""
        if (role, action.lower()) in self._removed:
            return False
        effects = {statement.effect for statement in self._granted.get(role, [])
                   if _matches(statement, action, resource) and holds(statement.conditions, context or {})}
        return effects == {"Allow"}

    def may_list(self, call: AwsCall) -> bool:
        """Whether the caller may list the bucket: without it, S3 hides a missing key behind a 403."""
        role = role_of(call.access_key)
        bucket, _ = s3_location(call)
        list_bucket = "s3:ListBucket", BUCKET.arn(bucket, "", ACCOUNT)
        return role is None or self.allows(role, *list_bucket, context_of(call))

    def hid_missing_key(self, call: AwsCall) -> None:
        """A 404 turned 403 for want of s3:ListBucket: a denial of that action, as S3 counts it."""
        bucket, _ = s3_location(call)
        with self._lock:
            denial = Denial(str(role_of(call.access_key)), "s3:ListBucket", BUCKET.arn(bucket, "", ACCOUNT))
            self.denials.append(denial)

    def grant(self, role: str, statements: list[Statement]) -> None:
        """From now on, `role` may do exactly what `statements` allow."""
        with self._lock:
            self._granted = self._granted | {role: statements}

    def granted(self) -> dict[str, list[Statement]]:
        return dict(self._granted)

    def remove(self, role: str, action: str) -> None:
        self._removed.add((role, action.lower()))

    def restore(self) -> None:
        """Every role's statements as at the start: nothing taken away, nothing granted since."""
        with self._lock:
            self._removed.clear()
            self._granted = self._initial

    def needs(self, call: AwsCall) -> list[Need]:
        region = call.region or "us-east-1"
        if call.service == "s3":
            return list(_s3(call))
        if call.service == "dynamodb":
            return list(_dynamodb(call, lambda table: TABLE.arn(table, region, ACCOUNT)))
        if call.service == "kinesis":
            stream = call.params.get("StreamName") or str(call.params.get("StreamARN", "")).rsplit("/", 1)[-1]
            stream = stream or _stream_of_iterator(str(call.params.get("ShardIterator", "")))
            return [(f"kinesis:{call.operation}", STREAM.arn(stream, region, ACCOUNT))]
        if call.service == "logs":
            return [(f"logs:{call.operation}", _log_resource(call, region))]
        if call.service == "sqs":
            queue = call.params.get("QueueName") or str(call.params.get("QueueUrl", "")).rsplit("/", 1)[-1]
            return [(f"sqs:{call.operation}", FAILURE_QUEUE.arn(queue, region, ACCOUNT))]
        if call.service == "monitoring":
            return [(f"cloudwatch:{call.operation}", "*")]
        return []  # sts:GetCallerIdentity needs no permission; the roles make no other calls


def policy_statements(document: dict[str, Any] | str) -> list[Statement]:
    """The statements of an IAM policy document, as GetRolePolicy gives it (JSON, or its text).

    A NotAction, NotResource, or a condition operator or key the local IAM does not evaluate
    (local/strict/conditions.py) is refused (ValueError) rather than read wrongly.
    """
    parsed = json.loads(document) if isinstance(document, str) else document
    found = parsed["Statement"]
    return [read_statement(raw) for raw in (found if isinstance(found, list) else [found])]


def context_of(call: AwsCall) -> dict[str, str]:
    """The condition keys' values for `call`, as AWS sets them for a role calling directly."""
    region = call.region or "us-east-1"
    return {"aws:SecureTransport": str(call.secure).lower(), "aws:RequestedRegion": region}


def _stream_of_iterator(iterator: str) -> str:
    """The stream a moto shard iterator reads (GetRecords names no stream; the iterator carries it)."""
    from moto.kinesis.utils import decompose_shard_iterator

    try:
        return decompose_shard_iterator(iterator)[0]
    except (ValueError, IndexError, UnicodeDecodeError):
        return ""


def _matches(statement: Statement, action: str, resource: str) -> bool:
    acts = any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in statement.actions)
    return acts and any(fnmatch.fnmatchcase(resource, pattern) for pattern in statement.resources)


def _s3(call: AwsCall) -> Iterator[Need]:
    bucket, key = s3_location(call)
    arn = BUCKET.arn(bucket, "", ACCOUNT)
    if key:
        verb = {"GET": "GetObject", "HEAD": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject"}
        yield f"s3:{verb.get(call.method, 'PutObject')}", f"{arn}/{key}"
    elif call.method in ("GET", "HEAD") and not {"publicAccessBlock", "location"} & call.query.keys():
        yield "s3:ListBucket", arn  # ListObjects(V2) and HeadBucket
    elif call.method == "POST" and "delete" in call.query:
        yield "s3:DeleteObject", f"{arn}/*"
    else:
        yield f"s3:{call.method.title()}Bucket", arn  # bucket administration


_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem"}


def _dynamodb(call: AwsCall, table_arn: Callable[[str], str]) -> Iterator[Need]:
    params = call.params
    if call.operation == "TransactWriteItems":
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                yield f"dynamodb:{_TRANSACT.get(kind, kind)}", table_arn(body.get("TableName", ""))
    elif call.operation == "TransactGetItems":
        for item in params.get("TransactItems", []):
            yield "dynamodb:GetItem", table_arn(item.get("Get", {}).get("TableName", ""))
    elif call.operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params.get("RequestItems", {}):
            yield f"dynamodb:{call.operation}", table_arn(table)
    elif call.operation == "ListStreams":  # no resource-level permissions
        yield "dynamodb:ListStreams", "*"
    elif params.get("StreamArn") or params.get("ShardIterator"):  # DynamoDB Streams: the stream's ARN
        stream = params.get("StreamArn") or str(params["ShardIterator"]).split("|", 1)[0]
        yield f"dynamodb:{call.operation}", str(stream)
    elif params.get("IndexName"):
        index = f"{table_arn(params.get('TableName', ''))}/index/{params['IndexName']}"
        yield f"dynamodb:{call.operation}", index
    elif params.get("TableName"):
        yield f"dynamodb:{call.operation}", table_arn(params["TableName"])
    else:
        yield f"dynamodb:{call.operation}", "*"


def _log_resource(call: AwsCall, region: str) -> str:
    group = call.params.get("logGroupName") or call.params.get("logGroupIdentifier", "")
    if not group:  # DescribeLogGroups lists the account's groups
        return CONSUMER_LOG_GROUP.arn("*", region, ACCOUNT).removesuffix(":*")
    stream = call.params.get("logStreamName")
    arn = CONSUMER_LOG_GROUP.arn(group, region, ACCOUNT)
    return f"{arn.removesuffix(':*')}:log-stream:{stream}" if stream else arn


def _denied(call: AwsCall, role: str, action: str, resource: str) -> Answer:
    who = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/local"
    message = f"User: {who} is not authorized to perform: {action} on resource: {resource}"
    if call.service == "s3":
        return error(call, 403, "AccessDenied", message)
    code = "AccessDenied" if call.protocol in ("query", "cbor") else "AccessDeniedException"
    return error(call, 400 if code == "AccessDeniedException" else 403, code, message)
