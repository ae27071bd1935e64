"""The printed log marks an edited note (when it was last edited); the earlier versions stay
in the log, where its readers find them."""

from __future__ import annotations

from auth.policy import Audience
from models.operations.note import edit_note
from tests.exports.conftest import exported
from tests.factories import World
from tests.graphql import GraphQLClient


async def test_the_pdf_marks_an_edited_note_and_not_the_others(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    note = await world.seed.note(log, "Skrevet en gang", staff=world.holder)
    edited = await world.seed.note(log, "Første utkast", staff=world.holder)
    await edit_note(world.seed.session, edited, edited.version, text="Rettet referat")
    for who, audience in ((world.holder, Audience.STAFF), (world.guardian, Audience.FAMILY)):
        pdf = await exported(client, log, who, audience=audience)
        assert pdf.shows("Rettet referat")
        assert pdf.shows(note.text)
        assert pdf.words.count("Redigert") == 1, who.name
        assert not pdf.shows("Første utkast")  # the PDF prints the note as it stands
