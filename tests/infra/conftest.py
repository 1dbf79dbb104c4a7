"""The deployment files, parsed once: the SAM template with cfn-lint's own CloudFormation YAML decoder."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"


def venv_tool(name: str) -> str | None:
    """A console script installed next to this interpreter (the venv), else one on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    parsed, errors = decode(str(TEMPLATE))
    assert not errors, [str(e) for e in errors]
    # Plain dicts, lists and strings: cfn-lint's nodes compare fine, but print poorly in assertion diffs.
    return json.loads(json.dumps(parsed))


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]
