"""The docs a newcomer reads: a short README, links that resolve inside the repository, every setting
documented with its default, and no citation of a file the repository does not hold."""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

import pytest
from pydantic import AliasChoices

from core.settings import Settings
from tests.infra.paths import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
README_MOST_LINES = 200
# Named so that this file does not cite it: background notes kept outside the repository.
OUTSIDE_NOTES = "DESIGN" + ".md"

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
WEB = re.compile(r"^https?://")


def prose(text: str) -> str:
    """The text without code blocks and inline code, where link syntax is not a link."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(page: Path) -> list[str]:
    return LINK.findall(prose(page.read_text()))


def anchors(page: Path) -> set[str]:
    """The heading anchors GitHub makes for a page: lower case, punctuation dropped, spaces to hyphens,
    a repeated one numbered."""
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        candidate, number = slug, 0
        while candidate in found:
            number += 1
            candidate = f"{slug}-{number}"
        found.add(candidate)
    return found


def relative_links() -> list[tuple[Path, str]]:
    return [(page, target) for page in PAGES for target in links(page) if not WEB.match(target)]


def test_the_readme_is_short() -> None:
    lines = README.read_text().count("\n")
    assert lines <= README_MOST_LINES, f"README.md has {lines} lines; move detail into docs/ (at most " \
                                       f"{README_MOST_LINES})"


def test_the_docs_have_a_page_per_topic_and_the_readme_links_each() -> None:
    linked = {Path(target.split("#")[0]).name for target in links(README)}
    assert DOCS, "docs/ holds no pages"
    assert {page.name for page in DOCS} <= linked, "a docs page the README does not point to"


@pytest.mark.parametrize(("page", "target"), relative_links(),
                         ids=[f"{p.name}->{t}" for p, t in relative_links()])
def test_every_relative_link_resolves_inside_the_repository(page: Path, target: str) -> None:
    assert ":" not in target.split("#")[0], f"{page.name}: {target} is neither a web address nor a path"
    path_part, _, anchor = target.partition("#")
    resolved = (page.parent / path_part).resolve() if path_part else page
    assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
    assert resolved.exists(), f"{page.name}: {target} names a file the repository does not hold"
    if anchor:
        assert resolved.suffix == ".md", f"{page.name}: {target} has an anchor into a file that is not a page"
        assert anchor in anchors(resolved), f"{page.name}: {target}: no heading '{anchor}' in {resolved.name}"


def test_links_leave_the_repository_only_for_the_web() -> None:
    for page in PAGES:
        for target in links(page):
            assert WEB.match(target) or not re.match(r"^[a-z][a-z0-9+.-]*:|^/", target), \
                f"{page.name}: {target} points outside the repository"


def test_nothing_cites_notes_kept_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    texts = {".md", ".py", ".yaml", ".yml", ".sh", ".toml", ""}
    citing = [name for name in tracked.decode().split("\0")
              if name and (ROOT / name).is_file() and (ROOT / name).suffix in texts
              and OUTSIDE_NOTES in (ROOT / name).read_text(errors="replace")]
    assert not citing, f"these cite {OUTSIDE_NOTES}, which is not in the repository; state the fact instead"


def documented_settings() -> dict[str, str]:
    """docs/configuration.md's table: variable name → its default cell."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    rows = re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)? \| ([^|]*) \|", text, re.MULTILINE)
    table = {}
    for first, second, default in rows:
        table[first] = default
        if second:
            table[second] = default
    return table


def shown(default: object) -> str:
    """A default as the table writes it."""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def test_every_setting_is_documented_with_its_default() -> None:
    table = documented_settings()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = [str(n) for n in alias.choices] if isinstance(alias, AliasChoices) else [str(alias)]
        for name in names:
            assert name in table, f"{name} (core/settings.py) is missing from docs/configuration.md"
            if field.default not in ("", None):
                assert f"`{shown(field.default)}`" in table[name], \
                    f"{name}: docs/configuration.md gives {table[name]!r}, core/settings.py {field.default!r}"


CODE_PATH = re.compile(r"`((?:core|lambda_consumer|lambda_aggregator|dashboard|local|tools|tests|bench|infra|"
                       r"requirements|docs|\.ci|\.streamlit)/[\w/.\-]*)`")
MODULE_NAME = re.compile(r"`((?:core|lambda_consumer|lambda_aggregator|dashboard|local|tools)(?:\.\w+)+)`")


def test_every_path_the_docs_name_exists() -> None:
    missing = [(page.name, path) for page in PAGES for path in CODE_PATH.findall(page.read_text())
               if not (ROOT / path).exists()]
    assert not missing, f"the docs name files the repository does not hold (moved or renamed?): {missing}"


def resolves(dotted: str) -> bool:
    """Whether `dotted` is a module, or an attribute of one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def test_every_module_the_docs_name_exists() -> None:
    missing = [(page.name, name) for page in PAGES for name in MODULE_NAME.findall(page.read_text())
               if not resolves(name)]
    assert not missing, f"the docs name modules or functions that do not exist (moved or renamed?): {missing}"
