"""The catalogs' workflow (docs/languages.md): templates from the code, new messages into
every catalog, and a report of what each language still lacks.

    .venv/bin/python scripts/i18n.py extract      # models/i18n/locale/<domain>.pot
    .venv/bin/python scripts/i18n.py update       # merge the templates into every .po
    .venv/bin/python scripts/i18n.py add xx       # a new language: empty catalogs for xx
    .venv/bin/python scripts/i18n.py missing      # what each required catalog lacks

``update`` keeps every translation, marks nothing fuzzy on its own and drops messages the code
no longer has (Babel's ``Catalog.update``; a changed English text is a new message id, so its
old translation becomes obsolete and the test fails until it is translated again).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.i18n import LOCALE_DIR, Domain, Language, catalog_path
from relaylog.i18n_messages import messages, required_languages

MACHINE = (
    "Relay Log message catalog ({domain}, {language}).\n"
    "Machine-translated by the Relay Log project; it needs review by a native speaker\n"
    "(docs/languages.md says how a review is recorded).\n"
)
SOURCE = "Relay Log message catalog ({domain}, {language}): the source language.\n"


def template(domain: Domain) -> Catalog:
    catalog = Catalog(project="Relay Log", domain=domain.value, charset="utf-8")
    for message in messages(domain):
        catalog.add(message.id, context=message.context, locations=[(message.where, 0)])
    return catalog


def header(domain: Domain, language: Language) -> str:
    text = SOURCE if language is Language.EN else MACHINE
    lines = text.format(domain=domain.value, language=language.value).splitlines()
    return "\n".join(f"# {line}" for line in lines)


def write(path: Path, catalog: Catalog) -> None:
    catalog.fuzzy = False
    catalog.project, catalog.version = "Relay Log", "0.1"
    catalog.msgid_bugs_address = ""
    if catalog.locale is not None:
        catalog.last_translator = "Relay Log project (machine translation, not yet reviewed)"
        catalog.language_team = f"{catalog.locale} (review wanted: docs/languages.md)"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True, include_lineno=False)


def extract() -> None:
    for domain in Domain:
        write(LOCALE_DIR / f"{domain.value}.pot", template(domain))


def update() -> None:
    for domain in Domain:
        for language in Language:
            path = catalog_path(domain, language)
            if not path.exists():
                continue
            # A template of its own: Babel's ``update`` adopts the template's new entries
            # themselves, so English filled in below would reach every catalog after it.
            pot = template(domain)
            with path.open("rb") as f:
                catalog = read_po(f, locale=language.value, domain=domain.value)
            catalog.update(pot, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            if language is Language.EN:
                for message in catalog:
                    if message.id and not message.string:
                        message.string = message.id
            write(path, catalog)


def add(code: str) -> None:
    print(f"Add {code!r} to models.i18n.Language first, then run `update` and translate.")
    for domain in Domain:
        catalog = Catalog(locale=code, domain=domain.value, project="Relay Log")
        lines = MACHINE.format(domain=domain.value, language=code).splitlines()
        catalog.header_comment = "\n".join(f"# {line}" for line in lines)
        catalog.revision_date = datetime.now(UTC)
        path = LOCALE_DIR / code / "LC_MESSAGES" / f"{domain.value}.po"
        if not path.exists():
            write(path, catalog)


def missing() -> int:
    gaps = 0
    for domain in Domain:
        for language in Language:
            wanted = {
                (m.context, m.id)
                for m in messages(domain)
                if language in required_languages(domain, m)
            }
            path = catalog_path(domain, language)
            have: set[tuple[str | None, str]] = set()
            if path.exists():
                with path.open("rb") as f:
                    catalog = read_po(f, locale=language.value)
                have = {(m.context, str(m.id)) for m in catalog if m.id and m.string}
            for context, msgid in sorted(wanted - have, key=str):
                gaps += 1
                print(f"{language.value}/{domain.value}: {context or ''}|{msgid}")
    return 1 if gaps else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "add":
        add(sys.argv[2])
    else:
        raise SystemExit(missing())
