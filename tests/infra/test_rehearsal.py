"""`make rehearse`: infra/template.yaml, expanded by SAM's translator as `sam deploy` does, created as a stack
in the local AWS's CloudFormation for the defaults and with every option on; the consumer, the aggregator and
the dashboard's reads run against what the stack created, under the policies IAM holds for the roles it
created; the stack updated with a changed parameter, then deleted (local/rehearsal/).

Each parameter set is rehearsed once, in an emulator of its own (the module's fixture); each test judges one
behaviour of what was recorded. What the local CloudFormation cannot create is listed in
local/rehearsal/unmodelled.py, with what checks it instead.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import asdict
from typing import Any

import pytest

from core.models import EventStatus
from core.settings import Settings
from local.rehearsal.expand import expand
from local.rehearsal.parameters import EXISTING_STREAM, PARAMETER_SETS, SOURCE_BUCKET
from local.rehearsal.rehearse import Rehearsal, rehearse
from local.rehearsal.unmodelled import BY_TYPE, IGNORED, UNMODELLED, deployable
from local.strict.iam import policy_statements
from local.template import ACCOUNT, Template
from tests.infra.paths import ROOT

REGION = "us-east-1"


class Rehearsals:
    """Each parameter set rehearsed when a test first asks for it, then kept; so is a failure, so one set's
    failure neither hides the other's outcome nor runs again for every test."""

    def __init__(self) -> None:
        self._done: dict[str, Rehearsal | Exception] = {}

    def __getitem__(self, name: str) -> Rehearsal:
        if name not in self._done:
            (parameter_set,) = [s for s in PARAMETER_SETS if s.name == name]
            try:
                self._done[name] = rehearse(parameter_set)  # points this process's boto3 at its own emulator
            except Exception as exc:
                self._done[name] = exc
        done = self._done[name]
        if isinstance(done, Exception):
            raise done
        return done


@pytest.fixture(scope="module")
def rehearsals() -> Rehearsals:
    return Rehearsals()


@pytest.fixture(params=[parameter_set.name for parameter_set in PARAMETER_SETS])
def rehearsal(request: pytest.FixtureRequest, rehearsals: Rehearsals) -> Rehearsal:
    return rehearsals[request.param]


def sids(documents: list[Any]) -> set[str]:
    return {statement.sid for document in documents for statement in policy_statements(document)}


def resources_named(documents: list[Any], sid: str) -> set[str]:
    return {resource for document in documents for statement in policy_statements(document)
            if statement.sid == sid for resource in statement.resources}


# --- what the local CloudFormation can create, and what stands in for the rest ----------------------------


@pytest.fixture(scope="module")
def expanded() -> dict[str, Any]:
    return expand("s3://artifacts/lambda_consumer.zip", REGION)


def test_every_type_the_template_holds_is_created_locally_or_listed_with_what_covers_it(
    expanded: dict[str, Any],
) -> None:
    from moto.cloudformation.parsing import get_model_map

    types = {resource["Type"] for resource in expanded["Resources"].values()}
    # Listed and not modelled, exactly: a type moto starts to model, or the template drops, leaves the list.
    assert types - set(get_model_map()) == set(BY_TYPE)
    assert all(unmodelled.covered_by for unmodelled in UNMODELLED)


def test_each_property_listed_as_not_applied_is_still_one_moto_does_not_read() -> None:
    from moto.cloudformation.parsing import get_model_map

    for ignored in IGNORED:
        create = inspect.getsource(get_model_map()[ignored.cfn_type].create_from_cloudformation_json)
        read = [name for name in ignored.properties if f'"{name}"' in create]
        assert read == [], f"moto now reads {read} of {ignored.cfn_type}: take them off the list"


def test_nothing_in_the_template_created_names_a_resource_taken_out(expanded: dict[str, Any]) -> None:
    made = deployable(expanded, "image-processor", REGION, ACCOUNT)
    text = json.dumps(made.document)
    named = set(re.findall(r'"Ref": "([^"]+)"', text)) | set(re.findall(r'"Fn::GetAtt": \["([^"]+)"', text))
    named |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
    assert made.left_out and named & set(made.left_out) == set()
    assert set(made.left_out) == {name for name, r in expanded["Resources"].items() if r["Type"] in BY_TYPE}


def test_the_docs_list_each_type_not_deployed_with_what_covers_it() -> None:
    deploying = (ROOT / "docs" / "deploying.md").read_text()
    section = deploying.split("## What was not deployed", 1)[1].split("\n## ", 1)[0]
    assert [u.cfn_type for u in UNMODELLED if f"`{u.cfn_type}`" not in section] == []
    for ignored in IGNORED:
        named = [f"`{name}`" in section for name in (ignored.cfn_type, *ignored.properties)]
        assert all(named), f"{ignored.cfn_type}: {ignored.properties}"
    assert "docs/deploying.md#what-was-not-deployed" in (ROOT / "README.md").read_text()


# --- created ------------------------------------------------------------------------------------------------


def test_the_stack_is_created_with_every_resource_its_conditions_keep(rehearsal: Rehearsal) -> None:
    assert rehearsal.created == "CREATE_COMPLETE"
    template = Template(Settings(), document=rehearsal.expanded, parameters=rehearsal.parameters)
    assert template.broken_rules() == []  # CloudFormation would take these parameters (moto reads no Rules)
    kept = {name for name, resource in rehearsal.expanded["Resources"].items()
            if name not in rehearsal.left_out
            and ("Condition" not in resource or template.condition(resource["Condition"]))}
    assert set(rehearsal.deployed.resources) == kept


def test_each_roles_calls_are_decided_by_the_policies_iam_holds_for_the_role_the_stack_created(
    rehearsal: Rehearsal,
) -> None:
    held = rehearsal.after_update.policies
    granted = rehearsal.state["grants"]
    for role, documents in held.items():
        read = [asdict(statement) for document in documents for statement in policy_statements(document)]
        assert granted[role] == json.loads(json.dumps(read)), role
    stream = rehearsal.deployed.outputs["StreamArn"]
    assert resources_named(held["consumer"], "ReadStream") == {stream}
    assert resources_named(held["dashboard"], "SendEvents") == {stream}


def test_the_functions_and_the_dashboard_name_the_resources_the_stack_outputs(rehearsal: Rehearsal) -> None:
    outputs = rehearsal.deployed.outputs
    names = {"BUCKET_NAME": outputs["BucketName"], "TABLE_NAME": outputs["TableName"],
             "STREAM_NAME": outputs["StreamName"], "FAILURE_QUEUE_NAME": outputs["FailureQueueName"]}
    dashboard = names | {"CONSUMER_FUNCTION_NAME": outputs["ConsumerFunctionName"],
                         "CONSUMER_LOG_GROUP": outputs["ConsumerLogGroup"], "AWS_REGION": REGION}
    assert rehearsal.deployed.consumer.environment.items() >= names.items()
    assert rehearsal.deployed.dashboard_environment.items() >= dashboard.items()
    assert rehearsal.deployed.aggregator.environment["TABLE_NAME"] == outputs["TableName"]


# --- the pipeline, under the created roles ------------------------------------------------------------------


def expected_statuses(rehearsal: Rehearsal) -> list[EventStatus]:
    """Three samples stored, a text and a record that is not JSON failed, (the other bucket's image stored),
    the upload stored."""
    stored, failed = EventStatus.STORED, EventStatus.FAILED
    other_bucket = [stored] if rehearsal.parameter_set.source_bucket else []
    return [stored, stored, stored, failed, failed, *other_bucket, stored]


def test_events_sent_from_the_dashboard_are_stored_and_counted_with_no_access_denied(
    rehearsal: Rehearsal,
) -> None:
    run = rehearsal.run
    found = [run.found[event_id].status if event_id in run.found else None for event_id in run.sent]
    assert found == expected_statuses(rehearsal)
    assert run.counted == len(run.sent)
    assert rehearsal.state["denials"] == []  # over the whole rehearsal, every role


def test_the_dashboards_pages_read_what_the_stack_created(rehearsal: Rehearsal) -> None:
    run, outputs = rehearsal.run, rehearsal.deployed.outputs
    assert [check for check in run.health if not check.ok] == []
    checked = ("BucketName", "TableName", "StreamName", "ConsumerLogGroup", "FailureQueueName")
    assert {check.name for check in run.health} == {outputs[name] for name in checked}
    assert run.queue_depth == 0
    assert run.thumbnail_link_status == 200
    assert run.consumer_log_lines > 0 and outputs["ConsumerLogGroup"] in run.log_groups
    assert set(run.recent) == set(run.sent)
    assert set(run.failed) == {event_id for event_id in run.sent if run.found[event_id].status == "failed"}


def test_with_the_defaults_nothing_optional_is_granted_and_cloudfront_serves_the_login(
    rehearsals: Rehearsals,
) -> None:
    rehearsal = rehearsals["defaults"]
    deployed = rehearsal.deployed
    assert sids(deployed.policies["consumer"]) & {"DecryptStream", "ReadSourceBuckets", "Tracing"} == set()
    assert sids(deployed.policies["dashboard"]) & {"StreamKey", "ReadSourceBuckets"} == set()
    assert deployed.consumer.environment["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert set(deployed.log_retention_days.values()) == {30}
    # No certificate: CloudFront (a stand-in here) in front, the load balancer forwarding only what it sends.
    assert rehearsal.left_out["Distribution"] == "AWS::CloudFront::Distribution"
    assert "OriginVerifiedRule" in deployed.resources and "HttpsListener" not in deployed.resources
    cloudfront = BY_TYPE["AWS::CloudFront::Distribution"].attributes["DomainName"]
    assert deployed.dashboard_environment["REQUIRE_LOGIN"] == "true"
    assert deployed.dashboard_environment["AUTH_REDIRECT_URI"] == f"https://{cloudfront}/oauth2callback"
    assert deployed.outputs["DashboardUrl"] == f"https://{cloudfront}"


def test_with_every_option_on_each_option_reaches_what_it_configures(
    rehearsals: Rehearsals,
) -> None:
    rehearsal = rehearsals["every option on"]
    deployed, parameters = rehearsal.deployed, rehearsal.parameters
    assert deployed.outputs["StreamName"] == EXISTING_STREAM
    assert deployed.consumer.mapping["StartingPosition"] == "TRIM_HORIZON"
    consumer, dashboard = deployed.policies["consumer"], deployed.policies["dashboard"]
    assert resources_named(consumer, "DecryptStream") == {parameters["StreamKmsKeyArn"]}
    assert resources_named(dashboard, "StreamKey") == {parameters["StreamKmsKeyArn"]}
    for role in (consumer, dashboard):  # the dashboard retries and replays events as the consumer would
        assert resources_named(role, "ReadSourceBuckets") == {f"arn:aws:s3:::{SOURCE_BUCKET}/*"}
    source_buckets = deployed.dashboard_environment["ALLOWED_SOURCE_BUCKETS"]
    assert source_buckets == deployed.consumer.environment["ALLOWED_SOURCE_BUCKETS"]
    assert "Tracing" in sids(consumer)
    assert deployed.consumer.environment["POWERTOOLS_TRACE_DISABLED"] == "false"
    assert deployed.consumer.environment["EVENT_RETENTION_DAYS"] == "30"
    assert set(deployed.log_retention_days.values()) == {14}
    # A certificate of one's own: the load balancer serves HTTPS and the login itself, no CloudFront.
    assert {"HttpsListener", "DnsRecord"} <= set(deployed.resources)
    assert "OriginVerifiedRule" not in deployed.resources  # the rule that admits CloudFront's requests
    assert deployed.dashboard_environment["REQUIRE_LOGIN"] == "true"
    assert deployed.dashboard_environment["AUTH_REDIRECT_URI"] == "https://images.example.com/oauth2callback"
    assert deployed.outputs["DashboardUrl"] == "https://images.example.com"


# --- updated ------------------------------------------------------------------------------------------------


def test_the_pipeline_runs_on_after_an_update(rehearsal: Rehearsal) -> None:
    assert rehearsal.updated == "UPDATE_COMPLETE"
    follow_up = rehearsal.follow_up
    (event_id,) = follow_up.sent
    assert follow_up.found[event_id].status == EventStatus.STORED
    assert follow_up.counted == rehearsal.run.counted + 1


def test_an_update_that_sets_an_event_retention_makes_new_events_expire(
    rehearsals: Rehearsals,
) -> None:
    rehearsal = rehearsals["defaults"]
    assert rehearsal.parameter_set.changed == {"EventRetentionDays": "7"}
    after = rehearsal.after_update
    for variables in (after.consumer.environment, after.aggregator.environment, after.dashboard_environment):
        assert variables["EVENT_RETENTION_DAYS"] == "7"
    assert rehearsal.follow_up_expires


def test_an_update_that_turns_tracing_off_takes_its_grant_and_its_switch_away(
    rehearsals: Rehearsals,
) -> None:
    rehearsal = rehearsals["every option on"]
    assert rehearsal.parameter_set.changed == {"EnableTracing": "false"}
    after = rehearsal.after_update
    assert "Tracing" not in sids(after.policies["consumer"])
    assert after.consumer.environment["POWERTOOLS_TRACE_DISABLED"] == "true"


# --- deleted ------------------------------------------------------------------------------------------------


def test_deleting_the_stack_keeps_exactly_what_is_marked_retain(rehearsal: Rehearsal) -> None:
    assert rehearsal.deleted == "DELETE_COMPLETE"
    retained = {name for name, resource in rehearsal.expanded["Resources"].items()
                if resource.get("DeletionPolicy") == "Retain" and name not in rehearsal.left_out}
    assert retained == {"Bucket", "EventTable"}  # and the user pool, which the local stack has not
    assert {name for name, kept in rehearsal.remaining.items() if kept} == retained
    asked = {"FailureQueue", "ConsumerFunction", "AggregatorFunction", "ConsumerRole", "ConsumerLogGroup"}
    assert asked <= set(rehearsal.remaining)


def test_deleting_the_stack_leaves_the_producers_existing_stream(rehearsals: Rehearsals) -> None:
    assert rehearsals["every option on"].existing_stream_kept is True
    assert rehearsals["defaults"].remaining["Stream"] is False  # the stack's own stream goes with it
