"""The registry of the stack's resources (core/ops/resources.py) against infra/template.yaml: every resource
the code names is in the template, every data resource of the template is in the registry, and the
variable that names each one in the code is the one the template sets from it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from core.ops.resources import BY_LOGICAL_ID, RESOURCES, Resource
from core.settings import Settings
from local.template import ACCOUNT, Template

# The kinds of resource the code reads or writes. The dashboard's own log group is ECS's: nothing reads it.
DATA_TYPES = {"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::Kinesis::Stream", "AWS::SQS::Queue",
              "AWS::Logs::LogGroup", "AWS::Serverless::Function"}
NOT_NAMED_BY_THE_CODE = {"DashboardLogGroup"}


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(Settings())


def environments(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, {variable: unresolved value}) for both functions and the dashboard's container."""
    for logical_id, resource in template.document["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            yield logical_id, props.get("Environment", {}).get("Variables", {})
        for container in props.get("ContainerDefinitions", []):
            pairs = [entry for entry in container.get("Environment", []) if "Name" in entry]
            yield f"{logical_id} container", {entry["Name"]: entry["Value"] for entry in pairs}


def test_every_registered_resource_is_in_the_template_with_its_type(template: Template) -> None:
    resources = template.document["Resources"]
    assert {r.logical_id: resources.get(r.logical_id, {}).get("Type") for r in RESOURCES} == {
        r.logical_id: r.cfn_type for r in RESOURCES}


def test_every_data_resource_of_the_template_is_registered(template: Template) -> None:
    found = {name for name, r in template.document["Resources"].items() if r["Type"] in DATA_TYPES}
    assert found - NOT_NAMED_BY_THE_CODE == set(BY_LOGICAL_ID)


def test_each_variable_that_names_a_resource_is_set_from_that_resource(template: Template) -> None:
    wrong = {}
    for where, variables in environments(template):
        for resource in RESOURCES:
            value = variables.get(resource.setting)
            if value is not None and resource.logical_id not in json.dumps(value):
                wrong[f"{where} {resource.setting}"] = value
    assert wrong == {}


def test_the_functions_and_the_dashboard_are_told_every_name_they_use(template: Template) -> None:
    told = {where: set(variables) for where, variables in environments(template)}
    assert {"BUCKET_NAME", "TABLE_NAME", "STREAM_NAME", "FAILURE_QUEUE_NAME"} <= told["ConsumerFunction"]
    assert {"TABLE_NAME"} <= told["AggregatorFunction"]
    every_data_resource = {r.setting for r in RESOURCES if r.cfn_type != "AWS::Serverless::Function"}
    assert every_data_resource - told["DashboardTask container"] == {"AGGREGATOR_LOG_GROUP"}


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.logical_id)
def test_the_setting_names_the_resource(resource: Resource, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(resource.setting, "given-name")
    assert resource.name(Settings()) == "given-name"


def test_the_local_template_resolves_refs_and_arns_from_the_registry(template: Template) -> None:
    queue = BY_LOGICAL_ID["FailureQueue"]
    name = queue.name(template.settings)
    assert template.resolve({"Ref": "FailureQueue"}) == f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{name}"
    assert template.resolve({"Fn::GetAtt": ["FailureQueue", "Arn"]}) == queue.arn(name, "us-east-1", ACCOUNT)
    assert template.resolve({"Fn::GetAtt": ["EventTable", "StreamArn"]}).endswith("/stream/*")
