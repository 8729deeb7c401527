"""The handoffs and score history of a person, for a data subject's export and erasure."""

from tandem.handoff.models import Handoff, ScoreSnapshot


def export(person) -> list[dict]:
    rows = [
        {"kind": "handoff", "at": h.routed_at, "rep": str(h.rep), "status": h.status,
         "decided_at": h.decided_at, "reason": h.reason}
        for h in Handoff.objects.filter(person=person).select_related("rep").order_by("routed_at")
    ]  # fmt: skip
    rows += [
        {"kind": "score", "at": s.at, "score": s.score, "breakdown": s.breakdown}
        for s in ScoreSnapshot.objects.filter(person=person).order_by("at")
    ]
    return rows


def erase(person) -> int:
    n = Handoff.objects.filter(person=person).update(reason="")
    return n + ScoreSnapshot.objects.filter(person=person).update(breakdown=[])
