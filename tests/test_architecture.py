"""The shape of the code: which module may import or write what, checked on the source itself."""

import ast
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import models

from registry import enums

ROOT = Path(__file__).resolve().parent.parent
# ORM calls that write. A reader that makes one is a second write path beside projects.services.
WRITE_CALLS = {"save", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def python_files(*folders: str) -> list[Path]:
    return sorted(
        path for folder in folders for path in (ROOT / folder).rglob("*.py") if "migrations" not in path.parts
    )


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def write_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_CALLS
    ]


def test_partners_never_imports_the_projects_app():
    """String foreign keys only, so that partners can be read (and tested) alone."""
    offending = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "projects")
        for path in python_files("partners")
    }
    assert {path: modules for path, modules in offending.items() if modules} == {}


@pytest.mark.parametrize("folder", ["projects/seed.py", "projects/importing", "projects/synthetic.py"])
def test_the_seed_the_importer_and_the_generator_only_read_and_hand_over_to_the_write_layer(folder):
    paths = [ROOT / folder] if folder.endswith(".py") else python_files(folder)
    assert [call for path in paths for call in write_calls(path)] == []


def test_the_write_layer_is_where_project_links_are_written():
    """The probe above must be able to see a write: the layer itself makes them."""
    assert write_calls(ROOT / "projects/services/projects.py") != []


def test_every_vocabulary_is_in_registry_enums():
    ours = [
        choices
        for choices in (*models.TextChoices.__subclasses__(), *models.IntegerChoices.__subclasses__())
        if choices.__module__.split(".")[0] in {"projects", "partners", "registry"}
    ]
    assert enums.Theme in ours and {choices.__module__ for choices in ours} == {"registry.enums"}


@pytest.mark.django_db
def test_the_migrations_describe_the_models():
    output = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit as exit:
        pytest.fail(f"makemigrations would write a migration (exit {exit.code}):\n{output.getvalue()}")


@pytest.mark.parametrize("folder", ["projects/facets.py", "projects/search.py", "projects/filters.py"])
def test_the_public_index_is_written_only_by_the_write_layer(folder):
    """Search, facets and filters read the index that projects.services.index keeps."""
    paths = [ROOT / folder]
    assert [call for path in paths for call in write_calls(path)] == []
