"""Meeting invitations as iCalendar (RFC 5545) text."""

from datetime import UTC, timedelta

from django.utils import timezone

from tandem.sales.models import Activity

MEETING_LENGTH = timedelta(hours=1)


def _text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    raw, parts = line.encode(), []
    while len(raw) > 75:
        cut = 75
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        parts.append(raw[:cut].decode())
        raw = b" " + raw[cut:]
    parts.append(raw.decode())
    return "\r\n".join(parts)


def _stamp(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def invitation(act: Activity, *, organizer_email: str, host: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tandem//CRM//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:activity-{act.pk}@{host}",
        f"DTSTAMP:{_stamp(timezone.now())}",
        f"DTSTART:{_stamp(act.due_at)}",
        f"DTEND:{_stamp(act.due_at + MEETING_LENGTH)}",
        f"SUMMARY:{_text(act.subject)}",
        f"DESCRIPTION:{_text(act.notes)}",
        f"ORGANIZER:mailto:{organizer_email}",
    ]
    if act.person_id and act.person.email:
        lines.append(f"ATTENDEE;RSVP=TRUE:mailto:{act.person.email}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
