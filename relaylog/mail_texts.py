"""Every word the worker mails, in one place: bokmål and English for now (the full catalogs,
nynorsk and Northern Sami included, come with gettext; the keys here are the message ids).

A mail carries **no personal data**: no child, no name, no content, no level or kind of
entry — only that there is something to read and a link to sign in. Placeholders: ``{link}``
(the sign-in link) and nothing else, so no text here can ever be filled with a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.notification import Language

__all__ = ["MAIL_TEXTS", "MailText", "mail_text"]


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    body: str


_FOOTER = {
    Language.NB: (
        "\n\nDu får denne e-posten fordi du følger en stafettlogg. Du kan velge å få "
        "varsler straks, én gang om dagen eller ikke i det hele tatt under «Varsler» når du "
        "er logget inn.\nDenne e-posten kan ikke besvares."
    ),
    Language.EN: (
        "\n\nYou get this e-mail because you follow a relay log. Choose to be told at once, "
        "once a day or not at all under \u201cNotifications\u201d when signed in.\n"
        "This e-mail cannot be answered."
    ),
}

MAIL_TEXTS: dict[str, dict[Language, MailText]] = {
    "NEWS": {
        Language.NB: MailText(
            "Nytt i en stafettlogg du følger",
            "Det er nytt i en stafettlogg du følger. Logg inn for å lese det:\n{link}",
        ),
        Language.EN: MailText(
            "News in a relay log you follow",
            "There is news in a relay log you follow. Sign in to read it:\n{link}",
        ),
    },
    "DIGEST": {
        Language.NB: MailText(
            "Nytt i stafettlogger du følger",
            "Det er nytt i stafettlogger du følger siden forrige oppsummering. Logg inn for å "
            "lese det:\n{link}",
        ),
        Language.EN: MailText(
            "News in relay logs you follow",
            "There is news in relay logs you follow since the last summary. Sign in to read "
            "it:\n{link}",
        ),
    },
    "REMINDER": {
        Language.NB: MailText(
            "Påminnelse fra en stafettlogg du følger",
            "En frist eller et møte nærmer seg i en stafettlogg du følger. Logg inn for å se "
            "hva det gjelder:\n{link}",
        ),
        Language.EN: MailText(
            "Reminder from a relay log you follow",
            "A deadline or a meeting is coming up in a relay log you follow. Sign in to see "
            "what it is:\n{link}",
        ),
    },
    "REPORT": {
        Language.NB: MailText(
            "Kontroll av passive stafettlogger",
            "Det er tid for den halvårlige kontrollen av stafettloggene i enheten din. "
            "Rapporten over passive logger er klar. Logg inn for å lese den:\n{link}",
        ),
        Language.EN: MailText(
            "Check of passive relay logs",
            "It is time for the half-yearly check of your unit's relay logs. The report of "
            "passive logs is ready. Sign in to read it:\n{link}",
        ),
    },
}


def mail_text(kind: str, language: Language, link: str) -> MailText:
    """The subject and body of this kind of mail in this language, with the link."""
    text = MAIL_TEXTS[kind].get(language) or MAIL_TEXTS[kind][Language.NB]
    footer = _FOOTER.get(language, _FOOTER[Language.NB])
    return MailText(text.subject, text.body.format(link=link) + footer)
