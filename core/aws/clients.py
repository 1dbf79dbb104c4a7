"""The one AWS client factory. Entry points build it once and pass it in.

Endpoints come from boto3's own `AWS_ENDPOINT_URL` (and the per-service variants); credentials from
boto3's default chain. Nothing here reads either.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

from core.errors import CredentialsEnding
from core.settings import Settings

if TYPE_CHECKING:  # the stubs are a dev dependency; nothing here needs them at run time
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sts import STSClient


# S3 refuses Signature Version 2 for buckets created since June 2020, yet botocore still presigns with
# it in us-east-1, us-west-2 and eu-west-1, and on the global endpoint (a bucket elsewhere answers that
# with a redirect a browser cannot follow). SigV4 on the bucket's regional virtual-hosted endpoint works
# in every region; botocore keeps path style for an endpoint that is an IP address (the emulator).
S3_CONFIG = Config(
    signature_version="s3v4", s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}
)


# A Gallery page queries every partition of the time index at once (core.store.keys.TIME_SHARDS, which a
# test holds to this), each on a connection of its own.
QUERIES_AT_ONCE = 32


def client_config(settings: Settings) -> Config:
    """Retries, timeouts and a connection pool sized so every fetch of a batch (s3:// sources), every worker,
    and every query of a Gallery page has its own connection."""
    return Config(
        region_name=settings.region,
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=5,
        read_timeout=30,
        # A batch's GetObjects (FETCH_CONCURRENCY) and its workers' puts go on at once.
        max_pool_connections=max(QUERIES_AT_ONCE, settings.fetch_concurrency + settings.worker_count),
        tcp_keepalive=True,
    )


@functools.cache
def _service_models() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


_paths_lock = threading.Lock()


def new_session(**credentials: str) -> boto3.Session:
    """A boto3 session (credentials from boto3's chain unless given) that shares this process's service
    models. botocore reads a service's model, megabytes of JSON, once per session: a fresh session's
    five clients took 0.1-0.5 s, a third of each test's set-up; with the models shared they take 0.05 s."""
    core = botocore.session.get_session()
    models = _service_models()
    core.register_component("data_loader", models)
    session = boto3.Session(botocore_session=core, **credentials)
    with _paths_lock:  # boto3 adds its own folder to the loader each time: keep each folder once
        models.search_paths[:] = list(dict.fromkeys(models.search_paths))
    return session


class AwsClients:
    """Builds each service client on first use and keeps it; clients are thread-safe, resources not."""

    def __init__(self, settings: Settings, session: boto3.Session | None = None) -> None:
        self.settings = settings
        self._session = session or new_session()
        # A fresh session reads the credential chain again (ECS's endpoint hands out the rotated ones); a
        # session given by the caller is all there is.
        self._renew: Callable[[], boto3.Session] = (lambda: session) if session else new_session
        self._config = client_config(settings)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._build(service)
            return self._clients[service]

    @property
    def s3(self) -> S3Client:
        return cast("S3Client", self.client("s3"))

    def s3_signing_for(self, seconds: int) -> S3Client:
        """The S3 client, its credentials good for `seconds` more: a presigned link dies with the session of
        the temporary credentials that signed it, whatever its ExpiresIn. Renewed when they would end
        sooner; CredentialsEnding when even fresh ones would."""
        if not self._last(seconds):
            with self._lock:
                self._session = self._renew()
                self._clients.clear()
            if not self._last(seconds):
                raise CredentialsEnding(f"the credentials signing image links end within {seconds} s, "
                                        "before a link would be used; fresh ones come as the role's rotate")
        return self.s3

    def _last(self, seconds: int) -> bool:
        credentials = self._session.get_credentials()
        if not isinstance(credentials, RefreshableCredentials):
            return True  # long-term keys, or temporary ones whose end botocore is not told (Lambda's)
        credentials.get_frozen_credentials()  # lets botocore refresh them first, near their end
        return not credentials.refresh_needed(seconds)

    def _build(self, service: str) -> Any:
        config = self._config.merge(S3_CONFIG) if service == "s3" else self._config
        return self._session.client(service, config=config)  # type: ignore[call-overload]

    @property
    def dynamodb(self) -> DynamoDBClient:
        return cast("DynamoDBClient", self.client("dynamodb"))

    @property
    def kinesis(self) -> KinesisClient:
        return cast("KinesisClient", self.client("kinesis"))

    @property
    def logs(self) -> CloudWatchLogsClient:
        return cast("CloudWatchLogsClient", self.client("logs"))

    @property
    def sqs(self) -> SQSClient:
        return cast("SQSClient", self.client("sqs"))

    @property
    def sts(self) -> STSClient:
        return cast("STSClient", self.client("sts"))

    @property
    def cloudwatch(self) -> CloudWatchClient:
        return cast("CloudWatchClient", self.client("cloudwatch"))
