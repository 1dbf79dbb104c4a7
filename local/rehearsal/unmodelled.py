"""What the local CloudFormation cannot create, in one place: each resource type of the expanded template that
moto does not model, what checks those resources instead, and what a Ref or GetAtt of one stands for while
the rest of the stack is created; and the properties of types it does create that it does not apply.

moto skips a type it does not model without a word (and fails the stack when something names it), so
`deployable()` takes them out first and puts a stand-in where the rest of the template names them. The
stand-ins have the shape of what CloudFormation would give (an ARN, an id), so what names them (a role's
statement, a listener's login, the operations dashboard) is created as it would be. docs/deploying.md,
"What was not deployed", lists the same; tests/infra/test_rehearsal.py holds the two equal, and holds these
lists to what moto models.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unmodelled:
    """A resource type moto's CloudFormation does not create. Stand-ins take {stack}, {logical_id}, {region}
    and {account}."""

    cfn_type: str
    covered_by: str  # what checks these resources instead
    ref: str = "{stack}-{logical_id}"  # what Ref stands for
    attributes: dict[str, str] = field(default_factory=dict)  # what GetAtt stands for, by attribute
    resolved: str = ""  # what a dynamic reference to it resolves to ({{resolve:secretsmanager:...}})


POOL = "{region}_Rehearsal"
CLOUDFRONT_FUNCTION = "arn:aws:cloudfront::{account}:function/{stack}-{logical_id}"
UNMODELLED: tuple[Unmodelled, ...] = (
    Unmodelled("AWS::CloudFront::Distribution",
               "tests/infra/test_template.py: browsers reach the dashboard only over HTTPS, the load "
               "balancer answers CloudFront only (its origin header, its prefix list); cfn-lint, checkov",
               ref="E2REHEARSAL0001", attributes={"DomainName": "d111111abcdef8.cloudfront.net",
                                                  "Id": "E2REHEARSAL0001"}),
    Unmodelled("AWS::CloudFront::Function",
               "tests/infra/test_template.py: the allow-list admits exactly its network (run in Node); "
               "cfn-lint", attributes={"FunctionMetadata.FunctionARN": CLOUDFRONT_FUNCTION,
                                       "FunctionARN": CLOUDFRONT_FUNCTION}),
    Unmodelled("AWS::CloudFront::ResponseHeadersPolicy",
               "tests/infra/test_template.py: CloudFront adds the same security headers as the app; cfn-lint",
               ref="rehearsal-{logical_id}"),
    Unmodelled("AWS::CloudWatch::Alarm",
               "tests/integration/test_alarms.py puts each alarm, as SAM translates it, into the local "
               "CloudWatch and checks its metrics and dimensions against a real handler run's; "
               "tests/infra/test_template.py: every alarm notifies the topic; cfn-lint",
               attributes={"Arn": "arn:aws:cloudwatch:{region}:{account}:alarm:{stack}-{logical_id}"}),
    Unmodelled("AWS::Cognito::UserPool",
               "tests/infra/test_template.py: always created and wired for Streamlit's OIDC, MFA by "
               "default, deletion protection, no probing for accounts; cfn-lint, checkov", ref=POOL,
               attributes={"Arn": "arn:aws:cognito-idp:{region}:{account}:userpool/" + POOL,
                           "ProviderName": "cognito-idp.{region}.amazonaws.com/" + POOL}),
    Unmodelled("AWS::Cognito::UserPoolClient",
               "tests/infra/test_template.py: its callbacks are HTTPS on each configuration's address; "
               "cfn-lint",
               ref="rehearsalclient", attributes={"ClientSecret": "rehearsal-client-secret"}),
    Unmodelled("AWS::Cognito::UserPoolDomain", "cfn-lint", ref="image-processor-rehearsal"),
    Unmodelled("AWS::Cognito::UserPoolGroup",
               "tests/infra/test_template.py: the operators group the dashboard's roles read, kept with the "
               "pool; cfn-lint", ref="operators"),
    Unmodelled("AWS::EC2::SecurityGroupEgress",
               "tests/infra/test_template.py: with a certificate, the load balancer logs visitors in with "
               "Cognito, which it may reach on 443; cfn-lint, checkov"),
    Unmodelled("AWS::S3::BucketPolicy",
               "tests/infra/test_template.py: the bucket policy refuses plain HTTP; cfn-lint, checkov"),
    Unmodelled("AWS::SNS::Subscription",
               "tests/infra/test_template.py: the alarm e-mail is subscribed only when given; cfn-lint"),
    Unmodelled("AWS::SecretsManager::Secret",
               "tests/infra/test_template.py: the container's login secret comes from it; "
               "tests/infra/test_container.py: the entrypoint writes what ECS injects; cfn-lint, checkov",
               ref="arn:aws:secretsmanager:{region}:{account}:secret:{stack}-{logical_id}-Rhrsl1",
               resolved="rehearsal-value-of-{logical_id}"),
)
BY_TYPE = {unmodelled.cfn_type: unmodelled for unmodelled in UNMODELLED}
RESOLVED = "{{resolve}}"  # stand_in's name for what a dynamic reference resolves to


@dataclass(frozen=True)
class Ignored:
    """Properties of a type moto creates that it takes without applying: what it created lacks them."""

    cfn_type: str
    properties: tuple[str, ...]
    covered_by: str


TEMPLATE_TEST = "tests/infra/test_template.py"
IGNORED: tuple[Ignored, ...] = (
    Ignored("AWS::S3::Bucket",
            ("LifecycleConfiguration", "PublicAccessBlockConfiguration", "OwnershipControls"),
            f"{TEMPLATE_TEST}: the bucket blocks public access and encrypts, images expire by the prefixes "
            "the code writes; checkov"),
    Ignored("AWS::DynamoDB::Table", ("TimeToLiveSpecification", "PointInTimeRecoverySpecification"),
            f"{TEMPLATE_TEST}: TTL on the attribute the code writes, point-in-time recovery; the rehearsal "
            "sees the code write that attribute once a retention is set"),
    Ignored("AWS::Lambda::Function", ("TracingConfig", "Architectures", "LoggingConfig"),
            f"{TEMPLATE_TEST}: tracing only when on, each function logging to its group; cfn-lint; the "
            "rehearsal takes the log groups from the stack"),
    Ignored("AWS::EC2::SecurityGroup", ("SecurityGroupEgress",), "cfn-lint, checkov"),
    Ignored("AWS::ElasticLoadBalancingV2::LoadBalancer", ("LoadBalancerAttributes",),
            f"{TEMPLATE_TEST}: a sticky load balancer that keeps WebSockets open"),
    Ignored("AWS::ElasticLoadBalancingV2::TargetGroup", ("TargetGroupAttributes",),
            f"{TEMPLATE_TEST}: a sticky load balancer that keeps WebSockets open"),
    Ignored("AWS::ECS::TaskDefinition",
            ("Cpu", "NetworkMode", "RequiresCompatibilities", "RuntimePlatform", "ExecutionRoleArn",
             "TaskRoleArn"),
            f"{TEMPLATE_TEST}: a read-only root with the image's volumes writable; cfn-lint, checkov; the "
            "rehearsal gives the dashboard the policies of the stack's DashboardTaskRole"),
    Ignored("AWS::ECS::Service",
            ("LaunchType", "NetworkConfiguration", "DeploymentConfiguration",
             "HealthCheckGracePeriodSeconds"),
            "cfn-lint, checkov"),
)
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")
# CloudFormation resolves these before it creates the resource that holds one; moto keeps the text.
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:\$\{([^}.]+)\}[^}]*\}\}")


@dataclass(frozen=True)
class Deployable:
    document: dict[str, Any]  # the expanded template without the unmodelled resources
    left_out: dict[str, str]  # logical id -> type, of what was taken out


def deployable(expanded: dict[str, Any], stack: str, region: str, account: str) -> Deployable:
    """`expanded` without the resources of unmodelled types, every reference to one replaced by its
    stand-in for a stack named `stack`."""
    resources = expanded["Resources"]
    left_out = {name: r["Type"] for name, r in resources.items() if r["Type"] in BY_TYPE}
    values = {"stack": stack, "region": region, "account": account}

    def stand_in(logical_id: str, attribute: str | None) -> str:
        kind = BY_TYPE[left_out[logical_id]]
        pattern = {None: kind.ref, RESOLVED: kind.resolved}.get(attribute) or kind.attributes[str(attribute)]
        return pattern.format(logical_id=logical_id, **values)

    document = copy.deepcopy(expanded)
    document["Resources"] = {name: _replaced(r, left_out, stand_in) for name, r in resources.items()
                             if name not in left_out}
    for resource in document["Resources"].values():
        if "DependsOn" in resource:
            named = resource["DependsOn"]
            resource["DependsOn"] = [d for d in ([named] if isinstance(named, str) else named)
                                     if d not in left_out]
    document["Outputs"] = _replaced(document.get("Outputs", {}), left_out, stand_in)
    return Deployable(document, left_out)


def _replaced(node: Any, left_out: dict[str, str], stand_in: Any) -> Any:
    if isinstance(node, list):
        return [_replaced(item, left_out, stand_in) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (name, argument), = node.items()
        if name == "Ref" and argument in left_out:
            return stand_in(argument, None)
        if name == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            if logical_id in left_out:
                return stand_in(logical_id, attribute)
        if name == "Fn::Sub":
            return {name: _sub(argument, left_out, stand_in)}
    return {key: _replaced(value, left_out, stand_in) for key, value in node.items()}


def _sub(argument: Any, left_out: dict[str, str], stand_in: Any) -> Any:
    text, names = (argument, {}) if isinstance(argument, str) else argument

    def value(match: re.Match[str]) -> str:
        logical_id, _, attribute = match.group(1).partition(".")
        if logical_id in left_out and logical_id not in names:
            return str(stand_in(logical_id, attribute or None))
        return match.group(0)

    def resolved(match: re.Match[str]) -> str:
        logical_id = match.group(1)
        if logical_id in left_out and logical_id not in names:
            return str(stand_in(logical_id, RESOLVED))
        return match.group(0)

    replaced = _SUB_NAME.sub(value, _DYNAMIC_REFERENCE.sub(resolved, text))
    return replaced if isinstance(argument, str) else [replaced, _replaced(names, left_out, stand_in)]
