from tandem.core import access
from tandem.core.roles import Function


def navigation(request):
    """The nav bar by function: each section shows only where the user's role may go."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    function = access.function_of(user)
    sections = []
    if function in (Function.MARKETING, Function.ADMIN) or access.can_see(user, "program"):
        links = [("Programs", "marketing:programs")]
        if access.can_see(user, "campaign"):
            links += [
                ("Forms", "marketing:forms"),
                ("Segments", "marketing:segments"),
                ("Campaigns", "marketing:campaigns"),
            ]
        sections.append(("Marketing", [*links, ("Prices", "sales:pricing")]))
    sales_links = []
    if access.can_see(user, "opportunity"):
        sales_links += [
            ("Board", "sales:board"),
            ("Opportunities", "sales:opportunities"),
            ("Forecast", "sales:forecast"),
            ("Commissions", "sales:commissions"),
            ("Partners", "sales:partners"),
        ]
    if access.can_see(user, "activity"):
        sales_links += [
            ("My day", "sales:my_day"),
            ("Activities", "sales:activities"),
            ("Activity mix", "sales:activity_mix"),
            ("Territories", "sales:territories"),
        ]
    if sales_links:
        sections.append(("Sales", sales_links))
    sections.append(
        (
            "Contacts",
            [
                ("People", "contacts:people"),
                ("Organizations", "contacts:organizations"),
                ("Import", "transfer:imports"),
                ("Duplicates", "transfer:duplicates"),
            ],
        )
    )
    handoff = [("Handoff queue", "handoff:queue")]
    if getattr(user, "role", None) == "sales_rep" or access.is_admin(user):
        handoff.append(("My handoffs", "handoff:inbox"))
    if function in (Function.MARKETING, Function.ADMIN):
        handoff.append(("MQL queue", "handoff:mqls"))
    if getattr(user, "role", None) == "sales_manager" or access.is_admin(user):
        handoff.append(("SLA board", "handoff:sla"))
    handoff += [("Leakage", "handoff:leakage"), ("Scoring", "handoff:scoring")]
    sections.append(("Handoff", handoff))
    sections.append(("Insights", [("Reports", "insights:index"), ("Plans", "insights:plans")]))
    if access.is_admin(user):
        sections.append(("Admin", [("Django admin", "admin:index")]))
    return {"nav_sections": sections}
