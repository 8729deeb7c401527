"""Campaign messages: sanitized body, restricted merge fields, tracked links, compliant headers.

The body is Markdown or simple HTML, cleaned by nh3. Merge fields are `{{ name }}` or
`{{ name | default:"text" }}` over a fixed list of person attributes; nothing goes through a
template engine. The body is compiled once per batch into parts; each recipient only joins them.
"""

import html
import re
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from markdown_it import MarkdownIt

from tandem.core import workspace
from tandem.core.errors import Invalid
from tandem.marketing.models import BodyFormat

MERGE_FIELDS = {
    "first_name": lambda p: p.first_name,
    "last_name": lambda p: p.last_name,
    "email": lambda p: p.email,
    "title": lambda p: p.title,
    "city": lambda p: p.city,
    "country": lambda p: p.country,
    "organization": lambda p: p.organization.name if p.organization_id else "",
}
# What the merge fields read of a person: a campaign loads only these of its recipients.
MERGE_COLUMNS = ("email", "first_name", "last_name", "title", "city", "country",
                 "organization_id", "organization__name")  # fmt: skip
TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
_MERGE = re.compile(r"\{\{(.*?)\}\}", re.S)
_MERGE_INNER = re.compile(r'^\s*([a-z_]+)\s*(?:\|\s*default\s*:\s*"([^"{}<>]{0,100})"\s*)?$')
_HREF = re.compile(r'href="([^"]*)"')
_LINK = "\ue000{}\ue001"  # private-use marks: survive nh3, never typed by a user
_SPLIT = re.compile(r"\ue000(\d+)\ue001|\{\{(.*?)\}\}", re.S)
_markdown = MarkdownIt("commonmark", {"html": False})


def _parse_merge(inner: str) -> tuple[str, str]:
    match = _MERGE_INNER.match(html.unescape(inner))
    if not match or match.group(1) not in MERGE_FIELDS:
        raise Invalid(
            f"“{{{{{html.unescape(inner).strip()[:40]}}}}}” is not a merge field. Use "
            + ", ".join(f"{{{{ {n} }}}}" for n in MERGE_FIELDS)
            + ', optionally with | default:"…".',
            field="body",
        )
    return match.group(1), match.group(2) or ""


def check_merge_fields(text: str, field: str) -> None:
    for match in _MERGE.finditer(text or ""):
        try:
            _parse_merge(match.group(1))
        except Invalid as exc:
            raise Invalid(exc.message, field=field) from None


def sanitize(body: str, body_format: str) -> str:
    raw = _markdown.render(body) if body_format == BodyFormat.MARKDOWN else body
    return nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )


@dataclass
class Compiled:
    html_parts: list
    text_parts: list
    links: list[str]


def _tokenize(source: str) -> list:
    """Literal strings, ("link", i) and ("merge", name, default)."""
    parts, pos = [], 0
    for match in _SPLIT.finditer(source):
        parts.append(source[pos : match.start()])
        if match.group(1) is not None:
            parts.append(("link", int(match.group(1))))
        else:
            parts.append(("merge", *_parse_merge(match.group(2))))
        pos = match.end()
    parts.append(source[pos:])
    return [p for p in parts if p != ""]


def _to_text(clean_html: str) -> str:
    text = re.sub(r'<a href="(\ue000\d+\ue001)"[^>]*>(.*?)</a>', r"\2 (\1)", clean_html, flags=re.S)
    text = re.sub(r"<br\s*/?>|</p>|</h\d>|</li>|</tr>", "\n", text)
    text = re.sub(r"<li>", "- ", text)
    text = nh3.clean(text, tags=set())
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip()


def compile_body(body: str, body_format: str) -> Compiled:
    clean = sanitize(re.sub("[\ue000\ue001]", "", body), body_format)
    links: list[str] = []

    def swap(match):
        url = html.unescape(match.group(1))
        if not url.startswith(("http://", "https://")):
            return match.group(0)
        if url not in links:
            links.append(url)
        return f'href="{_LINK.format(links.index(url))}"'

    marked = _HREF.sub(swap, clean)
    return Compiled(_tokenize(marked), _tokenize(_to_text(marked)), links)


def base_url() -> str:
    return settings.TANDEM_BASE_URL.rstrip("/")


class Links:
    """The tracking and unsubscribe addresses, reversed once and filled in per token."""

    def __init__(self):
        base = base_url()
        self._open = base + reverse("track:open", args=["~t~"])
        self._unsubscribe = base + reverse("track:unsubscribe", args=["~t~"])
        self._click = base + reverse("track:click", args=["~t~", 0])[:-1]
        self.sender = workspace.sender()
        self.address = workspace.postal_address()
        _, sender = parseaddr(self.sender)
        mailto = settings.TANDEM_UNSUBSCRIBE_MAILTO or sender
        self._mailto = f"mailto:{mailto}?subject=unsubscribe%20"

    def open(self, token: str) -> str:
        return self._open.replace("~t~", token)

    def unsubscribe(self, token: str) -> str:
        return self._unsubscribe.replace("~t~", token)

    def click(self, token: str) -> str:
        return self._click.replace("~t~", token)

    def mailto(self, token: str) -> str:
        return self._mailto + token


def _join(parts, person, link, escape) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part[0] == "link":
            out.append(link(part[1]))
        else:
            value = MERGE_FIELDS[part[1]](person) or part[2]
            out.append(html.escape(value) if escape else value)
    return "".join(out)


def render_subject(subject: str, person) -> str:
    rendered = _join(_tokenize(subject), person, str, escape=False)
    return re.sub(r"[\r\n]+", " ", rendered).strip()


def render(compiled: Compiled, person, token: str | None, links: Links | None = None):
    """(html, text) for one person; without a token (preview, test) links stay as written."""
    links = links or Links()
    if token:
        click, unsubscribe = links.click(token), links.unsubscribe(token)

        def link(i):
            return f"{click}{i}"
    else:
        unsubscribe = links.unsubscribe("test")

        def link(i):
            return compiled.links[i]

    body_html = _join(compiled.html_parts, person, lambda i: html.escape(link(i)), escape=True)
    body_text = _join(compiled.text_parts, person, link, escape=False)
    address = links.address
    footer_html = (
        f'<hr><p class="footer">{html.escape(address)}<br>'
        f'<a href="{html.escape(unsubscribe)}">Unsubscribe</a></p>'
    )
    if token:
        footer_html += f'<img src="{html.escape(links.open(token))}" width="1" height="1" alt="">'
    footer_text = f"\n\n--\n{address}\nUnsubscribe: {unsubscribe}\n"
    return body_html + footer_html, body_text + footer_text


def message(*, subject: str, html_body: str, text_body: str, to: str, token: str | None):
    headers = {"Message-ID": make_msgid(domain=settings.TANDEM_MAIL_DOMAIN)}
    links = Links()
    if token:
        headers.update(
            {
                "List-Unsubscribe": f"<{links.unsubscribe(token)}>, <{links.mailto(token)}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-Tandem-Recipient": token,
                "X-Mailgun-Variables": f'{{"tandem_recipient": "{token}"}}',
            }
        )
    msg = EmailMultiAlternatives(
        subject=subject, body=text_body, to=[to], headers=headers, from_email=links.sender
    )
    msg.attach_alternative(html_body, "text/html")
    return msg
