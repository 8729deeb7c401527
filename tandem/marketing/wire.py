"""A campaign message put together as the bytes SMTP sends, by substitution.

What every message of a batch shares (sender, date, link prefixes, boundary, part headers) is
written once; each recipient adds their subject, address, tokens and body, encoded with the C
quoted-printable encoder. Building a MIME tree per recipient costs several times more than the
sending itself. Tests parse what the SMTP server received, so the wire form is checked as mail.
"""

import binascii
import email
import email.policy
import secrets
import smtplib
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage

from tandem.marketing import mailer


class Raw:
    """A message as its bytes; parsed only if a backend asks more of it than its bytes."""

    def __init__(self, data: bytes, policy):
        self.data, self._policy, self._parsed = data, policy, None

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self.data

    def __getattr__(self, name):
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.data, policy=self._policy)
        return getattr(self._parsed, name)


class Prepared:
    """A message already made bytes, with its envelope. Not an EmailMessage: building one per
    recipient (address parsing, headers) cost a twentieth of a batch's time; one is made only
    for a backend that has no SMTP connection to write the bytes to."""

    __slots__ = ("data", "to", "from_email", "envelope_from")

    def __init__(self, data: bytes, *, to: str, from_email: str, envelope_from: str):
        self.data, self.to = data, [to]
        self.from_email, self.envelope_from = from_email, envelope_from

    def send_over(self, backend) -> None:
        """Send through `backend`, straight over its open SMTP connection where it has one (the
        addresses are plain ASCII, checked when the bytes were made)."""
        connection = getattr(backend, "connection", None)
        if isinstance(connection, smtplib.SMTP):
            connection.sendmail(self.envelope_from, self.to, self.data)
        else:
            backend.send_messages([self.as_email()])

    def as_email(self) -> EmailMessage:
        return _PreparedEmail(self)

    def message(self, *, policy=email.policy.default):
        return Raw(self.data, policy)


class _PreparedEmail(EmailMessage):
    """The prepared bytes as Django's EmailMessage, for any backend: sent unchanged."""

    def __init__(self, prepared: Prepared):
        super().__init__(to=prepared.to, from_email=prepared.from_email)
        self.prepared = prepared

    def message(self, *, policy=email.policy.default):
        return self.prepared.message(policy=policy)


def _header(value: str) -> str:
    """A header value as ASCII: RFC 2047 encoded words where it is not."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _qp(text: str) -> bytes:
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return body.replace(b"\n", b"\r\n")


class Batch:
    """One batch's shared parts; `bytes_for` gives a recipient's message (None: send it the slow
    way, for an address that is not plain ASCII)."""

    def __init__(self, compiled: mailer.Compiled, subjects: dict[str, str]):
        self.compiled, self.subjects = compiled, subjects
        self.links = mailer.Links()
        name, address = parseaddr(self.links.sender)
        self.sender, self.envelope_from = self.links.sender, address
        self.from_header = formataddr((name, address), charset="utf-8")
        self.date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        self.domain = settings.TANDEM_MAIL_DOMAIN
        boundary = "=_tandem_" + secrets.token_hex(12)  # "=_" never occurs in quoted-printable
        part = '--{}\r\nContent-Type: text/{}; charset="utf-8"\r\n'
        part += "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        self.head_tail = (
            f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"'
            "\r\n\r\n"
        )
        self.text_head = part.format(boundary, "plain").encode()
        self.html_head = b"\r\n" + part.format(boundary, "html").encode()
        self.end = f"\r\n--{boundary}--\r\n".encode()

    def bytes_for(self, person, token: str, variant: str) -> bytes | None:
        to = person.email
        if not (to.isascii() and self.envelope_from.isascii()) or "\n" in to or "\r" in to:
            return None
        links = self.links
        html_body, text_body = mailer.render(self.compiled, person, token, links=links)
        subject = mailer.render_subject(self.subjects[variant], person)
        unsubscribe = links.unsubscribe(token)
        head = (
            f"Subject: {_header(subject)}\r\nFrom: {self.from_header}\r\nTo: {to}\r\n"
            f"Date: {self.date}\r\nMessage-ID: {make_msgid(domain=self.domain)}\r\n"
            f"List-Unsubscribe: <{unsubscribe}>,\r\n <{links.mailto(token)}>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            f"X-Tandem-Recipient: {token}\r\n"
            f'X-Mailgun-Variables: {{"tandem_recipient": "{token}"}}\r\n' + self.head_tail
        )
        return b"".join(
            (
                head.encode("ascii"),
                self.text_head,
                _qp(text_body),
                self.html_head,
                _qp(html_body),
                self.end,
            )
        )

    def message(self, person, token: str, variant: str) -> EmailMessage:
        """The recipient's message, as bytes where it can be, else built by Django."""
        data = self.bytes_for(person, token, variant)
        if data is not None:
            return Prepared(
                data, to=person.email, from_email=self.sender, envelope_from=self.envelope_from
            )
        html_body, text_body = mailer.render(self.compiled, person, token, links=self.links)
        return mailer.message(
            subject=mailer.render_subject(self.subjects[variant], person),
            html_body=html_body,
            text_body=text_body,
            to=person.email,
            token=token,
        )
