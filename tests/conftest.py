"""Shared fixtures: one strict local AWS over real HTTP for the session (per pytest-xdist worker), put back
before each test to the state right after provisioning.

Provisioning runs once, the slow way, and the emulator keeps its state (POST /_local/snapshot); each test
then starts from a copy of it (/_local/restore: moto reset, then the kept state), a few milliseconds where
provisioning took a tenth of a second. tests/integration/test_fresh_stack.py holds the two equal; a test whose
settings name other resources gets the slow way.

Tests set things up and look at the store as the account's administrator; the consumer's handler and
the dashboard act under their roles, with exactly the template's permissions, and a test that leads to
an AccessDenied fails unless it is marked `access_denied_expected`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests

from core.aws import AwsClients
from core.settings import Settings
from lambda_consumer import handler as consumer
from local.emulator import embedded_aws
from local.roles import admin_session, role_session
from tests.stack import StackNames, provision_afresh, stack_names

# The tests never reach AWS: fake credentials, and the endpoint set per test below.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_name] = _value
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
    os.environ.pop(_name, None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "access_denied_expected: the test provokes an AccessDenied on purpose")


# The files that take longest, longest first (seconds on a quiet 2-CPU machine, 2026-12-07). `make test`
# hands whole files to its processes in collection order; one of these started last would leave its process
# running alone at the end, so they start first (the longest-first rule).
LONGEST_FIRST = ("tests/e2e/test_browser.py",  # 151 s
                 "tests/integration/test_least_privilege.py",  # 80 s
                 "tests/bench/test_bench_smoke.py",  # 74 s
                 "tests/infra/test_image.py",  # 51 s
                 "tests/dashboard/test_pages.py")  # 45 s


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Those files first; every other file, and the tests inside each file, keep their order."""
    def rank(item: pytest.Item) -> int:
        path = item.path.as_posix()
        return next((n for n, name in enumerate(LONGEST_FIRST) if path.endswith(name)), len(LONGEST_FIRST))

    items.sort(key=rank)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The same embedded AWS `make run` uses (local/server.py), strict, on a free port."""
    with embedded_aws() as endpoint:
        yield endpoint


def default_settings() -> Settings:
    return Settings(allow_loopback_fetch=True, worker_count=4)


@pytest.fixture()
def settings() -> Settings:
    return default_settings()


@pytest.fixture(scope="session")
def provisioned_once(moto_endpoint: str) -> StackNames:
    """Every resource created once, for the settings most tests use, and the emulator's state kept."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        settings = default_settings()
        provision_afresh(moto_endpoint, AwsClients(settings, session=admin_session()))
    requests.post(f"{moto_endpoint}/_local/snapshot", timeout=10).raise_for_status()
    return stack_names(settings)


@pytest.fixture()
def aws(
    moto_endpoint: str, provisioned_once: StackNames, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[AwsClients]:
    """A clean emulator with every resource created, reached over HTTP through AWS_ENDPOINT_URL.

    After the test: no role was denied anything (a path that needs more than the template grants fails).
    """
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    clients = AwsClients(settings, session=admin_session())
    if stack_names(settings) == provisioned_once:
        requests.post(f"{moto_endpoint}/_local/restore", timeout=10).raise_for_status()
    else:
        provision_afresh(moto_endpoint, clients)
    yield clients
    if request.node.get_closest_marker("access_denied_expected") is None:
        denials = requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["denials"]
        assert denials == [], f"a role was denied what the test needed: {denials}"


@pytest.fixture()
def handler_aws(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    """A clean emulator, and the consumer's handler using clients of the consumer's role (as Lambda's
    cached getter would, with the function's execution role); returns the administrator's clients."""
    function = AwsClients(aws.settings, session=role_session("consumer"))
    monkeypatch.setattr(consumer, "aws_clients", lambda: function)
    return aws


@pytest.fixture()
def fresh_aws(aws: AwsClients, moto_endpoint: str) -> AwsClients:
    """As `aws`, but made the slow way for this test alone: the emulator reset and provision() run."""
    provision_afresh(moto_endpoint, aws)
    return aws


@pytest.fixture()
def unthrottled_kinesis(aws: AwsClients, moto_endpoint: str) -> AwsClients:
    """As `aws`, with Kinesis's per-shard rates off (a test of megabytes, not of throttling); /_local/restore
    before the next test turns them on again."""
    answer = requests.post(f"{moto_endpoint}/_local/kinesis", json={"on": False}, timeout=10)
    answer.raise_for_status()
    return aws
