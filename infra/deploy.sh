#!/usr/bin/env bash
# Deploy Image Processor to the AWS account of your current credentials (`make deploy` runs this after
# `make lambda-zip`). Safe to run again: it pushes a new dashboard image and updates the stack in place.
#
# Settings, all from the environment (docs/deploying.md explains each):
#   STACK_NAME=image-processor  AWS_REGION=<your CLI default>  ARCHITECTURE=x86_64|arm64 (of the Lambda zip)
#   ALLOWED_CIDR=<your public address>/32  STREAM_ARN=<existing stream, else one is created>
#   DOMAIN_NAME=  CERTIFICATE_ARN=  HOSTED_ZONE_ID=  REQUIRE_MFA=true  DESIRED_COUNT=1
#   ALARM_EMAIL=<address the alarms mail>  ENABLE_TRACING=false  LOGIN_SESSION_SECONDS=43200
#   IMAGE_RETENTION_DAYS=0  EVENT_RETENTION_DAYS=0 (0 keeps them)  KEEP_IMAGES=10 (dashboard images in ECR)
#   STREAM_KMS_KEY_ARN=<the existing stream's customer managed key>  SOURCE_BUCKETS=<other buckets, a,b>
#   DASHBOARD_REPOSITORY=image-processor-dashboard  IMAGE_TAG=<git commit>-<UTC time>
set -euo pipefail
cd "$(dirname "$0")/.."

STACK_NAME="${STACK_NAME:-image-processor}"
AWS_REGION="${AWS_REGION:-$(aws configure get region 2>/dev/null || true)}"
ARCHITECTURE="${ARCHITECTURE:-x86_64}"
DASHBOARD_REPOSITORY="${DASHBOARD_REPOSITORY:-image-processor-dashboard}"
DESIRED_COUNT="${DESIRED_COUNT:-1}"
KEEP_IMAGES="${KEEP_IMAGES:-10}"
ZIP=dist/lambda_consumer.zip
NOTICES=dist/dashboard/THIRD_PARTY_NOTICES
TEMPLATE=infra/template.yaml

# shellcheck source=infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "1/6 Checking tools, credentials and inputs"
require_tools aws sam docker
docker info >/dev/null 2>&1 || die "Docker is installed but its engine is not running; start Docker and run again."
[ -n "$AWS_REGION" ] || die "No region: set AWS_REGION (e.g. AWS_REGION=eu-west-1 make deploy)."
export AWS_REGION AWS_DEFAULT_REGION="$AWS_REGION"
ACCOUNT=$(aws sts get-caller-identity --query Account --output text) \
    || die "No working AWS credentials: run 'aws configure' or 'aws sso login', then try again."
[ -f "$ZIP" ] || die "$ZIP is missing: run 'make lambda-zip' (or deploy with 'make deploy', which builds it)."
# The image copies it: the licences of the packages it installs (docs/licences.md).
[ -f "$NOTICES" ] || die "$NOTICES is missing: run 'make dashboard-notices' (or deploy with 'make deploy', which writes it)."
[[ "$KEEP_IMAGES" =~ ^[1-9][0-9]*$ ]] || die "KEEP_IMAGES must be a whole number of images, 1 or more."
echo "Account $ACCOUNT, region $AWS_REGION, stack $STACK_NAME, Lambda architecture $ARCHITECTURE."

if [ -z "${ALLOWED_CIDR:-}" ]; then
    # An extra on top of the login: by default only the address deploying reaches even the login page.
    ip=$(curl -fsS --max-time 10 https://checkip.amazonaws.com | tr -d '[:space:]') \
        || die "Could not find your public address; set ALLOWED_CIDR (e.g. ALLOWED_CIDR=203.0.113.7/32)."
    ALLOWED_CIDR="$ip/32"
fi
echo "The dashboard will accept connections from $ALLOWED_CIDR, each behind the Cognito login."
if [ -z "${CERTIFICATE_ARN:-}" ]; then
    # No certificate: CloudFront serves HTTPS, and only its origin-facing servers may reach the load balancer.
    PREFIX_LIST=$(aws ec2 describe-managed-prefix-lists \
        --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing \
        --query 'PrefixLists[0].PrefixListId' --output text)
    [[ "$PREFIX_LIST" == pl-* ]] \
        || die "Could not find CloudFront's origin-facing prefix list in $AWS_REGION (got '$PREFIX_LIST')."
    echo "No certificate: CloudFront will serve HTTPS on its own name (its servers: prefix list $PREFIX_LIST)."
fi

step "2/6 Making sure the ECR repository $DASHBOARD_REPOSITORY exists"
if ! aws ecr describe-repositories --repository-names "$DASHBOARD_REPOSITORY" >/dev/null 2>&1; then
    aws ecr create-repository --repository-name "$DASHBOARD_REPOSITORY" \
        --image-tag-mutability IMMUTABLE --image-scanning-configuration scanOnPush=true >/dev/null
    echo "Created."
fi
REPOSITORY_URI=$(aws ecr describe-repositories --repository-names "$DASHBOARD_REPOSITORY" \
    --query 'repositories[0].repositoryUri' --output text)
# Every deployment pushes a new tag; without a policy ECR keeps (and bills) them all. The newest is the one
# the stack runs; the ones before it are what a rollback would need.
untagged='{"rulePriority": 1, "description": "Layers no tag points to, after a day", "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}, "action": {"type": "expire"}}'
newest="{\"rulePriority\": 2, \"description\": \"Keep the newest $KEEP_IMAGES images\", \"selection\": {\"tagStatus\": \"any\", \"countType\": \"imageCountMoreThan\", \"countNumber\": $KEEP_IMAGES}, \"action\": {\"type\": \"expire\"}}"
aws ecr put-lifecycle-policy --repository-name "$DASHBOARD_REPOSITORY" \
    --lifecycle-policy-text "{\"rules\": [$untagged, $newest]}" >/dev/null
echo "ECR keeps the newest $KEEP_IMAGES images."

# Tags are immutable in the repository, so each deployment gets its own: ECS then always runs what was built.
IMAGE_TAG="${IMAGE_TAG:-$(git rev-parse --short HEAD 2>/dev/null || echo local)-$(date -u +%Y%m%d%H%M%S)}"
IMAGE="$REPOSITORY_URI:$IMAGE_TAG"

step "3/6 Building the dashboard image $IMAGE"
# The task definition runs X86_64; on an arm64 machine Docker builds it through emulation.
docker build --platform linux/amd64 --tag "$IMAGE" .

step "4/6 Pushing the image"
aws ecr get-login-password | docker login --username AWS --password-stdin "${REPOSITORY_URI%%/*}"
docker push "$IMAGE"

step "5/6 Deploying stack $STACK_NAME (first run: about 10 minutes)"
overrides=(
    "DashboardRepository=$DASHBOARD_REPOSITORY"
    "DashboardImageTag=$IMAGE_TAG"
    "DashboardDesiredCount=$DESIRED_COUNT"
    "AllowedIngressCidr=$ALLOWED_CIDR"
    "Architecture=$ARCHITECTURE"
)
[ -n "${PREFIX_LIST:-}" ] && overrides+=("CloudFrontPrefixListId=$PREFIX_LIST")
[ -n "${REQUIRE_MFA:-}" ] && overrides+=("RequireMfa=$REQUIRE_MFA")
[ -n "${STREAM_ARN:-}" ] && overrides+=("StreamArn=$STREAM_ARN")
[ -n "${STREAM_KMS_KEY_ARN:-}" ] && overrides+=("StreamKmsKeyArn=$STREAM_KMS_KEY_ARN")
[ -n "${SOURCE_BUCKETS:-}" ] && overrides+=("SourceBuckets=$SOURCE_BUCKETS")
[ -n "${DOMAIN_NAME:-}" ] && overrides+=("DomainName=$DOMAIN_NAME")
[ -n "${CERTIFICATE_ARN:-}" ] && overrides+=("CertificateArn=$CERTIFICATE_ARN")
[ -n "${HOSTED_ZONE_ID:-}" ] && overrides+=("HostedZoneId=$HOSTED_ZONE_ID")
[ -n "${ALARM_EMAIL:-}" ] && overrides+=("AlarmEmail=$ALARM_EMAIL")
[ -n "${IMAGE_RETENTION_DAYS:-}" ] && overrides+=("ImageRetentionDays=$IMAGE_RETENTION_DAYS")
[ -n "${EVENT_RETENTION_DAYS:-}" ] && overrides+=("EventRetentionDays=$EVENT_RETENTION_DAYS")
[ -n "${ENABLE_TRACING:-}" ] && overrides+=("EnableTracing=$ENABLE_TRACING")
[ -n "${LOGIN_SESSION_SECONDS:-}" ] && overrides+=("LoginSessionSeconds=$LOGIN_SESSION_SECONDS")
# No `sam build`: the function's code is the zip `make lambda-zip` made; `sam deploy` uploads it as is.
sam deploy \
    --template-file "$TEMPLATE" \
    --stack-name "$STACK_NAME" \
    --region "$AWS_REGION" \
    --resolve-s3 \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --no-confirm-changeset \
    --no-fail-on-empty-changeset \
    --parameter-overrides "${overrides[@]}"

step "6/6 Done. Stack outputs:"
aws cloudformation describe-stacks --stack-name "$STACK_NAME" \
    --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table
stream=$(output StreamName)
bucket=$(output BucketName)
cat <<EOF

Send a first event (AWS CLI v2), with any JPEG or PNG of yours:
  aws s3 cp photo.jpg s3://$bucket/incoming/photo.jpg
  aws kinesis put-record --stream-name $stream --partition-key demo --cli-binary-format raw-in-base64-out \\
    --data '{"ImageUrl": "s3://$bucket/incoming/photo.jpg", "Description": "first event"}'
EOF
cat <<EOF

Open $(output DashboardUrl) and log in. Create each user first (Cognito mails a temporary password):
  aws cognito-idp admin-create-user --user-pool-id $(output UserPoolId) --username you@example.com
EOF
