"""AWS adapters' shared parts: the one client factory, the one translation of botocore's errors, retries
with backoff, request batching, and the registry of the stack's resources."""

from core.aws.clients import AwsClients

__all__ = ["AwsClients"]
