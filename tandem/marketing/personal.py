"""Touches, form submissions and emails of a person, for a data subject's export and erasure."""

from tandem.marketing.models import Recipient, Submission, Touch


def export(person) -> list[dict]:
    touches = Touch.objects.filter(person=person).select_related("program").order_by("occurred_at")
    rows = [
        {"kind": "touch", "at": t.occurred_at, "what": t.kind,
         "program": t.program.name if t.program else "", "utm_source": t.utm_source,
         "utm_medium": t.utm_medium, "utm_campaign": t.utm_campaign, "referrer": t.referrer}
        for t in touches
    ]  # fmt: skip
    for s in Submission.objects.filter(person=person).select_related("form").order_by("at"):
        rows.append({"kind": "form submission", "at": s.at, "what": s.form.name,
                     "data": s.data, "ip": s.ip, "confirmed_at": s.confirmed_at})  # fmt: skip
    for r in Recipient.objects.filter(person=person).select_related("campaign"):
        rows.append({"kind": "email", "at": r.sent_at, "what": r.campaign.subject,
                     "status": r.status, "opened_at": r.opened_at, "clicked_at": r.clicked_at,
                     "unsubscribed_at": r.unsubscribed_at, "bounced_at": r.bounced_at})  # fmt: skip
    return rows


def erase(person) -> int:
    """When and from which program stay (the reports count them); what identifies goes."""
    n = Touch.objects.filter(person=person).update(
        utm_term="", utm_content="", referrer="", utm_campaign="", utm_source="", utm_medium=""
    )
    n += Submission.objects.filter(person=person).update(data={}, ip=None)
    n += Recipient.objects.filter(person=person).update(error="")
    return n
