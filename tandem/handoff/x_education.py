"""The public X Education lead-scoring file (shared/datasets/x-education-leads), read as it is
(a trailing empty column, “Select” for not chosen, blanks), for the honest benchmark: the
columns sales fills in after contact are left out, as its SOURCE.md names them."""

import csv

import numpy as np

from tandem.handoff import features

# Filled in or updated after contact: they tell the outcome (SOURCE.md).
AFTER_CONTACT = (
    "Tags", "Lead Quality", "Lead Profile", "Last Notable Activity", "Last Activity",
    "Asymmetrique Activity Index", "Asymmetrique Profile Index",
    "Asymmetrique Activity Score", "Asymmetrique Profile Score",
)  # fmt: skip
IDS = ("Prospect ID", "Lead Number", "Converted", "")


def table(path, *, keep: tuple[str, ...] = ()) -> features.Table:
    """The leads as a table; `keep` names after-contact columns to keep anyway (to show the
    leak)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    dropped = set(IDS) | (set(AFTER_CONTACT) - set(keep))
    names = [n for n in rows[0] if n is not None and n not in dropped]
    return features.Table(
        columns={n: [(r.get(n) or "").strip() for r in rows] for n in names},
        y=np.array([int(r["Converted"]) for r in rows]),
        order=np.array([float(r["Lead Number"]) for r in rows]),
    )
