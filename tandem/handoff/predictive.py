"""The predictive score: gradient boosting trained on the workspace's own history.

Label: the person became an SQL, an opportunity or a customer. Features: who they are (country,
company size, industry, title words) and what they did in their first 30 days after the first
touch (touches by kind, programs, channels), so the model sees what is known when a lead is
young, not what sales did later. Validation splits by time: the model learns from the older
people and is scored (AUC) on the newest ones it never saw. The top factors of one person come
from putting each of their features back to a typical value and seeing how much the
probability drops."""

import io
import pickle  # noqa: S403 - our own model, stored by us in our own database
import warnings
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.utils import timezone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from tandem.contacts.models import LifecycleTransition, Person
from tandem.handoff.models import PredictiveModel
from tandem.marketing.models import Touch, TouchKind

WINDOW = timedelta(days=30)
MATURE = timedelta(days=120)
WON_STAGES = ("sql", "opportunity", "customer", "advocate")
TITLE_WORDS = ("marketing", "sales", "head", "director", "vp", "chief", "manager", "engineer")
CATEGORIES = ("country", "company_size", "industry", "source_channel")


@dataclass
class Dataset:
    X: np.ndarray
    y: np.ndarray
    order: np.ndarray  # when each row happened, for the time split
    names: list[str]
    categorical: list[bool]


def feature_names() -> list[str]:
    return [
        *CATEGORIES,
        *(f"title has “{w}”" for w in TITLE_WORDS),
        *(f"{label.lower()} (first 30 days)" for _, label in TouchKind.choices),
        "touches (first 30 days)",
        "programs (first 30 days)",
    ]


def _codes(values: list[str], vocabulary: dict) -> list[float]:
    return [float(vocabulary.setdefault(v, len(vocabulary))) if v else np.nan for v in values]


def workspace_dataset(*, limit: int = 200_000, vocab: dict | None = None) -> tuple:
    """The newest `limit` people whose first touch is old enough (120 days) for the outcome to
    be known: a lead from last week that has not converted yet is not a negative."""
    vocab = vocab if vocab is not None else {c: {} for c in CATEGORIES}
    cutoff = timezone.now() - MATURE  # younger people have not had the time to convert
    people = list(
        Person.objects.filter(first_touch_at__lt=cutoff)
        .order_by("-first_touch_at")
        .values_list(
            "pk", "country", "organization__size", "organization__industry",
            "source_program__channel", "title", "first_touch_at",
        )[:limit]
    )  # fmt: skip
    ids = [p[0] for p in people]
    won = set(
        LifecycleTransition.objects.filter(person_id__in=ids, to_stage__in=WON_STAGES)
        .values_list("person_id", flat=True)
        .distinct()
    )
    return _rows(people, won, vocab), vocab


def _touch_counts(people) -> dict:
    """{person_id: {kind: n, "_programs": n}} for touches in each person's first 30 days."""
    first = {p[0]: p[6] for p in people}
    counts: dict = {}
    ids = list(first)
    for i in range(0, len(ids), 20_000):
        chunk = ids[i : i + 20_000]
        rows = (
            Touch.objects.filter(person_id__in=chunk)
            .values_list("person_id", "kind", "program_id", "occurred_at")
            .iterator(chunk_size=20_000)
        )
        for person_id, kind, program_id, at in rows:
            if at > first[person_id] + WINDOW:
                continue
            c = counts.setdefault(person_id, {"_programs": set()})
            c[kind] = c.get(kind, 0) + 1
            if program_id:
                c["_programs"].add(program_id)
    return counts


def _rows(people, won: set, vocab: dict) -> Dataset:
    counts = _touch_counts(people)
    kinds = [k for k, _ in TouchKind.choices]
    cat = {c: [] for c in CATEGORIES}
    numeric, y, order = [], [], []
    for pk, country, size, industry, channel, title, first in people:
        for name, value in zip(CATEGORIES, (country, size, industry, channel), strict=True):
            cat[name].append(value or "")
        title = (title or "").lower()
        c = counts.get(pk, {"_programs": set()})
        numeric.append(
            [
                *(float(w in title) for w in TITLE_WORDS),
                *(float(c.get(k, 0)) for k in kinds),
                float(sum(c.get(k, 0) for k in kinds)),
                float(len(c["_programs"])),
            ]
        )
        y.append(int(pk in won))
        order.append(first.timestamp())
    columns = [_codes(cat[name], vocab[name]) for name in CATEGORIES]
    X = np.column_stack([np.array(columns, dtype=float).T, np.array(numeric, dtype=float)])
    categorical = [True] * len(CATEGORIES) + [False] * (X.shape[1] - len(CATEGORIES))
    return Dataset(X, np.array(y), np.array(order), feature_names(), categorical)


def fit_and_validate(
    data: Dataset, *, valid_share: float = 0.2, seed: int = 0, rounds: int = 200
) -> dict:
    """Train on the older rows, AUC on the newest `valid_share`, then refit on everything."""
    if len(data.y) < 50 or len(set(data.y)) < 2:
        raise ValueError("Too little history to learn from (need both outcomes, 50+ people).")
    rank = np.argsort(data.order, kind="stable")
    split = int(len(rank) * (1 - valid_share))
    train, valid = rank[:split], rank[split:]
    model = _model(data, seed, rounds)
    model.fit(data.X[train], data.y[train])
    auc = (
        roc_auc_score(data.y[valid], model.predict_proba(data.X[valid])[:, 1])
        if len(set(data.y[valid])) == 2
        else float("nan")
    )
    final = _model(data, seed, rounds).fit(data.X, data.y)
    return {"model": final, "auc": float(auc), "train": len(train), "valid": len(valid)}


def _model(data: Dataset, seed: int, rounds: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=rounds,
        learning_rate=0.08,
        max_leaf_nodes=31,
        categorical_features=np.array(data.categorical),
        random_state=seed,
    )


def train(*, limit: int = 200_000) -> PredictiveModel:
    data, vocab = workspace_dataset(limit=limit)
    result = fit_and_validate(data)
    with warnings.catch_warnings():  # an all-blank column has no median: it stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        baseline = np.nanmedian(data.X, axis=0)
    blob = io.BytesIO()
    pickle.dump({"model": result["model"], "vocab": vocab, "baseline": baseline}, blob)
    return PredictiveModel.objects.create(
        auc=result["auc"],
        trained_on=result["train"],
        validated_on=result["valid"],
        positives=int(data.y.sum()),
        blob=blob.getvalue(),
    )


def latest() -> PredictiveModel | None:
    return PredictiveModel.objects.order_by("-trained_at").first()


def _load(stored: PredictiveModel) -> dict:
    return pickle.loads(bytes(stored.blob))  # noqa: S301 - written by train() above


def predict(person: Person, stored: PredictiveModel | None = None) -> dict | None:
    """{probability, factors: [(feature, drop)]} for one person, or None without a model."""
    stored = stored or latest()
    if stored is None or person.first_touch_at is None:
        return None
    bundle = _load(stored)
    people = [
        (
            person.pk, person.country,
            person.organization.size if person.organization_id else "",
            person.organization.industry if person.organization_id else "",
            person.source_program.channel if person.source_program_id else "",
            person.title, person.first_touch_at,
        )
    ]  # fmt: skip
    vocab = {k: dict(v) for k, v in bundle["vocab"].items()}  # unseen values stay unseen
    row = _rows(people, set(), vocab).X
    model, baseline = bundle["model"], bundle["baseline"]
    probability = float(model.predict_proba(row)[0, 1])
    names, drops = feature_names(), []
    for i, name in enumerate(names):
        if np.isnan(row[0, i]) or row[0, i] == baseline[i]:
            continue
        typical = row.copy()
        typical[0, i] = baseline[i]
        drops.append((name, round(probability - float(model.predict_proba(typical)[0, 1]), 3)))
    drops.sort(key=lambda d: -d[1])
    return {"probability": round(probability, 3), "factors": [d for d in drops if d[1] > 0][:3]}


# --- the public lead-scoring data set ----------------------------------------------------

LEAKY = {"Tags", "Lead Quality", "Lead Profile", "Last Notable Activity"}  # filled in by sales
X_NUMERIC = ("TotalVisits", "Total Time Spent on Website", "Page Views Per Visit",
             "Asymmetrique Activity Score", "Asymmetrique Profile Score")  # fmt: skip
X_SKIP = {"Prospect ID", "Lead Number", "Converted", ""}


def x_education_dataset(path) -> Dataset:
    """Leads.csv as it is: a trailing empty column, “Select” for not chosen, blanks."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    names = [n for n in rows[0] if n not in X_SKIP and n not in LEAKY and n is not None]
    vocab: dict = {}
    X, y, order = [], [], []
    for row in rows:
        values = []
        for name in names:
            raw = (row.get(name) or "").strip()
            if name in X_NUMERIC:
                try:
                    values.append(float(raw))
                except ValueError:
                    values.append(np.nan)
            else:
                value = "" if raw in ("", "Select") else raw
                values.append(_codes([value], vocab.setdefault(name, {}))[0])
        X.append(values)
        y.append(int(row["Converted"]))
        order.append(float(row["Lead Number"]))
    categorical = [n not in X_NUMERIC for n in names]
    return Dataset(np.array(X, dtype=float), np.array(y), np.array(order), names, categorical)
