"""A meeting's calendar invitation (``text/calendar``, RFC 5545), built with ``icalendar``.

One file per invitee: it names that person as the attendee and the relay holder as the
organiser. A calendar file leaves the service (it is imported into calendar systems that
are not the log's), so it carries only what a calendar needs: when, where, whether it is
cancelled, that it is a relay log meeting, and those two people. No agenda, no comments,
and the child is named only where she is the attendee (the youth's own invitation names
her, as any invitee's names them); a guardian's or an actor's file does not name the
child. The invitee reads the rest in the log. The same meeting always has the same
``UID``, and ``SEQUENCE`` is the meeting's version, so a rescheduled or cancelled meeting's
new file replaces the old entry (``STATUS:CANCELLED`` once it is cancelled).

Times are the meeting's Europe/Oslo wall-clock times, written in UTC so that no time-zone
table has to travel with the file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from models.enums import MeetingStatus

__all__ = ["CALENDAR_CONTENT_TYPE", "Invitation", "Person", "invitation_ics"]

CALENDAR_CONTENT_TYPE = "text/calendar"
OSLO = ZoneInfo("Europe/Oslo")
PRODUCT = "-//Relay Log//Stafettloggen//NB"
SUMMARY = "Stafettloggmøte"
DESCRIPTION = "Møte i stafettloggen. Dagsorden og referat finner du i stafettloggen."
CANCELLED_SUMMARY = "AVLYST: Stafettloggmøte"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Invitation:
    """What the file says about one meeting, for one invitee."""

    meeting_id: uuid.UUID
    version: int
    held_on: date
    starts_at: time
    ends_at: time
    place: str
    organisation: str | None
    status: MeetingStatus
    organiser: Person | None
    attendee: Person | None


def _utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=OSLO).astimezone(UTC)


def _address(person: Person, role: str) -> vCalAddress:
    # A person without a known e-mail is named, not addressed (RFC 5545 allows any URI).
    address = vCalAddress(f"mailto:{person.email}" if person.email else "urn:relaylog:person")
    address.params["CN"] = vText(person.name)
    if role:
        address.params["ROLE"] = vText(role)
    return address


def invitation_ics(invitation: Invitation, *, now: datetime) -> bytes:
    """The invitation as a calendar file (UTF-8, CRLF lines)."""
    cancelled = invitation.status is MeetingStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")  # a file to import, not an iTIP exchange
    event = Event()
    event.add("uid", f"{invitation.meeting_id}@relaylog")
    event.add("sequence", invitation.version)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", _utc(invitation.held_on, invitation.starts_at))
    event.add("dtend", _utc(invitation.held_on, invitation.ends_at))
    event.add("summary", CANCELLED_SUMMARY if cancelled else SUMMARY)
    event.add("description", DESCRIPTION)
    where = ", ".join(part for part in (invitation.place, invitation.organisation) if part)
    if where:
        event.add("location", where)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if invitation.organiser is not None:
        event.add("organizer", _address(invitation.organiser, ""))
    if invitation.attendee is not None:
        event.add("attendee", _address(invitation.attendee, "REQ-PARTICIPANT"))
    calendar.add_component(event)
    content: bytes = calendar.to_ical()
    return content
