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
