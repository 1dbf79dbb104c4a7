"""infra/template.yaml: lints clean and keeps the security and reliability properties a reviewer signs off."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices

from core.settings import Settings
from core.store import keys
from dashboard.headers import SECURITY_HEADERS
from dashboard.roles import OPERATORS_GROUP
from local.template import Template
from tests.infra.paths import ROOT, TEMPLATE, checkov_tool, venv_tool
from tools.lambda_zip import ZIP_PATH  # the zip `make lambda-zip` builds

# Properties of a SAM `Kinesis` event (AWS SAM developer guide, sam-property-function-kinesis).
# cfn-lint does not check inside SAM events, so a misspelt key would silently do nothing.
SAM_KINESIS_EVENT_PROPERTIES = {
    "BatchSize", "BisectBatchOnFunctionError", "DestinationConfig", "Enabled", "FilterCriteria",
    "FunctionResponseTypes", "KmsKeyArn", "MaximumBatchingWindowInSeconds", "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts", "MetricsConfig", "ParallelizationFactor", "StartingPosition",
    "StartingPositionTimestamp", "Stream", "TumblingWindowInSeconds",
}


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in resources.items() if r["Type"] == kind}


def statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every IAM statement anywhere in the template (roles, inline policies, resource policies)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Statement":
                yield from (s for raw in value for s in either_branch(raw))
            else:
                yield from statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from statements(item)


def either_branch(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """A statement, or those a condition chooses between (`!If [Cond, statement, !Ref AWS::NoValue]`)."""
    if "Fn::If" not in statement:
        return [statement]
    return [branch for branch in statement["Fn::If"][1:] if branch != {"Ref": "AWS::NoValue"}]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def as_object(value: Any) -> dict[str, Any]:
    """A JSON object of the parsed template (which is untyped JSON)."""
    assert isinstance(value, dict), value
    return value


def allowed_actions(role: dict[str, Any]) -> dict[str, list[Any]]:
    """action -> resources it is allowed on, over a role's inline policies."""
    allowed: dict[str, list[Any]] = {}
    for policy in role["Policies"]:
        for statement in (s for raw in policy["PolicyDocument"]["Statement"] for s in either_branch(raw)):
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                allowed.setdefault(action, []).extend(as_list(statement["Resource"]))
    return allowed


def consumer(resources: dict[str, Any]) -> dict[str, Any]:
    return as_object(resources["ConsumerFunction"]["Properties"])


def aggregator(resources: dict[str, Any]) -> dict[str, Any]:
    return as_object(resources["AggregatorFunction"]["Properties"])


def dashboard_container(resources: dict[str, Any]) -> dict[str, Any]:
    (container,) = resources["DashboardTask"]["Properties"]["ContainerDefinitions"]
    return as_object(container)


def container_settings(resources: dict[str, Any]) -> list[dict[str, Any]]:
    """The container's environment and secrets, with the login-only ones (Fn::If) taken as if enabled."""
    container = dashboard_container(resources)
    entries = container["Environment"] + container["Secrets"]
    return [e["Fn::If"][1] if "Fn::If" in e else e for e in entries]


def by_name(attributes: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(attributes, key=lambda a: a["AttributeName"])


def kinesis_event(resources: dict[str, Any]) -> dict[str, Any]:
    events = consumer(resources)["Events"]
    (event,) = [e for e in events.values() if e["Type"] == "Kinesis"]
    return as_object(event["Properties"])


def test_cfn_lint_finds_nothing() -> None:
    tool = venv_tool("cfn-lint")
    assert tool, "cfn-lint is missing: run `make venv` (requirements/dev.in pins it)"
    result = subprocess.run([tool, str(TEMPLATE)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# Every optional part switched on, so checkov (which evaluates conditions with the defaults) sees it all.
EVERY_OPTION = {
    "DomainName": "images.example.com", "HostedZoneId": "Z0123456789ABC",
    "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc", "EnableTracing": "true",
    "StreamKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/abc", "AlarmEmail": "ops@example.com",
    "SourceBuckets": "legacy-images", "ImageRetentionDays": 90, "EventRetentionDays": 30,
}


@pytest.mark.parametrize("options", ["defaults", "every option on"])
def test_checkov_finds_nothing_and_every_skip_says_why(
    template: dict[str, Any], tmp_path: Path, options: str
) -> None:
    tool = checkov_tool()
    assert tool.exists(), "checkov is missing: run `make venv` (requirements/checkov.in pins it)"
    document = copy.deepcopy(template)
    if options != "defaults":
        for name, value in EVERY_OPTION.items():
            document["Parameters"][name]["Default"] = value
    scanned = tmp_path / "template.json"
    scanned.write_text(json.dumps(document))
    result = subprocess.run([str(tool), "--skip-download", "--framework", "cloudformation",
                             "-f", str(scanned), "-o", "json"], capture_output=True, text=True, timeout=300,
                            check=False)
    report = json.loads(result.stdout)["results"]
    assert report["failed_checks"] == [], [(c["check_id"], c["resource"]) for c in report["failed_checks"]]
    assert report["skipped_checks"] and all(c["check_result"].get("suppress_comment")
                                            for c in report["skipped_checks"])


def test_no_policy_allows_a_wildcard_action(template: dict[str, Any]) -> None:
    found = list(statements(template["Resources"]))
    assert len(found) > 10
    for statement in found:
        wildcards = [a for a in as_list(statement["Action"]) if "*" in a]
        # Only a Deny may be broad: the bucket's "no plain HTTP" rule must cover every S3 action.
        assert not wildcards or statement["Effect"] == "Deny", statement


def test_bucket_blocks_public_access_and_encrypts(resources: dict[str, Any]) -> None:
    (bucket,) = of_type(resources, "AWS::S3::Bucket").values()
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}


def test_bucket_policy_refuses_plain_http(resources: dict[str, Any]) -> None:
    (policy,) = of_type(resources, "AWS::S3::BucketPolicy").values()
    assert policy["Bucket"] == {"Ref": "Bucket"}
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    (deny,) = [s for s in denies if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Resource"] == [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Sub": "${Bucket.Arn}/*"}]


def test_table_matches_core_schema(resources: dict[str, Any]) -> None:
    table = resources["EventTable"]["Properties"]
    assert table["KeySchema"] == keys.TABLE_KEY_SCHEMA
    assert by_name(table["AttributeDefinitions"]) == by_name(keys.TABLE_ATTRIBUTES)
    assert table["GlobalSecondaryIndexes"] == keys.TABLE_INDEXES
    assert table["StreamSpecification"] == {"StreamViewType": keys.STREAM_SPECIFICATION["StreamViewType"]}
    assert table["TimeToLiveSpecification"] == {"AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True}


def test_table_is_on_demand_with_point_in_time_recovery(resources: dict[str, Any]) -> None:
    table = resources["EventTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_data_survives_a_stack_deletion(resources: dict[str, Any]) -> None:
    for name in ("Bucket", "EventTable"):
        assert resources[name]["DeletionPolicy"] == "Retain"
        assert resources[name]["UpdateReplacePolicy"] == "Retain"


def test_every_log_group_has_retention_and_both_parts_log_to_them(resources: dict[str, Any]) -> None:
    groups = of_type(resources, "AWS::Logs::LogGroup")
    assert set(groups) == {"ConsumerLogGroup", "AggregatorLogGroup", "DashboardLogGroup"}
    assert all("RetentionInDays" in group for group in groups.values())
    assert consumer(resources)["LoggingConfig"]["LogGroup"] == {"Ref": "ConsumerLogGroup"}
    assert aggregator(resources)["LoggingConfig"]["LogGroup"] == {"Ref": "AggregatorLogGroup"}
    container = dashboard_container(resources)
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "DashboardLogGroup"}


def test_function_runs_the_zip_make_lambda_zip_builds(resources: dict[str, Any]) -> None:
    function = consumer(resources)
    # SAM resolves a local CodeUri against the template's folder.
    assert (TEMPLATE.parent / function["CodeUri"]).resolve() == (ROOT / ZIP_PATH).resolve()
    assert function["Handler"] == "lambda_consumer.handler.handler"
    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == [{"Ref": "Architecture"}]


def test_event_source_retries_only_failed_records_and_never_blocks_a_shard(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    event = kinesis_event(resources)
    assert set(event) <= SAM_KINESIS_EVENT_PROPERTIES
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["BisectBatchOnFunctionError"] is True
    # -1 would mean "retry forever" / "no age limit": the parameters' bounds rule it out.
    for name, lowest in (("MaximumRetryAttempts", 0), ("MaximumRecordAgeInSeconds", 60)):
        parameter = template["Parameters"][event[name]["Ref"]]
        assert parameter["MinValue"] >= lowest and parameter["Default"] >= lowest, name
    assert {"BatchSize", "MaximumBatchingWindowInSeconds"} <= set(event)


def test_the_aggregator_counts_every_event_change_once_from_the_start_of_the_stream(
    resources: dict[str, Any],
) -> None:
    function = aggregator(resources)
    assert function["CodeUri"] == consumer(resources)["CodeUri"]  # one zip, two handlers
    assert function["Handler"] == "lambda_aggregator.handler.handler"
    (event,) = function["Events"].values()
    source = event["Properties"]
    assert event["Type"] == "DynamoDB"
    assert source["Stream"] == {"Fn::GetAtt": ["EventTable", "StreamArn"]}
    assert source["StartingPosition"] == "TRIM_HORIZON"  # nothing written before it started is missed
    # core/store/counting.py's checkpoints need a failed batch retried whole, from its first record:
    assert source["BisectBatchOnFunctionError"] is False and "FunctionResponseTypes" not in source
    assert source["MaximumRetryAttempts"] == -1 and source["MaximumRecordAgeInSeconds"] == -1
    (pattern,) = [json.loads(f["Pattern"]) for f in source["FilterCriteria"]["Filters"]]
    assert pattern == {"dynamodb": {"Keys": {keys.SK: {"S": [keys.EVENT_SK]}}}}


def test_on_failure_destination_is_the_queue_the_consumer_may_send_to(resources: dict[str, Any]) -> None:
    destination = kinesis_event(resources)["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
    allowed = allowed_actions(resources["ConsumerRole"]["Properties"])
    assert allowed["sqs:SendMessage"] == [destination]


def test_the_on_failure_queue_moves_no_message_for_being_received(resources: dict[str, Any]) -> None:
    """The Health page looks at its messages with receives (core.ops.health.failure_queue): under a redrive
    policy those would count towards moving a message to another queue."""
    assert "RedrivePolicy" not in resources["FailureQueue"]["Properties"]


def test_consumer_role_writes_only_the_prefixes_of_its_keys(resources: dict[str, Any]) -> None:
    allowed = allowed_actions(resources["ConsumerRole"]["Properties"])
    written = [keys.original_key("0", "jpg"), keys.thumbnail_key("0"), keys.preview_key("0")]
    assert allowed["s3:PutObject"] == [
        {"Fn::Sub": "${Bucket.Arn}/" + key.rsplit("/", 1)[0] + "/*"} for key in written
    ]
    assert "s3:DeleteObject" not in allowed and "dynamodb:DeleteItem" not in allowed
    assert consumer(resources)["Role"] == {"Fn::GetAtt": ["ConsumerRole", "Arn"]}


def test_dashboard_sits_behind_sticky_load_balancer_that_keeps_websockets_open(
    resources: dict[str, Any],
) -> None:
    balancer = resources["LoadBalancer"]["Properties"]
    attributes = {a["Key"]: a["Value"] for a in balancer["LoadBalancerAttributes"]}
    assert int(attributes["idle_timeout.timeout_seconds"]) >= 3600
    group = resources["TargetGroup"]["Properties"]
    target = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
    assert target["stickiness.enabled"] == "true"
    assert group["HealthCheckPath"] == "/_stcore/health"
    port = dashboard_container(resources)["PortMappings"][0]["ContainerPort"]
    assert group["Port"] == port == 8080


def test_only_the_load_balancer_reaches_the_tasks_and_nobody_by_default(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    assert "SecurityGroupIngress" not in resources["TaskSecurityGroup"]["Properties"]
    ingress = of_type(resources, "AWS::EC2::SecurityGroupIngress").values()
    to_tasks = [rule for rule in ingress if rule["GroupId"] == {"Ref": "TaskSecurityGroup"}]
    assert [rule["SourceSecurityGroupId"] for rule in to_tasks] == [{"Ref": "LoadBalancerSecurityGroup"}]
    # No default: whoever deploys names who may connect (deploy.sh defaults to their own address).
    assert "Default" not in template["Parameters"]["AllowedIngressCidr"]


def test_login_is_always_created_and_wired_for_streamlit_oidc(resources: dict[str, Any]) -> None:
    for name in ("UserPool", "UserPoolDomain", "UserPoolClient", "LoginClientSecret"):
        assert "Condition" not in resources[name], name
    settings: dict[str, Any] = {
        e["Name"]: e.get("Value", e.get("ValueFrom")) for e in container_settings(resources)
    }
    assert settings["AUTH_SERVER_METADATA_URL"]["Fn::Sub"].endswith(
        "/${UserPool}/.well-known/openid-configuration"
    )
    assert settings["AUTH_CLIENT_ID"] == {"Ref": "UserPoolClient"}
    assert settings["AUTH_CLIENT_SECRET"] == {"Ref": "LoginClientSecret"}
    assert settings["REQUIRE_LOGIN"] == "true"  # never a condition: no setting turns the login off


def test_every_setting_the_template_passes_is_one_the_code_reads(resources: dict[str, Any]) -> None:
    known = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, str | AliasChoices), f"{field} is read from no environment variable"
        known |= {alias} if isinstance(alias, str) else {str(c) for c in alias.choices}
    entrypoint = (ROOT / "infra" / "entrypoint.sh").read_text()
    names = {e["Name"] for e in container_settings(resources)}
    names |= set(consumer(resources)["Environment"]["Variables"])
    names |= set(aggregator(resources)["Environment"]["Variables"])
    for name in names:
        if name.startswith("AUTH_"):
            assert name in entrypoint, name
        elif not name.startswith(("POWERTOOLS_", "STREAMLIT_", "MALLOC_")):  # read by libraries and glibc
            assert name in known, f"{name} is not a Settings alias (core/settings.py)"


def test_outputs_name_what_a_user_needs(template: dict[str, Any]) -> None:
    assert {"DashboardUrl", "StreamName", "BucketName", "TableName"} <= set(template["Outputs"])


def test_every_alarm_notifies_the_topic_and_its_threshold_is_a_documented_parameter(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 9
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["AlarmDescription"], name
        threshold = alarm["Threshold"]
        if threshold == 1:  # "not empty" and "any unhealthy task" need no tuning
            continue
        parameter = template["Parameters"][threshold["Ref"]]
        assert "Default" in parameter and parameter["Description"], name
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""


def test_tracing_is_off_by_default_and_only_then_may_the_consumer_write_traces(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    assert template["Parameters"]["EnableTracing"]["Default"] == "false"
    function = consumer(resources)
    assert function["Tracing"] == {"Fn::If": ["TracingEnabled", "Active", "PassThrough"]}
    variables = function["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACE_DISABLED"] == {"Fn::If": ["TracingEnabled", "false", "true"]}
    (policy,) = resources["ConsumerRole"]["Properties"]["Policies"]
    (tracing,) = [s["Fn::If"] for s in policy["PolicyDocument"]["Statement"] if "Fn::If" in s
                  and "xray:PutTraceSegments" in s["Fn::If"][1]["Action"]]
    assert tracing[0] == "TracingEnabled" and tracing[2] == {"Ref": "AWS::NoValue"}


def test_the_event_source_mapping_reports_its_own_record_counts(resources: dict[str, Any]) -> None:
    assert kinesis_event(resources)["MetricsConfig"] == {"Metrics": ["EventCount"]}


def test_images_expire_by_the_prefixes_the_code_writes_only_when_a_retention_is_set(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    rules = resources["Bucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [rule["Fn::If"] for rule in rules if "Fn::If" in rule]
    assert {condition for condition, _, _ in expiring} == {"ExpireImages"}
    assert all(otherwise == {"Ref": "AWS::NoValue"} for _, _, otherwise in expiring)
    prefixes = {rule["Prefix"] for _, rule, _ in expiring}
    written = {keys.original_key("0", "jpg"), keys.thumbnail_key("0"), keys.preview_key("0")}
    assert prefixes == {key.rsplit("/", 1)[0] + "/" for key in written}
    assert all(rule["ExpirationInDays"] == {"Ref": "ImageRetentionDays"} for _, rule, _ in expiring)
    assert template["Parameters"]["ImageRetentionDays"]["Default"] == 0


def test_event_records_expire_by_the_ttl_attribute_the_code_writes(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    table = resources["EventTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True}
    for function in (consumer(resources), aggregator(resources)):  # events, and the counters of them
        assert function["Environment"]["Variables"]["EVENT_RETENTION_DAYS"] == {"Ref": "EventRetentionDays"}
    settings = {e["Name"]: e.get("Value") for e in container_settings(resources)}
    assert settings["EVENT_RETENTION_DAYS"] == {"Ref": "EventRetentionDays"}  # uploads are events too
    assert template["Parameters"]["EventRetentionDays"]["Default"] == 0


def test_every_role_trusts_its_service_only_for_this_account(resources: dict[str, Any]) -> None:
    roles = of_type(resources, "AWS::IAM::Role")
    assert set(roles) == {"ConsumerRole", "AggregatorRole", "DashboardExecutionRole", "DashboardTaskRole"}
    for name, role in roles.items():
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}, name
        if trust["Principal"]["Service"] == "ecs-tasks.amazonaws.com":
            source = trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
            assert source.endswith(":ecs:${AWS::Region}:${AWS::AccountId}:*"), name


def conditional_statements(role: dict[str, Any], condition: str) -> list[dict[str, Any]]:
    (policy,) = role["Policies"]
    return [s["Fn::If"][1] for s in policy["PolicyDocument"]["Statement"]
            if "Fn::If" in s and s["Fn::If"][0] == condition and s["Fn::If"][2] == {"Ref": "AWS::NoValue"}]


def test_a_customer_key_on_the_stream_is_usable_through_kinesis_only_when_given(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    assert template["Parameters"]["StreamKmsKeyArn"]["Default"] == ""
    kinesis = {"Fn::Sub": "kinesis.${AWS::Region}.${AWS::URLSuffix}"}
    via_kinesis = {"StringEquals": {"kms:ViaService": kinesis}}
    (consumer,) = conditional_statements(resources["ConsumerRole"]["Properties"], "HasStreamKey")
    (dashboard,) = conditional_statements(resources["DashboardTaskRole"]["Properties"], "HasStreamKey")
    # The dashboard sends events and replays them; the consumer only reads.
    for statement, action in ((consumer, "kms:Decrypt"), (dashboard, ["kms:GenerateDataKey", "kms:Decrypt"])):
        assert statement["Action"] == action and statement["Resource"] == {"Ref": "StreamKmsKeyArn"}
        assert statement["Condition"] == via_kinesis


@pytest.mark.parametrize("role", ["consumer", "dashboard"])  # the dashboard retries and replays events
def test_extra_source_buckets_are_both_allowed_by_the_setting_and_readable_by_the_role(role: str) -> None:
    deployed = Template(Settings(), parameters={"SourceBuckets": "legacy-a,legacy-b"})
    settings = Settings(ALLOWED_SOURCE_BUCKETS=allowed_source_buckets(deployed, role))
    assert settings.allowed_source_buckets == {Settings().bucket_name, "legacy-a", "legacy-b"}
    statements = deployed.role_statements(role)
    readable = {r for s in statements if "s3:GetObject" in s.actions for r in s.resources}
    assert {"arn:aws:s3:::legacy-a/*", "arn:aws:s3:::legacy-b/*"} <= readable
    default = Template(Settings())
    assert allowed_source_buckets(default, role) == Settings().bucket_name
    assert not any(s.sid == "ReadSourceBuckets" for s in default.role_statements(role))


def allowed_source_buckets(template: Template, role: str) -> str:
    """ALLOWED_SOURCE_BUCKETS as the role's code gets it: the function's variable, or the dashboard's."""
    if role == "consumer":
        return template.function().environment["ALLOWED_SOURCE_BUCKETS"]
    (container,) = template.resource("DashboardTask")["Properties"]["ContainerDefinitions"]
    (value,) = [v["Value"] for v in container["Environment"] if v["Name"] == "ALLOWED_SOURCE_BUCKETS"]
    return str(template.resolve(value))


def test_with_a_certificate_the_load_balancer_logs_visitors_in_before_forwarding_anything(
    resources: dict[str, Any],
) -> None:
    listener = resources["HttpsListener"]
    assert listener["Condition"] == "HasCertificate"
    actions = listener["Properties"]["DefaultActions"]
    in_order = sorted(actions, key=lambda action: action["Order"])
    assert [action["Type"] for action in in_order] == ["authenticate-cognito", "forward"]
    config = in_order[0]["AuthenticateCognitoConfig"]
    assert config["UserPoolClientId"] == {"Ref": "UserPoolClient"}
    assert config["OnUnauthenticatedRequest"] == "authenticate"
    assert config["SessionTimeout"] == {"Ref": "LoginSessionSeconds"}
    to_cognito = resources["LoadBalancerToCognito"]
    assert to_cognito["Condition"] == "HasCertificate"
    assert to_cognito["Properties"]["GroupId"] == {"Ref": "LoadBalancerSecurityGroup"}
    assert to_cognito["Properties"]["FromPort"] == to_cognito["Properties"]["ToPort"] == 443


def test_the_dashboard_runs_on_a_read_only_root_with_the_images_volumes_writable(
    resources: dict[str, Any],
) -> None:
    container = dashboard_container(resources)
    assert container["ReadonlyRootFilesystem"] is True
    volumes = {v["Name"] for v in resources["DashboardTask"]["Properties"]["Volumes"]}
    mounts = {m["ContainerPath"]: m["SourceVolume"] for m in container["MountPoints"]}
    assert set(mounts.values()) == volumes
    dockerfile = (ROOT / "Dockerfile").read_text()
    (declared,) = re.findall(r"^VOLUME (\[.*\])$", dockerfile, re.MULTILINE)
    assert set(json.loads(declared)) == set(mounts)  # ECS copies a VOLUME's owner onto the mount


# ---------------------------------------------------------------- every configuration: HTTPS, behind a login

CERTIFICATE = {"DomainName": "images.example.com", "HostedZoneId": "Z0123456789ABC",
               "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}
PREFIX_LIST = {"CloudFrontPrefixListId": "pl-3b927c52"}
# Each way to deploy: with a certificate or behind CloudFront, each with MFA required or optional, and an
# allow-list of one address, a range, or everyone.
CONFIGURATIONS: dict[str, dict[str, str]] = {
    "CloudFront, one address, MFA": {**PREFIX_LIST, "AllowedIngressCidr": "203.0.113.7/32"},
    "CloudFront, a range, MFA optional": {**PREFIX_LIST, "AllowedIngressCidr": "198.51.100.0/24",
                                          "RequireMfa": "false"},
    "CloudFront, everyone, MFA": {**PREFIX_LIST, "AllowedIngressCidr": "0.0.0.0/0"},
    "certificate, one address, MFA optional": {**CERTIFICATE, "AllowedIngressCidr": "203.0.113.7/32",
                                               "RequireMfa": "false"},
    "certificate, everyone, MFA": {**CERTIFICATE, "AllowedIngressCidr": "0.0.0.0/0"},
}


class Deployed:
    """The template as CloudFormation would create it with `parameters`: the resources whose condition
    holds, their properties with every intrinsic resolved (local/template.py)."""

    def __init__(self, parameters: dict[str, str]) -> None:
        self.parameters = parameters
        self.template = Template(Settings(), parameters={"DashboardImageTag": "abc", **parameters})

    def exists(self, logical_id: str) -> bool:
        condition = self.template.resource(logical_id).get("Condition")
        return condition is None or self.template.condition(condition)

    def properties(self, logical_id: str) -> dict[str, Any]:
        assert self.exists(logical_id), f"{logical_id} is not created with {self.parameters}"
        return as_object(self.template.resolve(self.template.resource(logical_id)["Properties"]))

    def environment(self) -> dict[str, str]:
        (container,) = self.properties("DashboardTask")["ContainerDefinitions"]
        entries = container["Environment"] + container["Secrets"]
        return {e["Name"]: e.get("Value", e.get("ValueFrom")) for e in entries}

    def output(self, name: str) -> Any:
        return self.template.resolve(self.template.document["Outputs"][name]["Value"])

    @property
    def with_certificate(self) -> bool:
        return "CertificateArn" in self.parameters


@pytest.fixture(params=CONFIGURATIONS, ids=list(CONFIGURATIONS))
def deployed(request: pytest.FixtureRequest) -> Deployed:
    return Deployed(CONFIGURATIONS[request.param])


def test_every_configuration_is_one_cloudformation_accepts(deployed: Deployed) -> None:
    assert deployed.template.broken_rules() == []


def test_the_load_balancer_answers_the_internet_over_https_or_cloudfront_only(deployed: Deployed) -> None:
    ingress = deployed.properties("LoadBalancerSecurityGroup")["SecurityGroupIngress"]
    (http,) = deployed.properties("HttpListener")["DefaultActions"]
    if deployed.with_certificate:
        assert {(rule["FromPort"], rule["CidrIp"]) for rule in ingress} == {
            (80, deployed.parameters["AllowedIngressCidr"]), (443, deployed.parameters["AllowedIngressCidr"])}
        assert http["Type"] == "redirect" and http["RedirectConfig"]["Protocol"] == "HTTPS"
        https = deployed.properties("HttpsListener")
        assert https["Protocol"] == "HTTPS" and https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
        assert not deployed.exists("Distribution") and not deployed.exists("OriginVerifiedRule")
        return
    (rule,) = ingress  # CloudFront's origin-facing servers, nobody else
    assert rule["FromPort"] == rule["ToPort"] == 80 and "CidrIp" not in rule
    assert rule["SourcePrefixListId"] == deployed.parameters["CloudFrontPrefixListId"]
    assert http["Type"] == "fixed-response" and http["FixedResponseConfig"]["StatusCode"] == "403"
    forwarded = deployed.properties("OriginVerifiedRule")
    (header,) = [c["HttpHeaderConfig"] for c in forwarded["Conditions"] if c["Field"] == "http-header"]
    (origin,) = deployed.properties("Distribution")["DistributionConfig"]["Origins"]
    (sent,) = origin["OriginCustomHeaders"]
    assert (header["HttpHeaderName"], header["Values"]) == (sent["HeaderName"], [sent["HeaderValue"]])
    assert sent["HeaderValue"].startswith("{{resolve:secretsmanager:OriginVerifySecret:")
    assert not deployed.exists("HttpsListener")


def test_browsers_reach_the_dashboard_only_over_https(deployed: Deployed) -> None:
    host = "images.example.com" if deployed.with_certificate else "Distribution.DomainName"
    assert deployed.output("DashboardUrl") == f"https://{host}"
    if deployed.with_certificate:
        return
    config = deployed.properties("Distribution")["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "CacheBehaviors" not in config  # no path served any other way
    assert "ViewerCertificate" not in config  # CloudFront's own certificate, for its *.cloudfront.net name
    # WebSockets pass with every viewer header; the Host is the one Streamlit compares with the Origin.
    assert config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == "216adef6-5c7f-47e4-b989-5492eafa07d3"


def test_every_configuration_requires_the_login_on_its_https_address(deployed: Deployed) -> None:
    host = "images.example.com" if deployed.with_certificate else "Distribution.DomainName"
    settings = deployed.environment()
    assert settings["REQUIRE_LOGIN"] == "true"
    assert settings["AUTH_REDIRECT_URI"] == f"https://{host}/oauth2callback"
    assert settings["LOGOUT_URL"].endswith(f"&logout_uri=https://{host}/")
    assert {"AUTH_CLIENT_ID", "AUTH_CLIENT_SECRET", "AUTH_SERVER_METADATA_URL"} <= set(settings)
    client = deployed.properties("UserPoolClient")
    assert settings["AUTH_REDIRECT_URI"] in client["CallbackURLs"]
    assert all(url.startswith("https://") for url in client["CallbackURLs"] + client["LogoutURLs"])
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    pool = deployed.properties("UserPool")
    required = deployed.parameters.get("RequireMfa", "true") == "true"
    assert pool["MfaConfiguration"] == ("ON" if required else "OPTIONAL")
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_allow_list_is_an_extra_applied_where_the_visitor_connects(deployed: Deployed) -> None:
    cidr = deployed.parameters["AllowedIngressCidr"]
    if deployed.with_certificate:  # the security group: checked in the test above
        assert not deployed.exists("AllowListFunction")
        return
    config = deployed.properties("Distribution")["DistributionConfig"]
    associations = config["DefaultCacheBehavior"].get("FunctionAssociations", [])
    if cidr == "0.0.0.0/0":
        assert associations == [] and not deployed.exists("AllowListFunction")
        assert config["IPV6Enabled"] is True
        return
    assert associations == [{"EventType": "viewer-request",
                              "FunctionARN": "AllowListFunction.FunctionMetadata.FunctionARN"}]
    assert config["IPV6Enabled"] is False  # the list is IPv4: an IPv6 viewer would never match it


def test_cloudfront_adds_the_same_security_headers_as_the_app(deployed: Deployed) -> None:
    if deployed.with_certificate:
        return  # no CloudFront: the app's own headers (tests/dashboard/test_login_gate.py)
    assert deployed.properties("Distribution")["DistributionConfig"]["DefaultCacheBehavior"][
        "ResponseHeadersPolicyId"] == "DashboardResponseHeaders"
    config = deployed.properties("DashboardResponseHeaders")["ResponseHeadersPolicyConfig"]
    headers = config["SecurityHeadersConfig"]
    hsts = headers["StrictTransportSecurity"]
    expected = SECURITY_HEADERS["strict-transport-security"]
    assert f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains" == expected
    assert hsts["IncludeSubdomains"] is True
    assert headers["FrameOptions"]["FrameOption"] == SECURITY_HEADERS["x-frame-options"]
    policy = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert policy == SECURITY_HEADERS["content-security-policy"]
    assert "ContentTypeOptions" in headers and SECURITY_HEADERS["x-content-type-options"] == "nosniff"
    assert all(header["Override"] for header in headers.values())


@pytest.mark.parametrize(("parameters", "refusal"), [
    ({"AllowedIngressCidr": "0.0.0.0/0"}, "CloudFrontPrefixListId"),
    ({**PREFIX_LIST, "AllowedIngressCidr": "0.0.0.0/0", "DomainName": "images.example.com"},
     "CertificateArn"),
], ids=["CloudFront without its prefix list", "a domain without a certificate"])
def test_a_configuration_that_would_not_be_safe_is_refused_at_deploy_time(
    parameters: dict[str, str], refusal: str
) -> None:
    (broken,) = Deployed(parameters).template.broken_rules()
    assert refusal in broken


def test_no_parameter_or_condition_can_turn_the_login_off(template: dict[str, Any]) -> None:
    assert not {"EnableLogin"} & set(template["Parameters"])
    text = json.dumps(template["Conditions"]) + json.dumps(template["Rules"])
    assert "Login" not in text and "REQUIRE_LOGIN" not in text


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.parametrize(("cidr", "viewers"), [
    ("203.0.113.7/32", {"203.0.113.7": True, "203.0.113.8": False, "2001:db8::1": False}),
    ("198.51.100.0/24", {"198.51.100.0": True, "198.51.100.255": True, "198.51.101.1": False,
                         "198.51.99.255": False}),
    ("128.0.0.0/1", {"200.1.2.3": True, "127.0.0.1": False}),  # above 2^31, where bit operators fail
])
def test_the_cloudfront_allow_list_admits_exactly_its_network(
    cidr: str, viewers: dict[str, bool], tmp_path: Path
) -> None:
    """The function's JavaScript, run by Node as CloudFront would run it on a viewer request."""
    function = Deployed({**PREFIX_LIST, "AllowedIngressCidr": cidr}).properties("AllowListFunction")
    code = function["FunctionCode"]
    calls = "\n".join(f"console.log(JSON.stringify(handler({{viewer: {{ip: {json.dumps(ip)}}}, "
                      f"request: {{uri: '/'}}}})));" for ip in viewers)
    (tmp_path / "function.js").write_text(code + calls)
    result = subprocess.run(["node", str(tmp_path / "function.js")], capture_output=True, text=True,
                            timeout=60, check=True)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert {ip: answer == {"uri": "/"} for ip, answer in zip(viewers, answers, strict=True)} == viewers
    refused = {"statusCode": 403, "statusDescription": "Forbidden"}
    assert all(answer in ({"uri": "/"}, refused) for answer in answers)


# ---------------------------------------------------------------- alarms, Cognito, data, the dashboard's task

def test_an_alarm_fires_when_no_dashboard_task_is_healthy_even_when_none_reports(
    resources: dict[str, Any],
) -> None:
    alarm = resources["NoHealthyTaskAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/ApplicationELB", "HealthyHostCount")
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        "LoadBalancer": {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]},
        "TargetGroup": {"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]}}
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Minimum", "LessThanThreshold", 1)
    assert alarm["TreatMissingData"] == "breaching"  # tasks that never start report nothing
    assert "${NoHealthyTaskAlarm.Arn}" in resources["OperationsDashboard"]["Properties"]["DashboardBody"][
        "Fn::Sub"][0]


def test_the_user_pool_survives_the_stack_and_nobody_can_probe_who_has_an_account(
    resources: dict[str, Any],
) -> None:
    pool = resources["UserPool"]
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    # Protection makes a delete fail; Retain lets the stack's deletion finish without the pool.
    assert pool["DeletionPolicy"] == pool["UpdateReplacePolicy"] == "Retain"
    assert pool["Properties"]["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert resources["UserPoolClient"]["Properties"]["PreventUserExistenceErrors"] == "ENABLED"


def test_the_operators_group_is_the_one_the_dashboard_reads_and_is_kept_with_the_pool(
    resources: dict[str, Any],
) -> None:
    group = resources["OperatorsGroup"]
    assert group["Properties"] == {"UserPoolId": {"Ref": "UserPool"}, "GroupName": OPERATORS_GROUP,
                                   "Description": group["Properties"]["Description"]}
    assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Retain" and "Condition" not in group


def test_mfa_is_a_parameter_required_by_default(template: dict[str, Any], resources: dict[str, Any]) -> None:
    parameter = template["Parameters"]["RequireMfa"]
    assert parameter["Default"] == "true" and parameter["AllowedValues"] == ["true", "false"]
    mfa = resources["UserPool"]["Properties"]["MfaConfiguration"]
    assert mfa == {"Fn::If": ["MfaRequired", "ON", "OPTIONAL"]}
    assert template["Conditions"]["MfaRequired"] == {"Fn::Equals": [{"Ref": "RequireMfa"}, "true"]}


def test_the_table_cannot_be_deleted_by_mistake(resources: dict[str, Any]) -> None:
    assert resources["EventTable"]["Properties"]["DeletionProtectionEnabled"] is True


def test_the_dashboard_role_writes_only_the_prefixes_of_its_keys(resources: dict[str, Any]) -> None:
    allowed = allowed_actions(resources["DashboardTaskRole"]["Properties"])
    written = [keys.original_key("0", "jpg"), keys.thumbnail_key("0"), keys.preview_key("0")]
    assert allowed["s3:PutObject"] == [
        {"Fn::Sub": "${Bucket.Arn}/" + key.rsplit("/", 1)[0] + "/*"} for key in written
    ]
    # An s3:// event may name any key; the SourceBuckets' too (test_extra_source_buckets_are_both_…).
    assert allowed["s3:GetObject"][0] == {"Fn::Sub": "${Bucket.Arn}/*"}
    assert "s3:DeleteObject" not in allowed


def test_the_dashboard_task_drops_every_linux_capability(resources: dict[str, Any]) -> None:
    linux = dashboard_container(resources)["LinuxParameters"]
    assert linux == {"Capabilities": {"Drop": ["ALL"]}}
