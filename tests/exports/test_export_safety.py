"""What people write is text on the page, never markup, and rendering fetches nothing: no
URL, no local file, only the embedded font."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from auth.policy import Audience
from exports import pdf as pdf_module
from exports.pdf import FONT_FILES, FetchGuard, html_to_pdf
from tests.exports.conftest import exported, pdf_text
from tests.factories import World
from tests.graphql import GraphQLClient


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on this machine that records whether anyone connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


def nobody_connected(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


@pytest.fixture
def guards(monkeypatch: pytest.MonkeyPatch) -> list[FetchGuard]:
    """Every fetch guard the exports make, so a test can read what was asked of them."""
    made: list[FetchGuard] = []

    class Recording(FetchGuard):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(pdf_module, "FetchGuard", Recording)
    return made


async def test_markup_in_a_note_is_printed_as_text_and_nothing_is_fetched(
    client: GraphQLClient, world: World, listener: socket.socket, guards: list[FetchGuard]
) -> None:
    port = listener.getsockname()[1]
    log = await world.full_log(2)
    markup = (
        f'<img src="http://127.0.0.1:{port}/x.png"> <img src="file:///etc/passwd"> '
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css"> <b>fet</b> &amp;'
    )
    await world.seed.note(log, markup, guardian=world.guardian)
    await world.seed.sparkle(log, f"<script>alert(1)</script><img src=x:{port}>", staff=world.actor)

    pdf = await exported(client, log, world.guardian, audience=Audience.FAMILY)

    assert markup in pdf.words
    assert f"<script>alert(1)</script><img src=x:{port}>" in pdf.words
    assert "root:" not in pdf.text
    assert nobody_connected(listener)
    [guard] = guards
    # asked for the two text fonts, nothing else (a fallback font only for a script that needs it)
    assert set(guard.asked) == {"relaylog-font:regular", "relaylog-font:bold"}
    assert guard.refused == []


async def test_names_from_other_alphabets_print_and_only_glyphs_no_font_has_become_a_mark(
    client: GraphQLClient, world: World
) -> None:
    """Chinese and Tigrinya come from the fallback fonts; Linear B is in none of them."""
    log = await world.full_log(1)
    await world.seed.note(
        log,
        "Ærlig og rå: Åse Øvre, Čáslav Ŋuorjjot, Σοφία, Мария, 中文, ሰላም, \U00010000",
        staff=world.holder,
    )

    pdf = await exported(client, log, world.holder)

    assert "Ærlig og rå: Åse Øvre, Čáslav Ŋuorjjot, Σοφία, Мария, 中文, ሰላም, \ufffd" in pdf.words


def test_even_markup_that_reached_the_renderer_could_fetch_nothing(
    listener: socket.socket,
) -> None:
    """Defence in depth: were the template ever to let markup through, the fetch guard and the
    resource policy would still refuse every address but the font."""
    port = listener.getsockname()[1]
    html = f"""<html><head>
<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">
<style>@import url("http://127.0.0.1:{port}/i.css");
@font-face {{ font-family: x; src: url("file:///etc/passwd"); }}
body {{ background-image: url("http://127.0.0.1:{port}/b.png"); }}</style>
</head><body><p>Hei</p>
<img src="http://127.0.0.1:{port}/x.png"><img src="file:///etc/passwd">
<img src="/etc/hostname"><img src="../../pyproject.toml"></body></html>"""
    guard = FetchGuard()

    content = html_to_pdf(html, guard)

    assert nobody_connected(listener)
    assert "Hei" in pdf_text(content)
    assert guard.refused  # asked, and refused
    assert not set(guard.refused) & set(FONT_FILES)


def test_the_fetch_guard_hands_out_the_fonts_and_nothing_else() -> None:
    guard = FetchGuard()
    fonts: dict[str, Any] = {uri: guard(uri) for uri in FONT_FILES}

    assert fonts == {uri: str(path) for uri, path in FONT_FILES.items()}
    assert guard("file:///etc/passwd") == pdf_module.NOTHING
    assert guard("http://169.254.169.254/latest/meta-data/") == pdf_module.NOTHING
    assert guard.refused == ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/"]
