"""The emulator's patches of moto and waitress (local/patches.py) still fit the installed upstream: each
replaces the code it was written for, the behaviour it works around is still there, and a patch removed
because upstream fixed it stays unneeded.

This process never applies the patches (only the emulator's does), so what it imports is upstream as
released. A failure here after an upgrade means: read the new upstream code, then drop or adapt the patch
and record the new hash.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waitress.adjustments import Adjustments
from waitress.parser import HTTPRequestParser

from core.aws import AwsClients
from local.patches import PATCHES, Patch


def upstream(dotted: str) -> Any:
    module, _, name = dotted.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def source_hash(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.name)
def test_each_patch_replaces_the_upstream_code_it_was_written_for(patch: Patch) -> None:
    for dotted, written_for in patch.replaces.items():
        function = upstream(dotted)
        assert function.__module__ == dotted.partition(":")[0], f"{dotted} is patched in the test process"
        assert source_hash(function) == written_for, (
            f"{dotted} changed upstream since the patch '{patch.name}' was written "
            f"({patch.works_around}): check the patch against the new code, then record its hash")


def test_query_still_takes_the_index_name_seventh() -> None:
    """The partition wrapper reads a positional index name as args[6], after the hash key."""
    parameters = list(inspect.signature(upstream("moto.dynamodb.models.table:Table.query")).parameters)
    assert parameters[:2] == ["self", "hash_key"] and parameters[2 + 6] == "index_name"


def test_update_item_and_delete_item_still_take_what_the_index_groups_read() -> None:
    update = list(inspect.signature(upstream("moto.dynamodb.models:DynamoDBBackend.update_item")).parameters)
    delete = list(inspect.signature(upstream("moto.dynamodb.models.table:Table.delete_item")).parameters)
    assert update[1] == "table_name"
    assert list(delete) == ["self", "hash_key", "range_key"]


def test_waitress_still_waits_for_the_body_of_an_empty_request_that_expects_continue() -> None:
    parser = HTTPRequestParser(Adjustments())
    parser.received(b"PUT /bucket/empty HTTP/1.1\r\nHost: local\r\nContent-Length: 0\r\n"
                    b"Expect: 100-continue\r\n\r\n")
    assert parser.expect_continue, "waitress no longer expects a body here: the EMPTY_CONTINUE patch can go"


def test_moto_still_lists_its_folders_on_every_call() -> None:
    source = inspect.getsource(upstream("moto.backends:list_of_moto_modules"))
    assert "os.listdir" in source, "moto no longer lists its folders each time: the MODULE_LIST patch can go"


def test_moto_still_copies_whole_tables_for_a_transaction() -> None:
    source = inspect.getsource(upstream("moto.dynamodb.models:DynamoDBBackend.transact_write_items"))
    assert "copy.deepcopy(\n                    self.tables[table_name]" in source, (
        "moto no longer copies each table a transaction names: the TRANSACTION_SNAPSHOTS patch can go")


def test_moto_still_walks_the_whole_table_for_a_query() -> None:
    source = inspect.getsource(upstream("moto.dynamodb.models.table:Table.query"))
    assert "self.all_items()" in source, "moto's Query no longer walks all_items(): PARTITION_QUERIES can go"


def test_the_emulator_takes_dynamodbs_hundred_items_in_a_transaction_without_a_patch(aws: AwsClients) -> None:
    """The limit patch was removed: moto itself now allows DynamoDB's 100 actions, and refuses 101."""
    table = aws.settings.table_name

    def puts(count: int) -> list[Any]:
        return [{"Put": {"TableName": table, "Item": {"pk": {"S": f"limit#{i}"}, "sk": {"S": "x"}}}}
                for i in range(count)]

    aws.dynamodb.transact_write_items(TransactItems=puts(100))
    assert aws.dynamodb.scan(TableName=table, Select="COUNT")["Count"] == 100
    with pytest.raises(ClientError) as refused:
        aws.dynamodb.transact_write_items(TransactItems=puts(101))
    assert refused.value.response["Error"]["Code"] == "ValidationException"


# --- CloudFormation, for the rehearsal of a deployment ------------------------------------------------------


def test_moto_still_keeps_a_null_where_no_value_stands_in_a_list() -> None:
    clean_json = upstream("moto.cloudformation.parsing:clean_json")
    assert clean_json([{"Ref": "AWS::NoValue"}, "kept"], {"AWS::NoValue": None}) == [None, "kept"], (
        "moto now drops AWS::NoValue from a list: the NO_VALUE_IN_LISTS patch can go")


def test_moto_still_lists_a_resource_its_condition_left_out() -> None:
    listed = inspect.getsource(upstream("moto.cloudformation.models:Stack.stack_resources.fget"))
    created = inspect.getsource(upstream("moto.cloudformation.parsing:parse_and_create_resource"))
    assert "return self.resource_map.values()" in listed
    assert "# If this has a False condition, don't create the resource\n        return None" in created


def test_moto_still_keeps_a_stacks_role_policies_as_given_and_never_updates_them() -> None:
    create = inspect.getsource(upstream("moto.iam.models:Role.create_from_cloudformation_json"))
    update = inspect.getsource(upstream("moto.iam.models:Role.update_from_cloudformation_json"))
    as_given = 'policy_json = policy["PolicyDocument"]\n            role.put_policy(policy_name, policy_json)'
    assert as_given in create, "moto now writes a stack's role policies as JSON: half of ROLE_POLICIES can go"
    assert "Policies" not in update, "moto now updates a role's policies: half of ROLE_POLICIES can go"


def test_moto_still_updates_only_resources_that_ref_a_changed_parameter_themselves() -> None:
    references = upstream("moto.cloudformation.parsing:get_references_from_template")
    through_a_condition = {"Fn::If": ["TracingEnabled", "Active", "PassThrough"]}
    assert references(through_a_condition) == references({"Fn::Sub": "${EventRetentionDays}"}) == []
    diff = inspect.getsource(upstream("moto.cloudformation.parsing:ResourceMap.build_resource_diff"))
    assert "get_references_from_template(new[name])" in diff


def test_moto_still_updates_a_task_definition_without_its_creates_key_conversion() -> None:
    update = inspect.getsource(upstream("moto.ecs.models:TaskDefinition.update_from_cloudformation_json"))
    assert "remap_nested_keys" not in update and '"Family", f"task-definition-' in update


def test_moto_still_cannot_delete_a_stacks_route_table_internet_gateway_or_its_attachment() -> None:
    for dotted in ("moto.ec2.models.route_tables:RouteTable",
                   "moto.ec2.models.internet_gateways:InternetGateway",
                   "moto.ec2.models.vpn_gateway:VPCGatewayAttachment"):
        model = upstream(dotted)
        assert not hasattr(model, "delete"), f"{dotted} can be deleted now: NETWORK_DELETES can go"
        assert "delete_from_cloudformation_json" not in vars(model), dotted


def test_moto_still_gives_a_log_groups_arn_without_its_wildcard() -> None:
    group = upstream("moto.logs.models:LogGroup")("123456789012", "us-east-1", "/rehearsal/group")
    assert group.get_cfn_attribute("Arn") == "arn:aws:logs:us-east-1:123456789012:log-group:/rehearsal/group"


def test_moto_still_has_no_full_names_for_a_load_balancer_or_a_target_group() -> None:
    balancer = inspect.getsource(upstream("moto.elbv2.models:FakeLoadBalancer.get_cfn_attribute"))
    assert '"LoadBalancerFullName",\n            "SecurityGroups",\n        ]' in balancer
    assert not hasattr(upstream("moto.elbv2.models:FakeTargetGroup"), "get_cfn_attribute")


def test_moto_still_invokes_the_function_of_a_stream_mapping_and_empties_a_table_stream_after() -> None:
    table_stream = inspect.getsource(upstream("moto.dynamodb.models.table:StreamShard.add"))
    kinesis = inspect.getsource(upstream("moto.kinesis.models:Stream.put_record"))
    assert "send_dynamodb_items(" in table_stream and "self.items = []" in table_stream
    assert "send_kinesis_message(" in kinesis
