"""Every change the emulator makes to moto's and waitress's own code, each with the upstream release it was
written against and what it works around.

`apply()` installs them all; only the emulator's own process calls it, as it starts (local/server.py), so
importing moto or waitress anywhere else gets them as released. tests/integration/test_patches.py fails
when upstream changes under a patch: the code each one replaces must still be the code it was written for
(a hash of its source, below), and the behaviour each works around must still be there. When that test
fails after an upgrade, read the new upstream code: drop the patch if upstream now does the right thing,
or adapt it and record the new hash.

Removed because upstream no longer needs it: raising TransactWriteItems' limit from 25 items to DynamoDB's
100 (September 2022). moto 5.2 takes 100 (getmoto/moto#5666); test_patches.py shows the emulator taking 100
and refusing 101 with no patch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local import moto_cloudformation, moto_dynamodb


@dataclass(frozen=True)
class Patch:
    name: str
    works_around: str  # the upstream release and the behaviour
    replaces: dict[str, str]  # "module:Class.function" -> the first 16 hex digits of its source's SHA-256
    install: Callable[[], None]  # idempotent


def _list_moto_modules_once() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, "listed_once", False):
        return
    modules = list(backends.list_of_moto_modules())

    def listed() -> Any:
        return iter(modules)

    listed.listed_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = listed


def _no_continue_without_a_body() -> None:
    from waitress.parser import HTTPRequestParser

    parse_header = HTTPRequestParser.parse_header
    if getattr(parse_header, "skips_empty_continue", False):
        return

    def patched(self: Any, header_plus: bytes) -> None:
        parse_header(self, header_plus)
        if not self.chunked and self.content_length == 0:
            self.expect_continue = False

    patched.skips_empty_continue = True  # type: ignore[attr-defined]
    HTTPRequestParser.parse_header = patched


MODULE_LIST = Patch(
    "moto's service list read once",
    "moto 5.2.5 finds the service of every request by listing its own package's folders on disk, each "
    "time (7% of the emulator's CPU under the consumer benchmark); the list never changes while it runs.",
    {"moto.backends:list_of_moto_modules": "4f741a10b06500e8"},
    _list_moto_modules_once,
)
EMPTY_CONTINUE = Patch(
    "no 100 Continue for an empty body",
    "waitress 3.0.2 answers `Expect: 100-continue` on a request with no body, then waits for that body "
    "forever (botocore sends the header with S3 puts, an empty object's included). With no body to wait "
    "for, the server may answer at once, as RFC 9110 allows.",
    {"waitress.parser:HTTPRequestParser.parse_header": "c2c093b901782da6"},
    _no_continue_without_a_body,
)
TRANSACTION_SNAPSHOTS = Patch(
    "transactions copy only their items",
    "moto 5.2.5's TransactWriteItems deep-copies every table it names, to roll back on failure: 500 events "
    "took 26 s, 1,500 minutes. The wrapper keeps the items the transaction names, restores those on "
    "failure, and keeps moto's own checks and errors.",
    {"moto.dynamodb.models:DynamoDBBackend.transact_write_items": "81db2cb7d94e39c9"},
    moto_dynamodb.install_transactions,
)
PARTITION_QUERIES = Patch(
    "a query reads its partition alone",
    "moto 5.2.5's Query walks and sorts every item of the table (or of the table, for an index) to find "
    "one partition: the Live page's read took 221 ms at 2,000 events, and a Gallery page (32 index "
    "partitions) ~1 s of CPU at 10,000. The wrapper hands moto that partition alone; it reads the index "
    "name as the query's 7th positional argument, which test_patches.py holds.",
    {"moto.dynamodb.models.table:Table.query": "002b4d00be6df07c",
     "moto.dynamodb.models.table:Table.all_items": "c80d2ee3c896acd0"},
    moto_dynamodb.install_partition_queries,
)
INDEX_GROUPS = Patch(
    "index partitions kept up to date",
    "For PARTITION_QUERIES: moto 5.2.5 keeps no grouping by index key, so the emulator keeps one (made on "
    "the first index query), updated by every put, delete and update of an item.",
    {"moto.dynamodb.models.table:Table.put_item": "de23933013ef8426",
     "moto.dynamodb.models.table:Table.delete_item": "1594f7b07616c8cb",
     "moto.dynamodb.models:DynamoDBBackend.update_item": "218984588dd689a5"},
    moto_dynamodb.install_index_groups,
)

NO_VALUE_IN_LISTS = Patch(
    "AWS::NoValue removes a list's item",
    "moto 5.2.5's CloudFormation leaves a null where `!If [..., !Ref AWS::NoValue]` stands in a list, where "
    "CloudFormation removes the item: a role's statements, a container's variables, lifecycle rules.",
    {"moto.cloudformation.parsing:clean_json": "9fbe5dedab810616"},
    moto_cloudformation.install_no_value_in_lists,
)
LISTED_RESOURCES = Patch(
    "a stack lists the resources it created",
    "moto 5.2.5's ListStackResources and DescribeStackResources list a resource whose condition is false "
    "(not created) as an entry with an empty logical id, type and physical id.",
    {"moto.cloudformation.models:Stack.stack_resources.fget": "48081724e7f64b7e"},
    moto_cloudformation.install_listed_resources,
)
ROLE_POLICIES = Patch(
    "a stack's role policies are JSON, and follow updates",
    "moto 5.2.5 keeps the inline policies of a role a stack creates as Python's text of a dict "
    "(GetRolePolicy answered with it, not JSON), and a stack update leaves them unchanged.",
    {"moto.iam.models:Role.create_from_cloudformation_json": "05f0a3ccfb317f36",
     "moto.iam.models:Role.update_from_cloudformation_json": "ddb4ea55b0276bd7"},
    moto_cloudformation.install_role_policies,
)
CONDITION_UPDATES = Patch(
    "an update reaches what a parameter reaches",
    "moto 5.2.5's stack update changes only the resources that `Ref` a changed parameter themselves: one "
    "that depends on it through a condition (`!If [TracingEnabled, ...]`) or a `Fn::Sub` kept its old "
    "properties (EnableTracing=false left the consumer's tracing statement and variable as they were).",
    {"moto.cloudformation.parsing:ResourceMap.build_resource_diff": "d42fee2851cf6a0d"},
    moto_cloudformation.install_condition_updates,
)
TASK_DEFINITION_UPDATES = Patch(
    "an updated task definition is a new revision",
    "moto 5.2.5's stack update registers a changed task definition under a new random family without the "
    "key conversion its create does: the task read back had no environment. ECS registers a new revision "
    "of the same family, as the create would have made it.",
    {"moto.ecs.models:TaskDefinition.update_from_cloudformation_json": "da835757251d8389"},
    moto_cloudformation.install_task_definition_updates,
)
NETWORK_DELETES = Patch(
    "a stack's network is deleted with it",
    "moto 5.2.5's CloudFormation has no delete for a route table, an internet gateway or the gateway's "
    "attachment: they outlived a deleted stack, and the VPC's delete (a VPC still holding a route table) "
    "failed the whole DeleteStack. The added deletes call moto's own DeleteRouteTable, "
    "DetachInternetGateway and DeleteInternetGateway.",
    {},  # adds methods moto does not have; test_patches.py checks that it still has none
    moto_cloudformation.install_network_deletes,
)
LOG_GROUP_ARN = Patch(
    "a log group's ARN ends in :*",
    "moto 5.2.5's CloudFormation gives a log group's GetAtt Arn without the `:*` AWS's ends in, so a role's "
    "Logs statement on it granted nothing under the local IAM (CreateLogStream names the group's streams).",
    {"moto.logs.models:LogGroup.get_cfn_attribute": "584d22e6ca845703"},
    moto_cloudformation.install_log_group_arn,
)
LOAD_BALANCER_ATTRIBUTES = Patch(
    "a load balancer's and a target group's full names",
    "moto 5.2.5's CloudFormation does not give an application load balancer's GetAtt LoadBalancerFullName, "
    "CanonicalHostedZoneID or SecurityGroups, and has no GetAtt for a target group (TargetGroupFullName): "
    "the template's alarms, operations dashboard and DNS alias name them, and the stack failed with a 500.",
    {"moto.elbv2.models:FakeLoadBalancer.get_cfn_attribute": "36fd43f94a494b1f"},
    moto_cloudformation.install_load_balancer_attributes,
)
STREAMS_PLAYED_LOCALLY = Patch(
    "event source mappings deliver nothing",
    "moto 5.2.5's Lambda event source mapping (one a stack creates) invokes its function for every Kinesis "
    "record and every change of a table, in Docker, and empties the table's stream once it has tried. "
    "local/event_source/ plays both mappings instead, from the stream, with the function's role.",
    {"moto.awslambda.models:LambdaBackend.send_kinesis_message": "a088247f0014c603",
     "moto.awslambda.models:LambdaBackend.send_dynamodb_items": "110b6aaa90f83e44"},
    moto_cloudformation.install_no_stream_invocations,
)

PATCHES: tuple[Patch, ...] = (
    MODULE_LIST, EMPTY_CONTINUE, TRANSACTION_SNAPSHOTS, PARTITION_QUERIES, INDEX_GROUPS,
    # CloudFormation, for the rehearsal of a deployment (local/rehearsal/)
    NO_VALUE_IN_LISTS, LISTED_RESOURCES, ROLE_POLICIES, CONDITION_UPDATES, TASK_DEFINITION_UPDATES,
    NETWORK_DELETES, LOG_GROUP_ARN, LOAD_BALANCER_ATTRIBUTES, STREAMS_PLAYED_LOCALLY,
)
_applying = threading.Lock()


def apply() -> None:
    """Install every patch (idempotent): the emulator's process, before it serves anything."""
    with _applying:
        for patch in PATCHES:
            patch.install()
