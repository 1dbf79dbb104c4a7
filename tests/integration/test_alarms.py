"""The template's alarms and dashboard watch metrics that exist: after SAM's transform (as `sam deploy` sends
it), every alarm is put into the local CloudWatch, and each metric an alarm or a dashboard widget names must
be one a real handler run wrote as EMF, or one AWS documents for that service, with our resources as its
dimensions. A misspelt metric or dimension would otherwise alarm never, silently."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from core.aws import AwsClients
from lambda_aggregator import handler as aggregator
from lambda_consumer import handler as consumer
from local.event_source.table_stream import TableStreamSource
from local.rehearsal.expand import expand
from local.template import Template
from tests.awscalls import ThrottleWritesOf
from tests.factories import event_id, image_event, jpeg_in_bucket, lambda_context, put_and_read_back

pytestmark = pytest.mark.usefixtures("handler_aws")

Metric = tuple[str, str, frozenset[tuple[str, str]]]  # namespace, name, dimensions (name, value)

# What AWS publishes, by namespace and metric, with the dimensions we watch them by. From the services'
# CloudWatch metric references: Lambda (function metrics, event source mapping metrics), SQS, DynamoDB,
# Application Load Balancer.
AWS_METRICS: dict[tuple[str, str], set[frozenset[str]]] = {
    ("AWS/Lambda", name): {frozenset({"FunctionName"})}
    for name in ("IteratorAge", "Errors", "Throttles", "Invocations", "Duration", "ConcurrentExecutions")
} | {
    ("AWS/Lambda", name): {frozenset({"EventSourceMappingUUID"})}
    for name in ("PolledEventCount", "InvokedEventCount", "FilteredOutEventCount", "FailedInvokeEventCount",
                 "DroppedEventCount", "OnFailureDestinationDeliveredEventCount", "DeletedEventCount")
} | {
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): {frozenset({"QueueName"})},
    ("AWS/DynamoDB", "ReadThrottleEvents"): {frozenset({"TableName"})},
    ("AWS/DynamoDB", "WriteThrottleEvents"): {frozenset({"TableName"})},
    ("AWS/DynamoDB", "TransactionConflict"): {frozenset({"TableName"})},
    ("AWS/DynamoDB", "ConsumedWriteCapacityUnits"): {frozenset({"TableName"})},
} | {
    ("AWS/ApplicationELB", name): {frozenset({"LoadBalancer"}), frozenset({"LoadBalancer", "TargetGroup"})}
    for name in ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
} | {
    ("AWS/ApplicationELB", name): {frozenset({"LoadBalancer", "TargetGroup"})}
    for name in ("UnHealthyHostCount", "HealthyHostCount")
}
# Which of our resources each AWS dimension must name.
OUR_RESOURCES: dict[str, list[dict[str, Any]]] = {
    "FunctionName": [{"Ref": "ConsumerFunction"}, {"Ref": "AggregatorFunction"}],
    "EventSourceMappingUUID": [{"Ref": "ConsumerFunctionStream"}],  # the mapping SAM makes from the event
    "QueueName": [{"Fn::GetAtt": ["FailureQueue", "QueueName"]}],
    "TableName": [{"Ref": "EventTable"}],
    "LoadBalancer": [{"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]}],
    "TargetGroup": [{"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]}],
}


def translated() -> dict[str, Any]:
    """infra/template.yaml after SAM's transform: plain CloudFormation, the function's mapping included."""
    return expand("s3://artifacts/consumer.zip", "us-east-1")


@pytest.fixture(scope="module")
def template(moto_endpoint: str) -> Template:
    from core.settings import Settings

    return Template(Settings(), document=translated())


def of_type(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    resources = template.document["Resources"]
    return {name: template.resolve(r["Properties"]) for name, r in resources.items() if r["Type"] == kind}


@pytest.fixture()
def emitted(aws: AwsClients, capsys: pytest.CaptureFixture[str]) -> set[Metric]:
    """The metrics real handler runs write: the consumer's on a batch with a stored, a failed and a retried
    record, then the aggregator's on the table's stream that batch wrote."""
    good = image_event(jpeg_in_bucket(aws, "alarmed", "teal"))
    sent, event = put_and_read_back(aws, [good, b"not json", image_event("s3://elsewhere/x.jpg"), good])
    ThrottleWritesOf(consumer.aws_clients(), event_id(sent[-1]))
    capsys.readouterr()
    assert consumer.handler(event, lambda_context())["batchItemFailures"]
    (changes,) = TableStreamSource(aws, in_process=True).pending()
    aggregator.handler({"Records": changes}, lambda_context(aws.settings.aggregator_function_name))
    return set(emf_metrics(capsys.readouterr().out))


def emf_metrics(output: str) -> Iterator[Metric]:
    """Each (namespace, metric, dimensions) in the EMF lines of `output`, as CloudWatch Logs extracts them."""
    for line in output.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, str(document[name])) for name in dimension_set)
                for metric in directive["Metrics"]:
                    yield directive["Namespace"], metric["Name"], dimensions


def documented(template: Template) -> set[Metric]:
    values = {name: [str(template.resolve(ref)) for ref in refs] for name, refs in OUR_RESOURCES.items()}
    return {
        (namespace, name, frozenset(zip(sorted(names), chosen, strict=True)))
        for (namespace, name), dimension_sets in AWS_METRICS.items() for names in dimension_sets
        for chosen in itertools.product(*(values[d] for d in sorted(names)))
    }


def alarm_metrics(alarm: dict[str, Any]) -> Iterator[Metric]:
    """The metrics one alarm reads: its own, or those of its metric math."""
    stats = [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]
    if "MetricName" in alarm:
        stats.append(alarm)
    for stat in stats:
        dimensions = frozenset((d["Name"], str(d["Value"])) for d in stat.get("Dimensions", []))
        yield stat["Namespace"], stat["MetricName"], dimensions


def widget_metrics(body: dict[str, Any]) -> Iterator[Metric]:
    """The metrics the dashboard graphs, written out in full: [namespace, name, dim, value, …, {options}]."""
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []):
            fields = [item for item in row if not isinstance(item, dict)]
            if fields:
                pairs = zip(fields[2::2], fields[3::2], strict=True)
                yield fields[0], fields[1], frozenset(pairs)


def test_every_alarm_is_accepted_by_cloudwatch_and_notifies_the_topic(
    aws: AwsClients, template: Template
) -> None:
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 12
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [template.resolve({"Ref": "AlarmTopic"})], name
        aws.cloudwatch.put_metric_alarm(AlarmName=name, **alarm)
    stored = aws.cloudwatch.describe_alarms(MaxRecords=100)["MetricAlarms"]
    assert {a["AlarmName"] for a in stored} == set(alarms)


def test_every_alarm_watches_a_metric_the_handler_or_aws_emits(
    template: Template, emitted: set[Metric]
) -> None:
    known = emitted | documented(template)
    for name, alarm in of_type(template, "AWS::CloudWatch::Alarm").items():
        watched = set(alarm_metrics(alarm))
        assert watched, f"{name} watches no metric"
        assert watched <= known, f"{name} watches metrics nothing emits: {watched - known}"


def test_the_handlers_metrics_include_failures_by_kind(emitted: set[Metric]) -> None:
    kinds = {dict(dims).get("FailureKind") for namespace, name, dims in emitted if name == "EventsFailed"}
    assert {"InvalidEvent", "FetchRefused"} <= kinds
    retried = {dict(dims).get("FailureKind") for namespace, name, dims in emitted if name == "RecordsRetried"}
    assert "StoreUnavailable" in retried


def test_the_dashboard_graphs_only_metrics_that_exist_and_lists_every_alarm(
    template: Template, emitted: set[Metric]
) -> None:
    (dashboard,) = of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(dashboard["DashboardBody"])
    graphed = set(widget_metrics(body))
    assert len(graphed) > 20
    assert graphed <= emitted | documented(template), graphed - emitted - documented(template)
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert set(alarm_widget["properties"]["alarms"]) == {f"{name}.Arn" for name in alarms}


def test_the_dashboards_searches_name_the_handlers_failure_kinds(template: Template) -> None:
    (dashboard,) = of_type(template, "AWS::CloudWatch::Dashboard").values()
    searches = re.findall(r"SEARCH\('\{([^}]*)\} MetricName=\\\"(\w+)\\\"", dashboard["DashboardBody"])
    assert searches == [("ImageProcessor,FailureKind,service", "EventsFailed"),
                        ("ImageProcessor,FailureKind,service", "RecordsRetried")]
