# Shared by deploy.sh and destroy.sh (sourced, not run): progress lines, errors, stack outputs, tools.
# shellcheck shell=bash

step() { printf '\n==> %s\n' "$*"; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }
output() {
    aws cloudformation describe-stacks --stack-name "$STACK_NAME" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
require_tools() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "'$tool' is not installed; see Prerequisites in docs/deploying.md."
    done
}
