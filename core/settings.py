"""The one settings object, read from the environment (each setting is described in docs/configuration.md)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Names, limits and tuning. Endpoints and credentials are boto3's own business, never ours."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    bucket_name: str = Field("image-processor-local", validation_alias="BUCKET_NAME")
    table_name: str = Field("image-processor-events", validation_alias="TABLE_NAME")
    stream_name: str = Field("image-processor-events", validation_alias="STREAM_NAME")
    consumer_function_name: str = Field(
        "image-processor-consumer", validation_alias="CONSUMER_FUNCTION_NAME"
    )
    # Empty means "Lambda's own name for the function's group": /aws/lambda/<function>.
    consumer_log_group_override: str = Field("", validation_alias="CONSUMER_LOG_GROUP")
    aggregator_function_name: str = Field(
        "image-processor-aggregator", validation_alias="AGGREGATOR_FUNCTION_NAME"
    )
    aggregator_log_group_override: str = Field("", validation_alias="AGGREGATOR_LOG_GROUP")
    failure_queue_name: str = Field(
        "image-processor-consumer-failures", validation_alias="FAILURE_QUEUE_NAME"
    )
    region: str = Field(
        "us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    max_image_bytes: int = Field(20_000_000, gt=0, validation_alias="MAX_IMAGE_BYTES")
    max_image_pixels: int = Field(50_000_000, gt=0, validation_alias="MAX_IMAGE_PIXELS")
    thumbnail_size: int = Field(320, ge=16, le=2048, validation_alias="THUMBNAIL_SIZE")
    # The rendition Live and the details panel show: between the thumbnail and the original.
    preview_size: int = Field(1280, ge=16, le=4096, validation_alias="PREVIEW_SIZE")
    fetch_timeout_seconds: float = Field(10.0, gt=0, validation_alias="FETCH_TIMEOUT_SECONDS")
    worker_count: int = Field(8, ge=1, le=64, validation_alias="WORKER_COUNT")
    # A batch's fetches at once: most of a fetch is waiting on the source, so many overlap on few vCPUs.
    fetch_concurrency: int = Field(64, ge=1, le=256, validation_alias="FETCH_CONCURRENCY")
    # Bytes of fetched bodies a batch holds at once, from the start of their reading until their images are
    # made: a quarter of the consumer's 1,024 MB (docs/fetching.md, "A batch's fetches").
    fetch_memory_bytes: int = Field(256 * 1024 * 1024, gt=0, validation_alias="FETCH_MEMORY_BYTES")
    # Buckets an s3:// event may name, comma-separated; empty means BUCKET_NAME alone. IAM would refuse
    # other buckets too, but its answer cannot say which setting to change, and it trusts a role's grants.
    allowed_source_buckets_setting: str = Field("", validation_alias="ALLOWED_SOURCE_BUCKETS")
    # Days an event's items (and the minute counter that counts it) are kept; 0 keeps them for ever.
    event_retention_days: int = Field(0, ge=0, le=36_500, validation_alias="EVENT_RETENTION_DAYS")
    # Powertools' own switch, read here too: the consumer builds its X-Ray tracer (200-300 ms of imports)
    # only when tracing is on. The template turns it on with its EnableTracing parameter.
    trace_disabled: bool = Field(True, validation_alias="POWERTOOLS_TRACE_DISABLED")
    # The dashboard: refuse to serve at all when login is not configured (every deployment sets it), how
    # long a login lasts, and where logging out ends the identity provider's session too (Cognito's
    # /logout).
    require_login: bool = Field(False, validation_alias="REQUIRE_LOGIN")
    login_session_seconds: int = Field(43_200, ge=300, le=604_800, validation_alias="LOGIN_SESSION_SECONDS")
    logout_url: str = Field("", validation_alias="LOGOUT_URL")
    # E-mail addresses (comma-separated) of the dashboard's operators, for a login whose tokens carry no
    # Cognito groups; Cognito's `operators` group is the other way in. Without login everyone operates.
    operator_emails_setting: str = Field("", validation_alias="OPERATOR_EMAILS")
    # Only tests and the local stack serve images from loopback; production never sets this.
    allow_loopback_fetch: bool = Field(False, validation_alias="ALLOW_LOOPBACK_FETCH")
    # At least 10 min: the dashboard reuses a link for 5 min so refreshes do not reload images.
    presign_seconds: int = Field(900, ge=600, le=604_800, validation_alias="PRESIGN_SECONDS")

    @model_validator(mode="after")
    def _preview_not_smaller_than_thumbnail(self) -> Settings:
        # The thumbnail is resampled from the preview, so it can be no larger.
        if self.preview_size < self.thumbnail_size:
            raise ValueError(f"PREVIEW_SIZE ({self.preview_size}) must be at least THUMBNAIL_SIZE "
                             f"({self.thumbnail_size}): the thumbnail is made from the preview")
        return self

    @model_validator(mode="after")
    def _room_for_the_largest_image(self) -> Settings:
        # A body of unknown length takes MAX_IMAGE_BYTES of the budget: less would never let it be read.
        if self.fetch_memory_bytes < self.max_image_bytes:
            raise ValueError(f"FETCH_MEMORY_BYTES ({self.fetch_memory_bytes:,}) must be at least "
                             f"MAX_IMAGE_BYTES ({self.max_image_bytes:,}): the largest body must fit")
        return self

    @property
    def allowed_source_buckets(self) -> frozenset[str]:
        """The buckets s3:// sources may come from (ALLOWED_SOURCE_BUCKETS, by default BUCKET_NAME)."""
        named = {name.strip() for name in self.allowed_source_buckets_setting.split(",") if name.strip()}
        return frozenset(named or {self.bucket_name})

    @property
    def operator_emails(self) -> frozenset[str]:
        """OPERATOR_EMAILS, each address in lower case (e-mail providers treat them so)."""
        return frozenset(name.strip().lower() for name in self.operator_emails_setting.split(",")
                         if name.strip())

    @property
    def consumer_log_group(self) -> str:
        return self.consumer_log_group_override or f"/aws/lambda/{self.consumer_function_name}"

    @property
    def aggregator_log_group(self) -> str:
        return self.aggregator_log_group_override or f"/aws/lambda/{self.aggregator_function_name}"
