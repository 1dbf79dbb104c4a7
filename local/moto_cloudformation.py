"""The emulator's fixes of moto's CloudFormation, so a stack made from infra/template.yaml is created, listed,
updated and deleted as CloudFormation does it (for the rehearsal of a deployment, local/rehearsal/).

Each is listed in local/patches.py with the moto release it was written against and what it works around;
tests/integration/test_patches.py holds each to the upstream code it replaces.
"""

from __future__ import annotations

import json
import re
from typing import Any


def install_no_value_in_lists() -> None:
    from moto.cloudformation import parsing

    original = parsing.clean_json
    if getattr(original, "drops_no_value", False):
        return

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        cleaned = original(resource_json, resources_map)  # calls back here for each item of a list
        if isinstance(resource_json, list):
            return [value for value in cleaned if value is not None]
        return cleaned

    clean_json.drops_no_value = True  # type: ignore[attr-defined]
    parsing.clean_json = clean_json


def install_listed_resources() -> None:
    from moto.cloudformation.models import Stack

    original = Stack.__dict__["stack_resources"]
    if getattr(original.fget, "created_only", False):
        return

    def stack_resources(self: Any) -> list[Any]:
        return [resource for resource in original.fget(self) if resource is not None]

    stack_resources.created_only = True  # type: ignore[attr-defined]
    setattr(Stack, "stack_resources", property(stack_resources))  # noqa: B010


def install_role_policies() -> None:
    from moto.iam.models import Role

    create = Role.__dict__["create_from_cloudformation_json"].__func__
    update = Role.__dict__["update_from_cloudformation_json"].__func__
    if getattr(create, "policies_as_json", False):
        return

    def created(cls: Any, /, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                region_name: str, **kwargs: Any) -> Any:
        return create(cls, resource_name, _policies_as_json(cloudformation_json), account_id, region_name,
                      **kwargs)

    def updated(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
                account_id: str, region_name: str) -> Any:
        role = update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        policies = _policies_as_json(cloudformation_json)["Properties"].get("Policies", [])
        role.policies = {policy["PolicyName"]: policy["PolicyDocument"] for policy in policies}
        return role

    created.policies_as_json = True  # type: ignore[attr-defined]
    setattr(Role, "create_from_cloudformation_json", classmethod(created))  # noqa: B010
    setattr(Role, "update_from_cloudformation_json", classmethod(updated))  # noqa: B010


def _policies_as_json(cloudformation_json: dict[str, Any]) -> dict[str, Any]:
    properties = dict(cloudformation_json["Properties"])
    properties["Policies"] = [
        policy | {"PolicyDocument": document if isinstance(document := policy["PolicyDocument"], str)
                  else json.dumps(document)}
        for policy in properties.get("Policies", [])
    ]
    return cloudformation_json | {"Properties": properties}


def install_condition_updates() -> None:
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap.build_resource_diff
    if getattr(original, "follows_conditions", False):
        return

    def build_resource_diff(self: Any, other_template: dict[str, Any],
                            parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        actions: dict[str, Any] = original(self, other_template, parameters)
        if not parameters:
            return actions
        changed = {name for name in parameters if self.input_parameters.get(name) != parameters[name]}
        conditions = other_template.get("Conditions", {})
        for name, resource in other_template["Resources"].items():
            reached = name in self._resource_json_map and name not in actions["Modify"]
            if reached and _names_reached(resource, conditions) & changed:
                actions["Modify"].append(name)
        return actions

    build_resource_diff.follows_conditions = True  # type: ignore[attr-defined]
    setattr(ResourceMap, "build_resource_diff", build_resource_diff)  # noqa: B010


_SUB_NAMES = re.compile(r"\$\{([^}!.][^}.]*)")


def _names_reached(node: Any, conditions: dict[str, Any]) -> set[str]:
    """The names a part of a template depends on: its Refs, the ${names} of its Fn::Subs, and those of the
    conditions it uses (a resource's Condition, an Fn::If's), through every condition they use in turn."""
    if isinstance(node, list):
        return set().union(*(_names_reached(item, conditions) for item in node))
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "Condition" and isinstance(value, str):
            found |= _names_reached(conditions.get(value, {}), conditions)
        elif key == "Fn::If":
            found |= _names_reached([conditions.get(value[0], {}), *value[1:]], conditions)
        elif key == "Fn::Sub":
            text = value if isinstance(value, str) else value[0]
            found |= set(_SUB_NAMES.findall(text)) | _names_reached(value[1:] if isinstance(value, list)
                                                                    else [], conditions)
        else:
            found |= _names_reached(value, conditions)
    return found


def install_task_definition_updates() -> None:
    from moto.ecs.models import TaskDefinition, ecs_backends

    create = TaskDefinition.__dict__["create_from_cloudformation_json"].__func__
    if getattr(TaskDefinition.update_from_cloudformation_json, "new_revision", False):
        return

    def updated(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
                account_id: str, region_name: str) -> Any:
        properties = cloudformation_json["Properties"]
        family = properties.get("Family", original_resource.family)
        revision = create(cls, new_resource_name, cloudformation_json | {"Properties": properties | {
            "Family": family}}, account_id, region_name)
        ecs_backends[account_id][region_name].deregister_task_definition(original_resource.arn)
        return revision

    updated.new_revision = True  # type: ignore[attr-defined]
    setattr(TaskDefinition, "update_from_cloudformation_json", classmethod(updated))  # noqa: B010


def install_network_deletes() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.route_tables import RouteTable
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    if hasattr(RouteTable, "delete"):  # installed (or moto has its own now: test_patches.py says so)
        return

    def delete_route_table(self: Any, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_route_table(self.id)

    def delete_internet_gateway(self: Any, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_internet_gateway(self.id)  # once detached

    def detach(self: Any, account_id: str, region_name: str) -> None:
        if str(self.gateway_id).startswith("igw-"):
            ec2_backends[account_id][region_name].detach_internet_gateway(self.gateway_id, self.vpc_id)

    setattr(RouteTable, "delete", delete_route_table)  # noqa: B010
    setattr(InternetGateway, "delete", delete_internet_gateway)  # noqa: B010
    setattr(VPCGatewayAttachment, "delete", detach)  # noqa: B010


def install_log_group_arn() -> None:
    from moto.logs.models import LogGroup

    original = LogGroup.get_cfn_attribute
    if getattr(original, "ends_in_wildcard", False):
        return

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        value = original(self, attribute_name)
        return f"{value}:*" if attribute_name == "Arn" else value

    get_cfn_attribute.ends_in_wildcard = True  # type: ignore[attr-defined]
    setattr(LogGroup, "get_cfn_attribute", get_cfn_attribute)  # noqa: B010 - replaced on purpose


def install_load_balancer_attributes() -> None:
    from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup

    original = FakeLoadBalancer.get_cfn_attribute
    if getattr(original, "full_names", False):
        return

    def balancer_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":  # app/<name>/<id>, the ARN's resource part
            return self.arn.split(":loadbalancer/", 1)[1]
        if attribute_name == "CanonicalHostedZoneID":  # what moto's DescribeLoadBalancers gives too
            return self.canonical_hosted_zone_id
        if attribute_name == "SecurityGroups":
            return list(self.security_groups)
        return original(self, attribute_name)

    def target_group_attribute(self: Any, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        values = {"TargetGroupFullName": self.arn.split(":", 5)[5],  # targetgroup/<name>/<id>
                  "TargetGroupName": self.name, "TargetGroupArn": self.arn,
                  "LoadBalancerArns": list(self.load_balancer_arns)}
        if attribute_name not in values:
            raise UnformattedGetAttTemplateException()
        return values[attribute_name]

    balancer_attribute.full_names = True  # type: ignore[attr-defined]
    setattr(FakeLoadBalancer, "get_cfn_attribute", balancer_attribute)  # noqa: B010
    setattr(FakeTargetGroup, "get_cfn_attribute", target_group_attribute)  # noqa: B010


def install_no_stream_invocations() -> None:
    from moto.awslambda.models import LambdaBackend

    if getattr(LambdaBackend.send_kinesis_message, "played_locally", False):
        return

    def not_delivered(self: Any, *args: Any, **kwargs: Any) -> None:
        """Nothing: the local event sources deliver the streams (a falsy answer keeps moto's records)."""
        return None

    not_delivered.played_locally = True  # type: ignore[attr-defined]
    setattr(LambdaBackend, "send_kinesis_message", not_delivered)  # noqa: B010
    setattr(LambdaBackend, "send_dynamodb_items", not_delivered)  # noqa: B010
