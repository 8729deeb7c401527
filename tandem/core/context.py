"""What every page's shell needs: the sidebar by function (each role sees what it may use),
the page's place in it (the current link, the breadcrumbs), the quick-create menu, the theme."""

from dataclasses import dataclass, field

from django.urls import reverse

from tandem.core import access, registry
from tandem.core.roles import Function, Role

THEMES = ("auto", "light", "dark")


@dataclass
class Link:
    label: str
    name: str
    icon: str
    url: str = ""
    current: bool = False


@dataclass
class Group:
    label: str
    links: list = field(default_factory=list)


def _marketing(user, role, function) -> list:
    if function not in (Function.MARKETING, Function.ADMIN):
        return []
    return [
        Link("Programs", "marketing:programs", "flag"),
        Link("Forms", "marketing:forms", "form"),
        Link("Segments", "marketing:segments", "filter"),
        Link("Campaigns", "marketing:campaigns", "mail"),
        Link("Prices", "sales:pricing", "tag"),
    ]


def _sales(user, role, function) -> list:
    links = []
    if access.can_see(user, "activity"):
        links.append(Link("My day", "sales:my_day", "sun"))
    if access.can_see(user, "opportunity"):
        links += [
            Link("Pipeline", "sales:board", "columns"),
            Link("Deals", "sales:opportunities", "briefcase"),
        ]
    if access.can_see(user, "activity"):
        links.append(Link("Activities", "sales:activities", "check"))
    if function in (Function.SALES, Function.ADMIN):
        links += [
            Link("Forecast", "sales:forecast", "trend"),
            Link("Commissions", "sales:commissions", "coins"),
            Link("Partners", "sales:partners", "handshake"),
            Link("Territories", "sales:territories", "map"),
        ]
    if role == Role.SALES_MANAGER or access.is_admin(user):
        links += [
            Link("Activity mix", "sales:activity_mix", "pie"),
            Link("Discounts", "sales:pricing", "tag"),
        ]
    return links


def _handoff(user, role, function) -> list:
    links = []
    if role == Role.SALES_REP or access.is_admin(user):
        links.append(Link("My handoffs", "handoff:inbox", "inbox"))
    if role == Role.SALES_MANAGER or access.is_admin(user):
        links.append(Link("SLA board", "handoff:sla", "clock"))
    if function in (Function.MARKETING, Function.ADMIN):
        links += [
            Link("MQL queue", "handoff:mqls", "queue"),
            Link("Scoring", "handoff:scoring", "gauge"),
        ]
    links.append(Link("All handoffs", "handoff:queue", "swap"))
    if role != Role.SALES_REP:
        links.append(Link("Leakage", "handoff:leakage", "drop"))
    return links


def _contacts(user, role, function) -> list:
    return [
        Link("People", "contacts:people", "user"),
        Link("Organizations", "contacts:organizations", "building"),
        Link("Import", "transfer:imports", "upload"),
        Link("Duplicates", "transfer:duplicates", "copy"),
    ]


def _insights(user, role, function) -> list:
    links = [Link("Dashboards", "insights:index", "chart")]
    if role != Role.SALES_REP:
        links.append(Link("Plans", "insights:plans", "target"))
    return links


def _settings(user, role, function) -> list:
    sections = [s for s in registry.settings_sections() if s["allowed"](user)]
    links = []
    if sections:
        links.append(Link("Settings", "settings:index", "gear"))
    if any(s["url_name"] == "settings:users" for s in sections):
        links.append(Link("Users", "settings:users", "users"))
    if access.is_admin(user):
        links.append(Link("Django admin", "admin:index", "wrench"))
    return links


def settings_tabs(user, path: str) -> list[dict]:
    """The settings area's tabs: the sections the user may open, the current one marked."""
    tabs = []
    for s in registry.settings_sections():
        if s["allowed"](user):
            url = reverse(s["url_name"])
            tabs.append({"title": s["title"], "url": url, "current": path.startswith(url)})
    return tabs


GROUPS = (
    ("Marketing", _marketing),
    ("Sales", _sales),
    ("Handoff", _handoff),
    ("Contacts", _contacts),
    ("Insights", _insights),
    ("Settings", _settings),
)


def sidebar(user, path: str) -> tuple[list[Group], list[tuple[str, str]]]:
    """The groups the role may use, with the current link marked (the longest URL that starts
    the path), and the breadcrumbs that place the page: group, link, and the page itself."""
    role, function = getattr(user, "role", None), access.function_of(user)
    groups, best = [], None
    for label, build in GROUPS:
        links = build(user, role, function)
        for link in links:
            link.url = reverse(link.name)
            if path.startswith(link.url) and (best is None or len(link.url) > len(best[1].url)):
                best = (label, link)
        if links:
            groups.append(Group(label, links))
    crumbs = []
    if best is not None:
        best[1].current = True
        crumbs = [(best[0], ""), (best[1].label, best[1].url if path != best[1].url else "")]
    return groups, crumbs


def quick_create(user) -> list[tuple[str, str]]:
    items = []
    if access.can_create(user, "person"):
        items.append(("Person", "contacts:person_new"))
    if access.can_create(user, "organization"):
        items.append(("Organization", "contacts:organization_new"))
    if access.can_create(user, "opportunity"):
        items.append(("Deal", "sales:opportunity_new"))
    if access.can_create(user, "program"):
        items.append(("Program", "marketing:program_new"))
    if access.can_create(user, "campaign"):
        items.append(("Campaign", "marketing:campaign_new"))
    return [(label, reverse(name)) for label, name in items]


def navigation(request):
    """The shell's context: for signed-in users the sidebar, crumbs and quick-create menu."""
    theme = request.COOKIES.get("theme", "auto")
    context = {"theme": theme if theme in THEMES else "auto"}
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return context
    groups, crumbs = sidebar(user, request.path)
    context.update(
        nav_groups=groups,
        crumbs=crumbs,
        quick_create=quick_create(user),
        sidebar_collapsed=request.COOKIES.get("sidebar") == "collapsed",
        is_admin=access.is_admin(user),
    )
    if request.path.startswith("/settings/"):
        context["settings_sections"] = settings_tabs(user, request.path)
    return context
