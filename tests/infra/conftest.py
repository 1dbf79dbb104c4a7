"""The deployment files, parsed once: the SAM template with cfn-lint's own CloudFormation YAML decoder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.decode import decode  # type: ignore[import-untyped]  # cfn-lint ships no type information

from tests.infra.paths import TEMPLATE


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    parsed, errors = decode(str(TEMPLATE))
    assert not errors, [str(e) for e in errors]
    # Plain dicts, lists and strings: cfn-lint's nodes compare fine, but print poorly in assertion diffs.
    plain: dict[str, Any] = json.loads(json.dumps(parsed))
    return plain


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"]
    return found
