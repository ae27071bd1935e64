"""The documents say what the code does: the generated tables (policy, settings) match their
sources, every setting is documented, links between the documents resolve, and nothing points
to a design file outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relaylog.settings import PROJECT_ROOT, Settings
from tests.docs.tables import GENERATED, SETTING_MEANINGS, generated_part

DOCUMENTS = [*sorted((PROJECT_ROOT / "docs").glob("*.md")), PROJECT_ROOT / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+\.md)(#[^)]*)?\)")


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_a_generated_table_is_what_the_code_says(name: str) -> None:
    _, render = GENERATED[name]

    assert generated_part(name) == render(), (
        f"docs/{GENERATED[name][0]} is out of date: run .venv/bin/python -m tests.docs.tables"
    )


def test_every_setting_has_a_meaning_in_the_deployment_guide() -> None:
    assert set(SETTING_MEANINGS) == set(Settings.model_fields)


def _anchor(heading: str) -> str:
    return "#" + re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_links_between_the_documents_resolve(document: Path) -> None:
    for target, anchor in LINK.findall(document.read_text()):
        path = (document.parent / target).resolve()
        assert path.exists(), f"{document.name} links to {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(), flags=re.MULTILINE)
            assert anchor in {_anchor(h) for h in headings}, f"{document.name}: {target}{anchor}"


def test_nothing_refers_to_a_design_file_outside_the_repository() -> None:
    sources = [
        *(
            path
            for folder in ("relaylog", "models", "auth", "schema", "resolvers", "exports", "tests")
            for path in (PROJECT_ROOT / folder).rglob("*.py")
            if path.name != "test_docs.py"
        ),
        *DOCUMENTS,
    ]

    assert [path.name for path in sources if "DESIGN.md" in path.read_text()] == []
