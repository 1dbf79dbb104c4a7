"""The project's licence, and the third-party notices the repository keeps for the default builds (what
`make lambda-zip` and the dashboard image carry; `make lock` rewrites them): each lists exactly what its lock
installs, at the locked versions, and names the GPL-licensed codecs first."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.imaging.formats import GPL_CODECS
from tests.infra.paths import ROOT
from tools import notices
from tools.locks import pins
from tools.wheels import environment

KEPT = {
    "lambda zip": (notices.LAMBDA_COPY, notices.LAMBDA_LOCK),
    "dashboard image": (notices.DASHBOARD_COPY, notices.DASHBOARD_LOCK),
}


def test_the_project_is_licensed_under_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text


@pytest.mark.parametrize("deployable", list(KEPT))
def test_the_kept_notices_list_what_the_lock_installs_at_its_versions(deployable: str) -> None:
    copy, lock = KEPT[deployable]
    text = (ROOT / copy).read_text()
    # Both deployables run Python 3.12: the lock's markers are judged for it.
    stale = f"{copy} is out of date with {Path(lock).name}: run `python -m tools.notices --repository`"
    assert notices.listed(text) == pins(Path(lock), environment("x86_64", "3.12")), stale


@pytest.mark.parametrize("deployable", list(KEPT))
def test_the_kept_notices_name_the_gpl_codecs_first(deployable: str) -> None:
    text = (ROOT / KEPT[deployable][0]).read_text()
    section = text.split("GPL-licensed codecs", 1)[1].split("Packages", 1)[0]
    assert [codec.distribution for codec in GPL_CODECS if codec.distribution in section] == [
        "pillow-heif", "pillow-jxl-plugin"]
    assert "x265" in section
