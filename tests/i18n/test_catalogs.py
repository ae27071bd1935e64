"""The catalogs are complete: every message the code speaks is in every catalog that must
have it, no catalog holds a message the code no longer has, placeholders survive
translation, and every machine-translated catalog says so."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from models.i18n import (
    FALLBACK,
    FAMILY_LANGUAGES,
    LOCALE_DIR,
    Domain,
    Language,
    catalog_path,
    translate,
)
from relaylog.i18n_messages import (
    ERROR_KEYWORDS,
    ERROR_SOURCES,
    FAMILY_ERRORS,
    ROOT,
    messages,
    required_languages,
)

CASES = [(domain, language) for domain in Domain for language in Language]


def _catalog(domain: Domain, language: Language) -> dict[tuple[str | None, str], str]:
    path = catalog_path(domain, language)
    if not path.exists():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=language.value, domain=domain.value)
    return {(m.context, str(m.id)): str(m.string) for m in catalog if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize(("domain", "language"), CASES, ids=lambda x: str(x))
def test_every_message_the_code_speaks_is_in_every_catalog_that_must_have_it(
    domain: Domain, language: Language
) -> None:
    catalog = _catalog(domain, language)
    wanted = [m for m in messages(domain) if language in required_languages(domain, m)]
    missing = [
        f"{m.where}: {m.id!r}" for m in wanted if not catalog.get((m.context, m.id), "").strip()
    ]
    assert missing == []


@pytest.mark.parametrize(("domain", "language"), CASES, ids=lambda x: str(x))
def test_no_catalog_holds_a_message_the_code_no_longer_has(
    domain: Domain, language: Language
) -> None:
    known = {(m.context, m.id) for m in messages(domain)}
    assert sorted(set(_catalog(domain, language)) - known, key=str) == []


@pytest.mark.parametrize(("domain", "language"), CASES, ids=lambda x: str(x))
def test_a_translation_keeps_the_placeholders_of_its_message(
    domain: Domain, language: Language
) -> None:
    wrong = [
        (msgid, text)
        for (_, msgid), text in _catalog(domain, language).items()
        if text and _fields(text) != _fields(msgid)
    ]
    assert wrong == []


@pytest.mark.parametrize("language", [x for x in Language if x is not Language.EN])
def test_every_catalog_says_it_was_machine_translated_and_needs_a_native_speaker(
    language: Language,
) -> None:
    for domain in Domain:
        path = catalog_path(domain, language)
        if path.exists():
            head = path.read_text(encoding="utf-8").split('msgid ""')[0]
            if "# Reviewed by " in head:  # docs/languages.md: how a review is recorded
                continue
            assert "Machine-translated by the Relay Log project" in head, path
            assert "review by a native speaker" in head, path


def test_the_family_languages_have_the_printed_log_and_the_mails_whole() -> None:
    for language in FAMILY_LANGUAGES:
        for domain in (Domain.PDF, Domain.MAIL):
            assert len(_catalog(domain, language)) == len(messages(domain))
        assert FALLBACK[language] is Language.EN  # an API error they meet reads in English


def test_northern_sami_has_the_errors_the_family_meets_and_falls_back_to_bokmal() -> None:
    assert {m.id for m in messages(Domain.ERRORS)} >= FAMILY_ERRORS  # none stale
    assert translate(Domain.ERRORS, Language.SE, "Sign in first.") == "Čálit sisa vuos."
    staff_only = "You cannot deactivate your own account."
    assert staff_only not in FAMILY_ERRORS
    assert translate(Domain.ERRORS, Language.SE, staff_only) == translate(
        Domain.ERRORS, Language.NB, staff_only
    )


def _calls_with_a_message(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ERROR_KEYWORDS
        and ERROR_KEYWORDS[node.func.id] is None
        and node.args
    ]


def test_no_error_message_is_built_where_the_catalog_cannot_see_it() -> None:
    """Babel extracts literals only: an f-string (or any other expression) as a typed error's
    message would be English for every reader. A name is allowed where it is a constant that
    is marked ``N_`` where it is defined (``Conflict.default_message``, ``_TOO_LARGE``)."""
    built = []
    for package in ERROR_SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for call in _calls_with_a_message(ast.parse(path.read_text(encoding="utf-8"))):
                first = call.args[0]
                literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                constant = isinstance(first, (ast.Name, ast.Attribute))
                if not (literal or constant):
                    built.append(f"{Path(path).relative_to(ROOT)}:{call.lineno}")
    assert built == []


def test_the_templates_are_current() -> None:
    """``scripts/i18n.py extract`` was run: translators work from what the code says."""
    for domain in Domain:
        path = LOCALE_DIR / f"{domain.value}.pot"
        with path.open("rb") as f:
            template = read_po(f)
        assert {(m.context, str(m.id)) for m in template if m.id} == {
            (m.context, m.id) for m in messages(domain)
        }, f"run: .venv/bin/python scripts/i18n.py extract ({path.name})"


def test_every_member_of_every_labelled_enumeration_has_a_label() -> None:
    """A new member (a status, a category) needs its English label, and so its message."""
    from models.i18n.enums import ENGLISH
    from schema.labels import LABELLED

    assert {
        enum.__name__: sorted({m.value for m in enum} ^ set(ENGLISH[enum.__name__]))
        for enum in LABELLED
        if {m.value for m in enum} != set(ENGLISH[enum.__name__])
    } == {}
