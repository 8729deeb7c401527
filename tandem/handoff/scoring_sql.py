"""Everyone's score in a few SQL statements (`manage.py rescore`), on PostgreSQL or SQLite.

The same rules as scoring.compute: fit points when an attribute matches, engagement points per
touch halving every half-life. New scores go to a temporary table first; only people whose
score changed are updated and get a history row. Values reach SQL as parameters; the only
names written into the SQL come from the fixed FIT_COLUMNS map."""

from django.db import connection, transaction
from django.utils import timezone

from tandem.handoff.models import RuleKind
from tandem.handoff.scoring import active_rules

FIT_COLUMNS = {
    "country": "p.country",
    "region": "p.region",
    "city": "p.city",
    "title": "p.title",
    "industry": "o.industry",
    "company_size": "o.size",
}


def _age_days(now_param: str) -> str:
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({now_param} - t.occurred_at)) / 86400.0)"
    return f"(julianday({now_param}) - julianday(t.occurred_at))"


def _now_param(now):
    return now if connection.vendor == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S.%f")


def _score_sql(rules, now) -> tuple[str, list]:
    fit_terms, fit_params, eng_terms, eng_params = [], [], [], []
    for rule in rules:
        if rule.kind == RuleKind.FIT:
            column = FIT_COLUMNS[rule.attribute]
            if rule.attribute == "title":
                fit_terms.append(f"CASE WHEN LOWER({column}) LIKE %s THEN %s ELSE 0 END")
                fit_params += [f"%{rule.value.strip().lower()}%", rule.points]
            else:
                fit_terms.append(f"CASE WHEN LOWER({column}) = %s THEN %s ELSE 0 END")
                fit_params += [rule.value.strip().lower(), rule.points]
            continue
        conditions, params = [], []
        if rule.touch_kind:
            conditions.append("t.kind = %s")
            params.append(rule.touch_kind)
        if rule.program_id:
            conditions.append("t.program_id = %s")
            params.append(rule.program_id)
        decay = f"%s * POWER(0.5, GREATEST_ZERO({_age_days('%s')}) / %s)"
        term = f"CASE WHEN {' AND '.join(conditions) or '1=1'} THEN {decay} ELSE 0 END"
        eng_terms.append(term)
        eng_params += [*params, rule.points, _now_param(now), rule.half_life_days]
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    eng = " + ".join(eng_terms).replace("GREATEST_ZERO(", f"{greatest}(0, ") or "0"
    fit = " + ".join(fit_terms) or "0"
    engagement = (
        f"SELECT t.person_id, SUM({eng}) AS points FROM marketing_touch t GROUP BY t.person_id"  # noqa: S608 - fixed fragments, values are parameters
        if eng_terms
        else "SELECT NULL AS person_id, 0 AS points WHERE 1=0"
    )
    sql = (
        f"SELECT p.id AS id, CAST(ROUND(({fit}) + COALESCE(e.points, 0)) AS INTEGER) AS score "  # noqa: S608, E501 - fixed fragments
        "FROM contacts_person p LEFT JOIN contacts_organization o ON o.id = p.organization_id "
        f"LEFT JOIN ({engagement}) e ON e.person_id = p.id"
    )
    return sql, fit_params + eng_params


def rescore_all(*, now=None) -> dict:
    """Returns {people, changed, seconds}."""
    now = now or timezone.now()
    rules = active_rules()
    select, params = _score_sql(rules, now)
    started = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS tandem_new_scores")
        # `select` is built from fixed fragments; every value in it is a parameter
        cursor.execute(f"CREATE TEMPORARY TABLE tandem_new_scores AS {select}", params)
        cursor.execute(
            "INSERT INTO handoff_scoresnapshot (person_id, at, score, breakdown) "
            "SELECT n.id, %s, n.score, %s FROM tandem_new_scores n "
            "JOIN contacts_person p ON p.id = n.id WHERE p.score <> n.score",
            [now, '[["bulk rescore", 0]]'],
        )
        cursor.execute(
            "UPDATE contacts_person SET score = n.score FROM tandem_new_scores n "
            "WHERE contacts_person.id = n.id AND contacts_person.score <> n.score"
        )
        changed = cursor.rowcount
        cursor.execute("SELECT COUNT(*) FROM tandem_new_scores")
        people = cursor.fetchone()[0]
        cursor.execute("DROP TABLE tandem_new_scores")
    return {
        "people": people,
        "changed": changed,
        "seconds": (timezone.now() - started).total_seconds(),
    }
