"""The tree shows what ships: the shipped packages never import laptop-only code, each deployable holds
only what runs there and imports only what its lock installs, and every lock pins what the tests ran."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.lambda_zip import build_zip

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("core", "lambda_consumer", "lambda_aggregator", "dashboard")
LAPTOP_ONLY = {"local", "tools", "tests", "bench"}
LAMBDA_RUNTIME = {"boto3", "botocore"}  # Lambda's Python runtime ships these; the zip does not
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)")
# The parts of core and the parts each may import; core's own modules (settings, models, errors, clock, wire)
# are open to every part. Imaging is pure (no AWS); nothing but the operator tools reaches them.
CORE_PARTS: dict[str, set[str]] = {
    "aws": set(),
    "imaging": set(),
    "fetching": {"aws", "imaging"},
    "store": {"aws"},
    "ingest": {"aws", "fetching", "imaging", "store"},
    "stream": {"aws"},
    "logs": {"aws"},
    "ops": {"aws", "fetching", "imaging", "ingest", "store", "stream"},
}
# What the Lambda functions never run, so the zip leaves it out (tools/lambda_zip.py).
NOT_IN_THE_ZIP = ("core.ops", "core.logs")


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Top-level names `path` imports at run time (imports under `if TYPE_CHECKING:` are for mypy only)."""
    tree = ast.parse(path.read_text(), str(path))
    checking_only = {
        id(node) for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for statement in block.body for node in ast.walk(statement)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in checking_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def imported_modules(path: Path) -> set[str]:
    """Full names of the modules `path` imports from our packages (`from core.x import y` counts y if it is a
    module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if module_path(name) is not None}


def module_path(name: str) -> Path | None:
    base = ROOT / name.replace(".", "/")
    return next((path for path in (base.with_suffix(".py"), base / "__init__.py") if path.is_file()), None)


def core_part(name: str) -> str | None:
    """The part of core a module belongs to (None: one of core's own modules, or not core)."""
    bits = name.split(".")
    return bits[1] if bits[0] == "core" and len(bits) > 1 and (ROOT / "core" / bits[1]).is_dir() else None


def imported_by(*packages: str) -> dict[str, set[Path]]:
    found: dict[str, set[Path]] = {}
    for package in packages:
        for path in python_files(package):
            for name in imported(path):
                found.setdefault(name, set()).add(path.relative_to(ROOT))
    return found


def third_party(names: set[str]) -> set[str]:
    return {name for name in names if name not in sys.stdlib_module_names and name not in SHIPPED}


def distributions(modules: set[str]) -> dict[str, set[str]]:
    """module -> the normalised names of the installed distributions that provide it."""
    providers = importlib.metadata.packages_distributions()
    return {module: {normalised(d) for d in providers.get(module, [])} for module in modules}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    found = (PIN.match(line) for line in (ROOT / "requirements" / lock).read_text().splitlines())
    return {normalised(m[1]): m[2] for m in found if m}


def dockerignore_allows() -> set[str]:
    """Paths the build context holds: .dockerignore excludes everything, then lets named paths back in."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    assert "*" in lines, ".dockerignore must start from nothing and allow what the image needs"
    return {line[1:].rstrip("/") for line in lines if line.startswith("!")}


def copied_into_image() -> Iterator[str]:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            yield line.split()[1].rstrip("/")


def test_shipped_packages_never_import_laptop_only_code() -> None:
    found = imported_by(*SHIPPED)
    assert {name: sorted(map(str, found[name])) for name in LAPTOP_ONLY & found.keys()} == {}


def test_core_imports_neither_streamlit_nor_lambda_tooling() -> None:
    found = imported_by("core")
    assert {"streamlit", "aws_lambda_powertools", "pandas", "moto"} & found.keys() == set()


def test_each_part_of_core_imports_only_the_parts_it_builds_on() -> None:
    parts = {path.name for path in (ROOT / "core").iterdir() if (path / "__init__.py").is_file()}
    assert set(CORE_PARTS) == parts
    reaching: dict[str, set[str]] = {}
    for path in python_files("core"):
        own = core_part(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name in imported_modules(path):
            part = core_part(name)
            if own and part and part != own and part not in CORE_PARTS[own]:
                reaching.setdefault(f"{own} -> {part}", set()).add(str(path.relative_to(ROOT)))
            if own is None and part is not None and path.name != "__main__.py":
                reaching.setdefault(f"core's own modules -> {part}", set()).add(str(path.relative_to(ROOT)))
    assert reaching == {}


def test_the_functions_never_import_operator_tools_or_the_log_reader() -> None:
    seen: set[str] = set()
    waiting = [".".join(path.relative_to(ROOT).with_suffix("").parts)
               for package in ("lambda_consumer", "lambda_aggregator") for path in python_files(package)]
    while waiting:
        name = waiting.pop()
        path = module_path(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        waiting += imported_modules(path)
    assert sorted(name for name in seen if name.startswith(NOT_IN_THE_ZIP)) == []


def test_the_dashboard_never_talks_to_botocore_itself() -> None:
    assert {"botocore", "boto3"} & imported_by("dashboard").keys() == set()


def test_lambda_consumer_is_the_function_its_event_contract_and_its_telemetry_only() -> None:
    modules = {path.stem for path in python_files("lambda_consumer")}
    assert modules == {"__init__", "handler", "batch", "contract", "emf", "metrics", "records_log", "tracing"}


def test_lambda_aggregator_is_its_handler_only_and_counting_lives_in_core() -> None:
    assert {path.stem for path in python_files("lambda_aggregator")} == {"__init__", "handler"}


def test_the_dashboard_image_holds_only_the_dashboard_and_core() -> None:
    allowed, copied = dockerignore_allows(), set(copied_into_image())
    assert copied <= allowed
    packages = {path.split("/")[0] for path in copied if (ROOT / path).is_dir()}
    assert packages == {"core", "dashboard"}
    assert "requirements/dashboard.txt" in copied
    assert not any(path.startswith("requirements/dev") for path in copied)


@pytest.mark.parametrize(
    ("packages", "lock", "provided"),
    [(("core", "dashboard"), "dashboard.txt", set()),
     (("core", "lambda_consumer", "lambda_aggregator"), "lambda.txt", LAMBDA_RUNTIME)],
    ids=["dashboard image", "lambda zip"],
)
def test_each_deployable_imports_only_what_its_lock_installs(
    packages: tuple[str, ...], lock: str, provided: set[str]
) -> None:
    locked = set(pins(lock)) | provided
    needed = distributions(third_party(set(imported_by(*packages))))
    missing = {module: sorted(names) for module, names in needed.items() if not names & locked}
    assert missing == {}, f"imported by {packages} but not installed by requirements/{lock}"


def test_the_dashboard_lock_installs_neither_moto_nor_powertools() -> None:
    assert {"moto", "aws-lambda-powertools"} & set(pins("dashboard.txt")) == set()


@pytest.mark.parametrize("lock", ["lambda.txt", "dashboard.txt", "local.txt", "bench.txt"])
def test_every_lock_pins_the_versions_the_tests_ran(lock: str) -> None:
    tested = pins("dev.txt")
    differing = {name: (version, tested[name]) for name, version in pins(lock).items()
                 if name in tested and tested[name] != version}
    assert differing == {}


def test_the_lambda_zip_holds_exactly_the_locked_versions() -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"  # the pins are the same for 3.12
    path, _ = build_zip("x86_64", version, "build/test/lambda-pins.zip")
    names = zipfile.ZipFile(path).namelist()
    installed = {normalised(m[1]): m[2] for name in names
                 if (m := re.match(r"^([^/]+)-([^-/]+)\.dist-info/METADATA$", name))}
    assert installed == pins("lambda.txt")


def test_the_top_level_requirements_file_installs_the_lock_make_run_installs() -> None:
    named = [line.split(None, 1)[1] for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.startswith("-r ")]
    makefile = (ROOT / "Makefile").read_text()
    run_target = re.search(r"^run: \$\(VENV\)/\.installed-(\w+)$", makefile, re.MULTILINE)
    assert run_target is not None and named == [f"requirements/{run_target.group(1)}.txt"]
