"""The layers' import rules (docs/design.md, "Imports point one way") hold in the code:
``relaylog → schema → resolvers → (exports, auth) → models``, read from every ``import`` of
every module of the service with ``ast`` — at module level or inside a function, under
``TYPE_CHECKING`` or not, absolute or relative, and ``importlib.import_module("...")`` with a
literal name. Each failure lists every offending ``file:line → imported module``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The packages of the service, each with its tier: a module imports only from lower tiers.
TIER = {"relaylog": 4, "schema": 3, "resolvers": 2, "exports": 1, "auth": 1, "models": 0}

# What a rule lets through that the tiers alone would not: (importing package, imported module
# or package) → why. Keep it tiny; docs/design.md states each entry as part of the rule.
ALLOWED: dict[tuple[str, str], str] = {
    ("exports", "auth.policy"): "the printed log and the archive record the kinds of data "
    "(PolicyField) and the relation they print for; the policy is data, exports decides "
    "nothing about access",
}

# "the domain knows no GraphQL, no viewer, no settings"
WEB_AND_GRAPHQL = ("strawberry", "graphql", "starlette", "uvicorn")


@dataclass(frozen=True)
class Import:
    path: str  # relative to the project root
    line: int
    module: str  # absolute dotted name

    @property
    def package(self) -> str:
        return self.path.split("/")[0]

    @property
    def target(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.path}:{self.line} → {self.module}"


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted name of a module file, and whether it is a package's ``__init__``."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _exists(module: str, root: Path) -> bool:
    base = root.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _called(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every module ``path`` imports, by absolute name (``from p import m``: ``p.m`` when
    ``m`` is a module, else ``p``)."""
    name, is_package = _module_name(path, root)
    package = name if is_package else name.rpartition(".")[0]
    relative = path.relative_to(root).as_posix()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(relative, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found = submodule if alias.name != "*" and _exists(submodule, root) else source
                yield Import(relative, node.lineno, found)
        elif (
            isinstance(node, ast.Call)
            and _called(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield Import(relative, node.lineno, node.args[0].value)


def service_imports(root: Path = ROOT) -> list[Import]:
    """Every import between modules of the service's packages (and of anything else)."""
    found = []
    for package in TIER:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(sorted(_imports_of(path, root), key=lambda i: (i.line, i.module)))
    return found


def _allowed(found: Import) -> bool:
    return any(
        found.package == package and (found.module == name or found.module.startswith(f"{name}."))
        for package, name in ALLOWED
    )


def offences(found: list[Import]) -> str:
    return "\n" + "\n".join(str(i) for i in found)


IMPORTS = service_imports()
BETWEEN_LAYERS = [i for i in IMPORTS if i.target in TIER and i.target != i.package]


def test_the_rules_see_the_imports_the_service_has() -> None:
    # The collector is not blind: schema reads resolvers, resolvers read auth, the CLI wires.
    pairs = {(i.package, i.target) for i in BETWEEN_LAYERS}

    assert {("schema", "resolvers"), ("resolvers", "auth"), ("relaylog", "schema")} <= pairs


def test_imports_point_one_way() -> None:
    upward_or_sideways = [
        i for i in BETWEEN_LAYERS if TIER[i.target] >= TIER[i.package] and not _allowed(i)
    ]

    assert upward_or_sideways == [], offences(upward_or_sideways)


def test_models_import_none_of_the_other_layers_and_no_graphql_or_web() -> None:
    from_models = [
        i
        for i in IMPORTS
        if i.package == "models"
        and (i.target in TIER or i.target in WEB_AND_GRAPHQL)
        and i.target != "models"
    ]

    assert from_models == [], offences(from_models)


def test_auth_never_imports_schema_or_resolvers() -> None:
    from_auth = [
        i for i in BETWEEN_LAYERS if i.package == "auth" and i.target in {"schema", "resolvers"}
    ]

    assert from_auth == [], offences(from_auth)


def test_relaylog_is_imported_by_no_other_layer() -> None:
    # Its CLI is relaylog/cli.py; tests, benchmarks and scripts/ are outside the layers.
    into_relaylog = [i for i in BETWEEN_LAYERS if i.target == "relaylog"]

    assert into_relaylog == [], offences(into_relaylog)


def test_every_allowed_exception_is_still_needed() -> None:
    used = {
        (package, name)
        for package, name in ALLOWED
        for i in BETWEEN_LAYERS
        if i.package == package and (i.module == name or i.module.startswith(f"{name}."))
    }

    assert set(ALLOWED) == used


def test_every_kind_of_import_is_seen_with_relative_ones_resolved(tmp_path: Path) -> None:
    (tmp_path / "models" / "i18n").mkdir(parents=True)
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "i18n" / "__init__.py").write_text("from . import messages\n")
    (tmp_path / "models" / "i18n" / "messages.py").write_text(
        "import exports.labels as labels\n"
        "from ..enums import Level\n"
        "from .. import enums\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from schema import build\n"
        "def later():\n"
        "    from relaylog.mail_texts import MAIL_MESSAGES\n"
        "    import importlib\n"
        "    return importlib.import_module('resolvers.views')\n"
    )
    (tmp_path / "models" / "enums.py").write_text("")

    found = [str(i) for i in service_imports(tmp_path)]

    assert found == [
        "models/i18n/__init__.py:1 → models.i18n.messages",
        "models/i18n/messages.py:1 → exports.labels",
        "models/i18n/messages.py:2 → models.enums",
        "models/i18n/messages.py:3 → models.enums",
        "models/i18n/messages.py:4 → typing",
        "models/i18n/messages.py:6 → schema",
        "models/i18n/messages.py:8 → relaylog.mail_texts",
        "models/i18n/messages.py:9 → importlib",
        "models/i18n/messages.py:10 → resolvers.views",
    ]
