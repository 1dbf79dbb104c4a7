#!/usr/bin/env bash
# Remove what `make deploy` created (`make destroy` runs this). The bucket, the table and the user pool are
# kept, so images, events and users survive, unless DELETE_DATA=yes.
#
# Settings: STACK_NAME=image-processor  AWS_REGION=<your CLI default>  DELETE_DATA=no|yes
#           DASHBOARD_REPOSITORY=image-processor-dashboard
set -euo pipefail

STACK_NAME="${STACK_NAME:-image-processor}"
AWS_REGION="${AWS_REGION:-$(aws configure get region 2>/dev/null || true)}"
DASHBOARD_REPOSITORY="${DASHBOARD_REPOSITORY:-image-processor-dashboard}"
DELETE_DATA="${DELETE_DATA:-no}"

# shellcheck source=infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "1/4 Checking tools and credentials"
require_tools aws sam
[ -n "$AWS_REGION" ] || die "No region: set AWS_REGION (the one you deployed to)."
export AWS_REGION AWS_DEFAULT_REGION="$AWS_REGION"
aws sts get-caller-identity >/dev/null || die "No working AWS credentials: run 'aws configure' or 'aws sso login'."
aws cloudformation describe-stacks --stack-name "$STACK_NAME" >/dev/null 2>&1 \
    || die "No stack '$STACK_NAME' in $AWS_REGION: nothing to delete (set STACK_NAME or AWS_REGION?)."

# Read before deleting: the outputs go with the stack, the retained resources do not.
bucket=$(output BucketName)
table=$(output TableName)
pool=$(output UserPoolId)

step "2/4 Deleting stack $STACK_NAME (a few minutes)"
sam delete --stack-name "$STACK_NAME" --region "$AWS_REGION" --no-prompts

step "3/4 Deleting the dashboard images (ECR repository $DASHBOARD_REPOSITORY)"
if aws ecr describe-repositories --repository-names "$DASHBOARD_REPOSITORY" >/dev/null 2>&1; then
    aws ecr delete-repository --repository-name "$DASHBOARD_REPOSITORY" --force >/dev/null
    echo "Deleted."
else
    echo "Not found; nothing to do."
fi

step "4/4 Data: bucket $bucket, table $table, user pool $pool"
if [ "$DELETE_DATA" = "yes" ]; then
    aws s3 rb "s3://$bucket" --force
    # The table and the pool are protected from deletion; only this deliberate step turns it off.
    aws dynamodb update-table --table-name "$table" --no-deletion-protection-enabled >/dev/null
    aws dynamodb wait table-exists --table-name "$table"
    aws dynamodb delete-table --table-name "$table" >/dev/null
    aws cognito-idp update-user-pool --user-pool-id "$pool" --deletion-protection INACTIVE
    aws cognito-idp delete-user-pool --user-pool-id "$pool"
    echo "Deleted all three."
else
    cat <<EOF
Kept (the stack retains them so a mistaken destroy loses nothing). To delete them later:
  aws s3 rb s3://$bucket --force
  aws dynamodb update-table --table-name $table --no-deletion-protection-enabled
  aws dynamodb delete-table --table-name $table
  aws cognito-idp update-user-pool --user-pool-id $pool --deletion-protection INACTIVE
  aws cognito-idp delete-user-pool --user-pool-id $pool
EOF
fi
