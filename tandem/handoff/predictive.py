"""The predictive score: the likelihood that a lead becomes an SQL, learnt from the workspace's
own people as they were before their outcome (history.py), with features typed by their values
(features.py) and a model judged on the newest people it never saw (learning.py).

A new model is kept, and used only when it does at least as well as the one in use on the same
newest people. A person's score is explained in words: each of their features put back to a
typical value, and the likelihood it was worth ("Page visited 3 times: +12 points")."""

import io
import pickle  # noqa: S403 - our own model, stored by us in our own database

import numpy as np
from django.db import transaction
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.handoff import features, history, learning
from tandem.handoff.models import PredictiveModel

LIMIT = 200_000


def _pack(fit: learning.Fit, programs: list[str]) -> bytes:
    blob = io.BytesIO()
    bundle = {"model": fit.model, "specs": fit.specs, "baseline": fit.baseline,
              "programs": programs, "typical": fit.typical}  # fmt: skip
    pickle.dump(bundle, blob)
    return blob.getvalue()


_loaded: dict[tuple, dict] = {}  # a model's id and time → its unpickled bundle


def _load(stored: PredictiveModel) -> dict:
    key = (stored.pk, stored.trained_at)  # an id alone may come back after a database reset
    bundle = _loaded.get(key)
    if bundle is None:
        bundle = pickle.loads(bytes(stored.blob))  # noqa: S301 - written by train() below
        _loaded.clear()  # one model in use at a time: keep only the newest read
        _loaded[key] = bundle
    return bundle


def _programs(fit: learning.Fit) -> list[str]:
    prefix, suffix = "Touches from “", "”"
    return [s.name[len(prefix) : -len(suffix)] for s in fit.specs if s.name.startswith(prefix)]


def latest() -> PredictiveModel | None:
    """The model in use (its blob is read only when a prediction needs it)."""
    return PredictiveModel.objects.filter(in_use=True).defer("blob").order_by("-trained_at").first()


def _score_with(stored: PredictiveModel, table: features.Table, rows) -> np.ndarray:
    bundle = _load(stored)
    X = features.matrix(bundle["specs"], table, rows)
    return bundle["model"].predict_proba(X)[:, 1]


def _compare(current, fit: learning.Fit, table) -> tuple[float | None, float]:
    """(the model in use's AUC, the new one's) on the same people: the newest that neither
    model learnt from (arrived after the one in use was trained on its mature people); too few
    of them, and the two models' own validation AUCs are compared."""
    if current is None:
        return None, fit.auc
    since = (current.trained_at - history.MATURE).timestamp()
    mask = table.order[fit.valid_rows] >= since
    rows, y = fit.valid_rows[mask], table.y[fit.valid_rows[mask]]
    if len(rows) >= learning.MIN_ROWS and len(set(y.tolist())) == 2:
        try:
            theirs = learning.auc_of(y, _score_with(current, table, rows))
            return theirs, learning.auc_of(y, fit.valid_scores[mask])
        except Exception:  # a model from an older version that cannot read today's rows
            return None, fit.auc
    return current.auc, fit.auc


def train(*, limit: int = LIMIT, actor=None) -> PredictiveModel:
    """Learn from the workspace's people; keep the model, and use it unless the one in use
    ranks the same newest people better."""
    seen = history.population(limit)
    table = history.table(seen)
    fit = learning.fit(table)
    previous_auc, ours = _compare(latest(), fit, table)
    use, note = previous_auc is None or ours >= previous_auc, ""
    if not use:
        note = (f"Not used: the model in use does better on the newest people it never saw "
                f"(AUC {previous_auc:.3f} against {ours:.3f}).")  # fmt: skip
    if fit.leaks:
        named = ", ".join(f"{leak['feature']} (AUC {leak['auc']:.2f} alone)" for leak in fit.leaks)
        note = (note + " " if note else "") + f"Check for a leak: {named}."
    with transaction.atomic():
        stored = PredictiveModel.objects.create(
            auc=fit.auc, trained_on=fit.train, validated_on=fit.valid, positives=fit.positives,
            blob=_pack(fit, _programs(fit)), in_use=use, previous_auc=previous_auc,
            calibration=fit.calibration, weights=fit.weights, leaks=fit.leaks, note=note[:300],
            trained_by=actor, trained_at=timezone.now(),
        )  # fmt: skip
        if use:
            PredictiveModel.objects.exclude(pk=stored.pk).update(in_use=False)
    return stored


def predict(person: Person, stored: PredictiveModel | None = None) -> dict | None:
    """{probability, typical, factors: [(words, points)]} for one person (None: no model)."""
    stored = stored or latest()
    if stored is None:
        return None
    bundle = _load(stored)
    table = history.table([history.now_seen(person)], programs=bundle["programs"])
    specs, model = bundle["specs"], bundle["model"]
    row = features.matrix(specs, table)
    probability = float(model.predict_proba(row)[0, 1])
    typical = bundle.get("typical", probability)
    moved, described = [], []  # each differing feature put back to its typical value
    for j, (spec, index) in enumerate(features.owners(specs)):
        value, base = row[0, j], bundle["baseline"][j]
        if np.isnan(value) or (base is not None and value == base):
            continue
        other = row[0].copy()
        other[j] = np.nan if base is None else base
        moved.append(other)
        described.append(spec.describe(value, index))
    factors = []
    if moved:  # one call for all: a model call costs more than the rows it scores
        others = model.predict_proba(np.array(moved))[:, 1]
        for words, p in zip(described, others, strict=True):
            points = round(100 * (probability - float(p)))
            if points:
                factors.append((words, points))
    factors.sort(key=lambda f: -abs(f[1]))
    return {"probability": round(probability, 3), "typical": round(typical, 3),
            "factors": factors[:5]}  # fmt: skip
