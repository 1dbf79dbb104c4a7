"""Where both functions' own metrics go: CloudWatch's Embedded Metric Format, one namespace, each function's
name as the service dimension (two stacks in one account never mix). Light on purpose: the aggregator
imports it without the consumer's imaging."""

from __future__ import annotations

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

NAMESPACE = "ImageProcessor"
SERVICE_DIMENSION = "service"  # Powertools' own dimension, set to the function's name


def provider(function_name: str, request_id: str, message: str) -> AmazonCloudWatchEMFProvider:
    """An empty metric set for one invocation. Its log line also names the invocation (metadata, not a
    dimension: CloudWatch keeps it in the log only), so the log viewer shows it with its other lines."""
    made = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=function_name)
    made.add_metadata(key="message", value=message)
    made.add_metadata(key="function_request_id", value=request_id)
    return made
