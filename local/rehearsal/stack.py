"""A CloudFormation stack in the local AWS, created, updated and deleted as `sam deploy` and `sam delete` do.

The expanded template is over CloudFormation's 51,200-byte limit for a TemplateBody, so, as `sam deploy
--resolve-s3` does, it goes to an artifacts bucket first and the stack is made from its TemplateURL.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from core.aws import AwsClients
from local.rehearsal.expand import expand, stand_in_zip
from local.rehearsal.unmodelled import Deployable, deployable
from local.template import ACCOUNT

ARTIFACTS_BUCKET = "rehearsal-artifacts"  # `sam deploy --resolve-s3` makes one such bucket per account
CODE_KEY = "lambda_consumer.zip"
_WAIT = {"Delay": 1, "MaxAttempts": 120}


@dataclass(frozen=True)
class Created:
    """One resource of the stack: its type and CloudFormation's name for it."""

    cfn_type: str
    physical_id: str


class Stack:
    """One stack of infra/template.yaml; the clients are the account's administrator's."""

    def __init__(self, clients: AwsClients, name: str) -> None:
        self.clients, self.name = clients, name
        self.cloudformation: Any = clients.client("cloudformation")
        self.expanded: dict[str, Any] = {}  # the template as SAM's transform gives it
        self.left_out: dict[str, str] = {}  # the unmodelled resources taken out, logical id -> type
        self._url: str | None = None

    def create(self, parameters: dict[str, str]) -> str:
        """Create the stack with `parameters` (the rest at their defaults); its status."""
        self.cloudformation.create_stack(StackName=self.name, TemplateURL=self._template_url(),
                                         Parameters=_given(parameters), Capabilities=["CAPABILITY_IAM"])
        self.cloudformation.get_waiter("stack_create_complete").wait(StackName=self.name, WaiterConfig=_WAIT)
        return self.status()

    def update(self, parameters: dict[str, str]) -> str:
        """The same template with `parameters` (every parameter named: CloudFormation resets the others)."""
        self.cloudformation.update_stack(StackName=self.name, TemplateURL=self._template_url(),
                                         Parameters=_given(parameters), Capabilities=["CAPABILITY_IAM"])
        self.cloudformation.get_waiter("stack_update_complete").wait(StackName=self.name, WaiterConfig=_WAIT)
        return self.status()

    def delete(self) -> str:
        """Delete the stack; the status of the deleted stack, found by its id as CloudFormation keeps it."""
        stack_id = self._described()["StackId"]
        self.cloudformation.delete_stack(StackName=self.name)
        self.cloudformation.get_waiter("stack_delete_complete").wait(StackName=stack_id, WaiterConfig=_WAIT)
        return str(self.cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"])

    def status(self) -> str:
        return str(self._described()["StackStatus"])

    def outputs(self) -> dict[str, str]:
        return {o["OutputKey"]: str(o["OutputValue"]) for o in self._described().get("Outputs", [])}

    def resources(self) -> dict[str, Created]:
        """Every resource the stack holds, by logical id."""
        pages = self.cloudformation.get_paginator("list_stack_resources").paginate(StackName=self.name)
        return {r["LogicalResourceId"]: Created(r["ResourceType"], r.get("PhysicalResourceId", ""))
                for page in pages for r in page["StackResourceSummaries"]}

    def _described(self) -> dict[str, Any]:
        found: dict[str, Any] = self.cloudformation.describe_stacks(StackName=self.name)["Stacks"][0]
        return found

    def _template_url(self) -> str:
        """Upload the zip and the deployable template once, as `sam deploy` uploads its artifacts."""
        if self._url is None:
            s3, region = self.clients.s3, self.clients.settings.region
            s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
            s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=CODE_KEY, Body=stand_in_zip())
            self.expanded = expand(f"s3://{ARTIFACTS_BUCKET}/{CODE_KEY}", region)
            made: Deployable = deployable(self.expanded, self.name, region, ACCOUNT)
            body = json.dumps(made.document).encode()
            key = f"{self.name}/{hashlib.sha256(body).hexdigest()[:16]}.template"
            s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=key, Body=body)
            self.left_out, self._url = made.left_out, f"https://s3.{region}.amazonaws.com/{ARTIFACTS_BUCKET}/{key}"
        return self._url


def _given(parameters: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": name, "ParameterValue": str(value)} for name, value in parameters.items()]
