"""Every word the worker mails, in one place: the English message ids here, every language's
words in the ``mail`` catalogs (models/i18n/locale/*/LC_MESSAGES/mail.po). The person's
chosen language picks the catalog; all ten are complete (tests/i18n).

A mail carries **no personal data**: no child, no name, no content, no level or kind of
entry — only that there is something to read and a link to sign in. Placeholders: ``{link}``
(the sign-in link) and nothing else, so no text here can ever be filled with a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.i18n import N_, Domain, Language, translate

__all__ = ["MAIL_MESSAGES", "MAIL_TEXTS", "MailText", "mail_text"]


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    body: str


_FOOTER = N_(
    "You get this e-mail because you follow a relay log. Choose to be told at once, "
    "once a day or not at all under \u201cNotifications\u201d when signed in.\n"
    "This e-mail cannot be answered."
)

MAIL_TEXTS: dict[str, MailText] = {
    "NEWS": MailText(
        N_("News in a relay log you follow"),
        N_("There is news in a relay log you follow. Sign in to read it:\n{link}"),
    ),
    "DIGEST": MailText(
        N_("News in relay logs you follow"),
        N_(
            "There is news in relay logs you follow since the last summary. Sign in to read "
            "it:\n{link}"
        ),
    ),
    "REMINDER": MailText(
        N_("Reminder from a relay log you follow"),
        N_(
            "A deadline or a meeting is coming up in a relay log you follow. Sign in to see "
            "what it is:\n{link}"
        ),
    ),
    "REPORT": MailText(
        N_("Check of passive relay logs"),
        N_(
            "It is time for the half-yearly check of your unit's relay logs. The report of "
            "passive logs is ready. Sign in to read it:\n{link}"
        ),
    ),
}

# The message ids of the mail catalogs (tests/i18n checks every catalog holds each).
MAIL_MESSAGES: tuple[str, ...] = (
    *(m for text in MAIL_TEXTS.values() for m in (text.subject, text.body)),
    _FOOTER,
)


def mail_text(kind: str, language: Language, link: str) -> MailText:
    """The subject and body of this kind of mail in this language, with the link."""
    text = MAIL_TEXTS[kind]
    subject = translate(Domain.MAIL, language, text.subject)
    body = translate(Domain.MAIL, language, text.body, link=link)
    return MailText(subject, body + "\n\n" + translate(Domain.MAIL, language, _FOOTER))
