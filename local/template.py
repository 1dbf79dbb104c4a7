"""infra/template.yaml, read as the local stack needs it, so local and deployed settings cannot drift.

The consumer function's timeout, memory and event source mapping (batch size, retries, starting
position, bisect on error), and the IAM policies of the consumer and dashboard roles with every
reference resolved to the local names: the same text `make deploy` sends to CloudFormation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from core.ops.resources import BY_LOGICAL_ID
from core.settings import Settings
from local.strict.conditions import Condition, parse

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"
ACCOUNT = "123456789012"  # moto's default account
FUNCTION = "ConsumerFunction"
AGGREGATOR = "AggregatorFunction"
ROLES = {"consumer": "ConsumerRole", "aggregator": "AggregatorRole", "dashboard": "DashboardTaskRole"}


@dataclass(frozen=True)
class Statement:
    """One statement: actions (IAM's names, wildcards allowed) on resources (ARNs, wildcards), allowed or
    denied when its conditions hold."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    effect: str = "Allow"
    conditions: tuple[Condition, ...] = ()


def read_statement(raw: dict[str, Any]) -> Statement:
    """A policy statement as IAM holds it; ValueError for what the local IAM would read wrongly."""
    unread = {"NotAction", "NotResource", "NotPrincipal"} & raw.keys()
    if raw.get("Effect") not in ("Allow", "Deny") or unread:
        raise ValueError(f"the local IAM reads Allow and Deny statements of Action and Resource only: {raw}")
    resources = tuple(r for r in _listed(raw["Resource"]) if r is not None)
    return Statement(str(raw.get("Sid", "")), tuple(_listed(raw["Action"])), resources, str(raw["Effect"]),
                     parse(raw.get("Condition")))


@dataclass(frozen=True)
class EventSourceSettings:
    """The Kinesis event source mapping as the template configures it."""

    batch_size: int
    starting_position: str
    maximum_retry_attempts: int
    bisect_on_error: bool
    maximum_record_age_seconds: int
    parallelization_factor: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class TableStreamSettings:
    """The aggregator's event source mapping on the table's stream."""

    batch_size: int
    batching_window_seconds: int
    starting_position: str
    maximum_retry_attempts: int
    bisect_on_error: bool
    filters: list[dict[str, Any]]  # Lambda's filter patterns; a record passes if one matches


@dataclass(frozen=True)
class FunctionSettings:
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]  # the variables, resolved for the local stack (Settings' values win)


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, …) read as their long forms."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"  # the two without "Fn::"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}", node.start_mark)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


class Template:
    """The template's parameters' defaults and the local names, for resolving its intrinsics."""

    def __init__(
        self, settings: Settings, path: Path = TEMPLATE, document: dict[str, Any] | None = None,
        parameters: dict[str, str] | None = None,
    ) -> None:
        """The template at `path`, or `document` (e.g. the template after SAM's transform); `parameters`
        given as `sam deploy --parameter-overrides` would give them, the rest at their defaults."""
        self.settings = settings
        self.document: dict[str, Any] = document or yaml.load(path.read_text(), Loader=_CfnLoader)
        self._overrides = parameters or {}

    @cached_property
    def parameters(self) -> dict[str, Any]:
        values = {name: self._overrides.get(name, spec.get("Default", ""))
                  for name, spec in self.document["Parameters"].items()}
        specs = self.document["Parameters"]
        lists = {name for name, spec in specs.items() if spec["Type"] == "CommaDelimitedList"}
        return {name: str(value).split(",") if name in lists else value for name, value in values.items()}

    def resource(self, logical_id: str) -> dict[str, Any]:
        return dict(self.document["Resources"][logical_id])

    def function(self, logical_id: str = FUNCTION) -> FunctionSettings:
        props = self.resource(logical_id)["Properties"]
        variables = props.get("Environment", {}).get("Variables", {})
        return FunctionSettings(
            handler=str(props["Handler"]),
            timeout_seconds=int(self.resolve(props["Timeout"])),
            memory_mb=int(self.resolve(props["MemorySize"])),
            environment={k: str(v) for k, v in self.resolve(variables).items() if isinstance(v, str | int)},
        )

    def event_source(self) -> EventSourceSettings:
        events = self.resource(FUNCTION)["Properties"]["Events"]
        (props,) = [event["Properties"] for event in events.values() if event["Type"] == "Kinesis"]
        def value(key: str, default: Any) -> Any:
            return self.resolve(props.get(key, default))

        return EventSourceSettings(
            batch_size=int(value("BatchSize", 100)),
            starting_position=str(value("StartingPosition", "LATEST")),
            maximum_retry_attempts=int(value("MaximumRetryAttempts", -1)),
            bisect_on_error=bool(value("BisectBatchOnFunctionError", False)),
            maximum_record_age_seconds=int(value("MaximumRecordAgeInSeconds", -1)),
            parallelization_factor=int(value("ParallelizationFactor", 1)),
            report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
        )

    def table_stream_source(self) -> TableStreamSettings:
        """The aggregator's DynamoDB event source mapping."""
        events = self.resource(AGGREGATOR)["Properties"]["Events"]
        (props,) = [event["Properties"] for event in events.values() if event["Type"] == "DynamoDB"]
        filters = props.get("FilterCriteria", {}).get("Filters", [])
        return TableStreamSettings(
            batch_size=int(self.resolve(props.get("BatchSize", 100))),
            batching_window_seconds=int(self.resolve(props.get("MaximumBatchingWindowInSeconds", 0))),
            starting_position=str(self.resolve(props["StartingPosition"])),
            maximum_retry_attempts=int(self.resolve(props.get("MaximumRetryAttempts", -1))),
            bisect_on_error=bool(self.resolve(props.get("BisectBatchOnFunctionError", False))),
            filters=[json.loads(entry["Pattern"]) for entry in filters],
        )

    def role_statements(self, role: str) -> list[Statement]:
        """The statements of a role's inline policies, resolved for the local stack."""
        statements: list[Statement] = []
        for policy in self.resource(ROLES[role])["Properties"]["Policies"]:
            for raw in policy["PolicyDocument"]["Statement"]:
                statement = self.resolve(raw)
                if statement is None:  # a statement under a condition that is off (e.g. TracingEnabled)
                    continue
                statements.append(read_statement(statement))
        return statements

    # --- intrinsics -------------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """`node` with Ref, GetAtt, Sub, If, Select, Split and Join evaluated; AWS::NoValue becomes None."""
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not None]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (name, argument), = node.items()
            if name == "Ref" or name.startswith("Fn::"):
                return self._intrinsic(name, argument)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in node.items()) if v is not None}

    def _intrinsic(self, name: str, argument: Any) -> Any:
        if name == "Ref":
            return self._ref(argument)
        if name == "Fn::GetAtt":
            return self._get_att(*argument)
        if name == "Fn::Sub":
            text, names = (argument, {}) if isinstance(argument, str) else argument
            return self._sub(text, {k: self.resolve(v) for k, v in names.items()})
        if name == "Fn::If":
            condition, yes, no = argument
            return self.resolve(yes if self.condition(condition) else no)
        if name == "Fn::Select":
            index, values = argument
            return self.resolve(values)[int(index)]
        if name == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text)).split(separator)
        if name == "Fn::Join":
            separator, values = argument
            return separator.join(map(str, self.resolve(values)))
        raise ValueError(f"{name} is not resolved locally")

    def condition(self, name: str) -> bool:
        return self._truth(self.document["Conditions"][name])

    def broken_rules(self) -> list[str]:
        """What CloudFormation would refuse these parameters with: each failing rule assertion's text."""
        broken = []
        for rule in self.document.get("Rules", {}).values():
            if "RuleCondition" in rule and not self._truth(rule["RuleCondition"]):
                continue
            broken += [a["AssertDescription"] for a in rule["Assertions"] if not self._truth(a["Assert"])]
        return broken

    def _truth(self, node: Any) -> bool:
        (name, argument), = node.items()
        if name == "Fn::Equals":
            left, right = (self.resolve(value) for value in argument)
            return bool(left == right)
        if name == "Fn::Not":
            return not self._truth(argument[0])
        if name == "Fn::And":
            return all(self._truth(item) for item in argument)
        if name == "Fn::Or":
            return any(self._truth(item) for item in argument)
        if name == "Condition":
            return self.condition(argument)
        raise ValueError(f"{name} is not resolved locally")

    def _ref(self, name: str) -> Any:
        pseudo = {"AWS::Region": self.settings.region, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                  "AWS::StackName": "image-processor-local", "AWS::URLSuffix": "amazonaws.com",
                  "AWS::NoValue": None}
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = BY_LOGICAL_ID.get(name)
        if resource is None:
            return name
        return resource.ref_value(resource.name(self.settings), self.settings.region, ACCOUNT)

    def _get_att(self, logical_id: str, attribute: str) -> str:
        resource = BY_LOGICAL_ID.get(logical_id)
        if resource is None or attribute not in resource.formats:
            return f"{logical_id}.{attribute}"  # resources the local stack does not have
        return resource.get_att(attribute, resource.name(self.settings), self.settings.region, ACCOUNT)

    def _sub(self, text: str, names: dict[str, Any]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in names:
                return str(names[name])
            if "." in name and not name.startswith("AWS::"):
                return self._get_att(*name.split(".", 1))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", value, text)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
