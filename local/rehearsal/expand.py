"""infra/template.yaml as `sam deploy` hands it to CloudFormation: SAM's transform applied, the functions'
code at the S3 location the zip was uploaded to."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from local.template import TEMPLATE

FUNCTIONS = ("ConsumerFunction", "AggregatorFunction")  # one zip for both, as `sam deploy` uploads it


class _NoManagedPolicies:
    """Each function names its own role, so the transform looks up no AWS managed policy (nor AWS)."""

    def load(self) -> dict[str, str]:
        return {}


def expand(code_uri: str, region: str, path: Path = TEMPLATE) -> dict[str, Any]:
    """The template after SAM's transform (plain CloudFormation: each function's event source mapping a
    resource of its own), with both functions' code at `code_uri` (s3://bucket/key)."""
    from cfnlint.decode import decode  # type: ignore[import-untyped]  # cfn-lint ships no type information
    from samtranslator.translator.arn_generator import ArnGenerator  # type: ignore[import-untyped]
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    parsed, errors = decode(str(path))
    if errors:
        raise ValueError(f"{path} does not parse: {[str(error) for error in errors]}")
    document: dict[str, Any] = json.loads(json.dumps(parsed))  # plain dicts and lists
    for function in FUNCTIONS:
        document["Resources"][function]["Properties"]["CodeUri"] = code_uri
    ArnGenerator.BOTO_SESSION_REGION_NAME = region  # else the transform asks boto3 for one
    expanded: dict[str, Any] = transform(document, {}, _NoManagedPolicies())
    return expanded


def stand_in_zip() -> bytes:
    """What the rehearsal uploads as the functions' code: the local event sources run the working tree's
    handlers, so only the zip's place matters (tests/integration/test_lambda_zip.py runs the real zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("REHEARSAL.txt", "A stand-in: `make lambda-zip` builds the deployed zip.\n")
    return buffer.getvalue()
