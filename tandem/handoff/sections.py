from tandem.handoff.models import Handoff, ScoreSnapshot, ScoringConfig
from tandem.handoff.scoring import explain


def person_score(actor, person) -> dict:
    return {
        "title": "Score",
        "template": "handoff/_score.html",
        "data": {
            "score": explain(person),
            "threshold": ScoringConfig.get().mql_threshold,
            "history": ScoreSnapshot.objects.filter(person=person).order_by("-at")[:8],
            "handoff": Handoff.objects.filter(person=person)
            .select_related("rep")
            .order_by("-routed_at")
            .first(),
        },
    }


def person_prediction(actor, person) -> dict | None:
    """The predictive score in words, when a model is in use."""
    from tandem.handoff import predictive

    stored = predictive.latest()
    if stored is None:
        return None
    result = predictive.predict(person, stored)
    return {
        "title": "Likelihood to become an SQL",
        "template": "handoff/_prediction.html",
        "data": {"result": result, "model": stored},
    }
