"""Fuzzy duplicates: people with different emails who are probably the same human.

Blocking keeps it linear: people are grouped by normalized last name plus either their
organization's domain (or their email's company domain) or the last seven digits of their
phone; only people in the same block are compared. Within a block the first names decide:
the same first name is a strong match, an initial or a prefix ("Bob"/"Robert" is not caught)
a weaker one."""

import re
import unicodedata
from collections import defaultdict
from itertools import combinations

from django.db.models import Count

from tandem.contacts.models import Person
from tandem.transfer.models import CandidateStatus, DuplicateCandidate

FREE_MAIL = {"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com",
             "live.com", "icloud.com", "me.com", "aol.com", "gmx.de", "web.de", "proton.me",
             "protonmail.com", "mail.com", "yandex.ru"}  # fmt: skip
MAX_BLOCK = 50
SHARED_PHONE = 3
THRESHOLD = 0.8


def name_key(raw: str) -> str:
    text = unicodedata.normalize("NFKD", raw or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", text)


def phone_key(raw: str) -> str:
    digits = re.sub(r"\D", "", raw or "")
    return digits[-7:] if len(digits) >= 7 else ""


def company_key(org_domain: str, email: str) -> str:
    if org_domain:
        return org_domain.lower()
    domain = email.rpartition("@")[2].lower() if "@" in (email or "") else ""
    return "" if domain in FREE_MAIL else domain


def score(a: dict, b: dict) -> tuple[float, str]:
    """(confidence, reason) for two people already in the same block."""
    first_a, first_b = name_key(a["first_name"]), name_key(b["first_name"])
    shared = []
    if a["company"] and a["company"] == b["company"]:
        shared.append(f"company {a['company']}")
    if a["phone"] and a["phone"] == b["phone"]:
        shared.append("phone")
    if not shared:
        return 0.0, ""
    if first_a and first_a == first_b:
        confidence = 0.95 if len(shared) == 1 else 0.99
        how = "same name"
    elif first_a and first_b and (first_a.startswith(first_b) or first_b.startswith(first_a)):
        confidence, how = 0.85, "first name abbreviated"
    else:
        return 0.0, ""
    return confidence, f"{how}, same {' and '.join(shared)}"


def _rows(queryset):
    for pk, first, last, email, phone, domain in queryset.values_list(
        "pk", "first_name", "last_name", "email_normalized", "phone", "organization__domain"
    ).iterator(chunk_size=20_000):
        last_key = name_key(last)
        if not last_key:
            continue
        yield {
            "pk": pk,
            "first_name": first,
            "last": last_key,
            "company": company_key(domain or "", email),
            "phone": phone_key(phone),
        }


def shared_phones(queryset) -> set[str]:
    """Numbers many people give (a switchboard, a placeholder): they prove nothing."""
    common = (
        queryset.exclude(phone="")
        .values("phone")
        .annotate(n=Count("pk"))
        .filter(n__gt=SHARED_PHONE)
        .values_list("phone", flat=True)
    )
    return {phone_key(p) for p in common}


def find_pairs(queryset=None) -> list[tuple[int, int, float, str]]:
    """(smaller id, larger id, confidence, reason) for every likely pair."""
    queryset = queryset if queryset is not None else Person.objects.all()
    ignore_phones = shared_phones(queryset)
    blocks = defaultdict(list)
    for row in _rows(queryset):
        if row["phone"] in ignore_phones:
            row["phone"] = ""
        if row["company"]:
            blocks[("c", row["last"], row["company"])].append(row)
        if row["phone"]:
            blocks[("p", row["last"], row["phone"])].append(row)
    pairs = {}
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for a, b in combinations(members, 2):
            confidence, reason = score(a, b)
            if confidence >= THRESHOLD:
                key = (min(a["pk"], b["pk"]), max(a["pk"], b["pk"]))
                if confidence > pairs.get(key, (0, ""))[0]:
                    pairs[key] = (confidence, reason)
    return [(a, b, c, r) for (a, b), (c, r) in pairs.items()]


def queue(pairs) -> int:
    """Put new pairs in the duplicates queue; pairs seen before keep their status."""
    rows = [
        DuplicateCandidate(first_id=a, second_id=b, confidence=c, reason=r[:200])
        for a, b, c, r in pairs
    ]
    before = DuplicateCandidate.objects.count()
    DuplicateCandidate.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return DuplicateCandidate.objects.count() - before


def scan() -> int:
    return queue(find_pairs())


def open_candidates():
    return (
        DuplicateCandidate.objects.filter(status=CandidateStatus.OPEN)
        .select_related("first", "second", "first__organization", "second__organization")
        .order_by("-confidence", "pk")
    )
