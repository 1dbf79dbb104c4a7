"""What CloudFormation created, read back through the AWS APIs as an operator would: the roles' policies
(given to the emulator's IAM layer, so every later call is decided by them), the functions' configurations
and event source mappings, and the dashboard task's environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from core.aws import AwsClients
from local.rehearsal.stack import Created
from local.template import AGGREGATOR, FUNCTION, ROLES


@dataclass(frozen=True)
class Function:
    """A function as Lambda holds it, with the event source mapping that delivers to it."""

    name: str
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    tracing: str  # Active or PassThrough
    mapping: dict[str, Any]  # GetEventSourceMapping's answer


@dataclass(frozen=True)
class Deployed:
    """Everything the pipeline runs with, read from the stack and the services, none from the template."""

    outputs: dict[str, str]
    resources: dict[str, Created]
    consumer: Function
    aggregator: Function
    dashboard_environment: dict[str, str]
    policies: dict[str, list[Any]]  # our role name -> the policy documents IAM holds for its role
    log_retention_days: dict[str, int]  # each log group of the stack -> its retention

    @property
    def aggregator_log_group(self) -> str:
        return self.resources["AggregatorLogGroup"].physical_id  # no output names it


def read_deployed(clients: AwsClients, outputs: dict[str, str], resources: dict[str, Created]) -> Deployed:
    groups = [made.physical_id for made in resources.values() if made.cfn_type == "AWS::Logs::LogGroup"]
    return Deployed(
        outputs, resources, function(clients, resources[FUNCTION].physical_id),
        function(clients, resources[AGGREGATOR].physical_id),
        task_environment(clients, resources["DashboardTask"].physical_id),
        {role: role_policies(clients, resources[logical].physical_id) for role, logical in ROLES.items()},
        {group: retention_days(clients, group) for group in groups},
    )


def retention_days(clients: AwsClients, group: str) -> int:
    (found,) = [g for g in clients.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
                if g.get("logGroupName") == group]
    return int(found.get("retentionInDays", 0))


def function(clients: AwsClients, name: str) -> Function:
    lambda_: Any = clients.client("lambda")
    config = lambda_.get_function_configuration(FunctionName=name)
    (mapping,) = lambda_.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    variables = config.get("Environment", {}).get("Variables", {})
    return Function(name, config["Handler"], int(config["Timeout"]), int(config["MemorySize"]),
                    {key: str(value) for key, value in variables.items()},  # moto keeps a Number's number
                    config.get("TracingConfig", {}).get("Mode", "PassThrough"), mapping)


def task_environment(clients: AwsClients, task_definition: str) -> dict[str, str]:
    ecs: Any = clients.client("ecs")
    (container,) = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"][
        "containerDefinitions"]
    return {entry["name"]: str(entry["value"]) for entry in container.get("environment", [])}


def role_policies(clients: AwsClients, role_name: str) -> list[Any]:
    """The role's inline policies as IAM gives them; managed policies would be read wrongly, so refused."""
    iam: Any = clients.client("iam")
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    if attached:
        raise ValueError(f"{role_name} has managed policies {attached}; the local IAM reads inline ones")
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    return [iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"] for name in names]


def grant(endpoint: str, policies: dict[str, list[Any]]) -> None:
    """From now on the emulator decides each role's calls by these policies, and by nothing else."""
    for role, documents in policies.items():
        answer = requests.post(f"{endpoint}/_local/iam/grant", json={"role": role, "policies": documents},
                               timeout=10)
        answer.raise_for_status()
