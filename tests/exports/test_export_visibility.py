"""A PDF of the log shows what its reader may read, through the same policy table as the API:
the holder sees everything, a guardian their own national id and only the mobiles actors
share, an external actor no national ids, the youth no adults-only notes."""

from __future__ import annotations

from auth.policy import Audience
from tests.exports.conftest import exported
from tests.factories import World
from tests.graphql import GraphQLClient


async def test_the_holder_prints_the_whole_log(client: GraphQLClient, world: World) -> None:
    log = await world.full_log(2)
    pdf = await exported(client, log, world.holder)

    assert pdf.payload["contentType"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    for seen in (
        "Stafettlogg for Ylva Ungdom",
        world.youth.national_id,
        "Storgata 1, 0155 Oslo",
        world.guardian.national_id,
        world.other_guardian.national_id,
        "+47 900 00 002",  # the actor's mobile
        "+47 900 00 003",  # the external actor's mobile
        "Konsentrasjon i timene",
        "Vi ser at hun holder fokus en hel økt",
        "Faste pauser hver 20. minutt",
        "Gul",
        "Noe effekt av tiltaket",
        "Bedre etter to uker",
        "Til stede: Hanne Holder",
        "Til alle",
        "Bare for voksne",
        "Kun for voksne",
        "Hun rakk opp hånda i matte i dag!",
        "Bakken skole",
        "Helsestasjonen",
        "Deling med andre tjenester",
        f"Logg-ID {log.id}",
        "Utskrevet av Hanne Holder",
        "Side 1",
    ):
        assert pdf.shows(seen), seen


async def test_a_guardian_never_sees_an_unshared_mobile_or_the_other_guardians_national_id(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(2)
    pdf = await exported(client, log, world.guardian, audience=Audience.FAMILY)

    assert pdf.shows(world.guardian.national_id)
    assert not pdf.shows(world.other_guardian.national_id)
    assert pdf.shows("Marit Foresatt")  # the other guardian's name and phone are shared
    assert pdf.shows("+47 900 00 002")  # the actor shares their mobile with the family
    assert not pdf.shows("+47 900 00 003")  # the external actor does not
    assert not pdf.shows("+47 900 00 001")  # nor does the holder
    assert pdf.shows(world.youth.national_id)
    assert pdf.shows("Bare for voksne")  # adults-only is hidden from the youth, not from them
    assert pdf.shows("Utskrevet av Gunnar Foresatt")


async def test_an_external_actor_at_level_2_sees_no_national_id_and_no_consent_form(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(2)
    pdf = await exported(client, log, world.external)

    assert pdf.shows("Ylva Ungdom")
    assert pdf.shows("Faste pauser hver 20. minutt")
    assert pdf.shows("Til alle")
    assert not pdf.shows(world.youth.national_id)
    assert not pdf.shows("Storgata 1")
    assert not pdf.shows(world.guardian.national_id)
    assert not pdf.shows(world.other_guardian.national_id)
    assert not pdf.shows("Fødselsnummer")
    assert not pdf.shows("PDF, 43 B")  # the signed consent forms are not theirs to see
    assert pdf.shows("Deling med andre tjenester")  # consent status is


async def test_the_youth_does_not_see_adults_only_notes_nor_any_mobile(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(2)
    pdf = await exported(client, log, world.youth, audience=Audience.FAMILY)

    assert pdf.shows("Til alle")
    assert not pdf.shows("Bare for voksne")
    assert not pdf.shows("Kun for voksne")
    assert pdf.shows(world.youth.national_id)
    assert not pdf.shows(world.guardian.national_id)
    assert not pdf.shows("+47 900 00 002")
    assert not pdf.shows("Mobil")
    assert pdf.text.count("PDF, 43 B") == 1  # their own consent form, not the guardian's
    assert pdf.shows("Utskrevet av Ylva Ungdom")


async def test_a_unit_manager_prints_the_summary_and_actors_but_no_content(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(2)
    pdf = await exported(client, log, world.manager)

    assert pdf.shows("Ylva Ungdom")
    assert pdf.shows("Hanne Holder")
    assert pdf.shows("Deling med andre tjenester")
    for hidden in (
        world.youth.national_id,
        "Konsentrasjon i timene",
        "Faste pauser",
        "Til alle",
        "Hun rakk opp hånda",
        "Gunnar Foresatt",
        "+47 900 00 002",
    ):
        assert not pdf.shows(hidden), hidden


async def test_measures_stay_out_of_the_holders_print_at_level_0(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(0)
    pdf = await exported(client, log, world.holder)

    assert pdf.shows("Konsentrasjon i timene")  # points: from level 0
    assert not pdf.shows("Faste pauser hver 20. minutt")  # measures: from level 1


async def test_the_log_prints_in_english_when_asked(client: GraphQLClient, world: World) -> None:
    log = await world.full_log(2)
    pdf = await exported(client, log, world.holder, language="EN")

    assert pdf.payload["language"] == "EN"
    for seen in (
        "Relay log for Ylva Ungdom",
        "Points of attention",
        "Some effect by the measure",
        "Yellow",
        "Printed by Hanne Holder",
        "Page 1",
        "Sparkles",
    ):
        assert pdf.shows(seen), seen
    assert not pdf.shows("Oppmerksomhetspunkter")
