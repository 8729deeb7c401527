# ruff: noqa: S608 - the statements hold the migration's constant names, no input
"""SQLite keeps handoff_leadpath too (0005 did it for PostgreSQL), with row triggers: each
write refreshes the paths of the person it touched, so the leakage report reads one table on
both databases."""

from django.db import migrations

COLUMNS = (
    "transition_id, person_id, mql_at, program_id, handoff_id, rep_id, routed_at, due_at, "
    "decided_at, breached_at, accepted, sql_at, won_at, last_activity_at"
)


def refresh(people: str) -> str:
    """Recompute the paths of the people whose id satisfies `people` (e.g. "= NEW.person_id")."""
    return (
        f"DELETE FROM handoff_leadpath WHERE person_id {people}; "
        f"INSERT INTO handoff_leadpath ({COLUMNS}) "
        "SELECT t.id, t.person_id, t.at, p.source_program_id, h.id, h.rep_id, h.routed_at, "
        "h.due_at, h.decided_at, h.breached_at, COALESCE(h.status IN ('accepted', 'converted'), 0), "
        "(SELECT MIN(s.at) FROM contacts_lifecycletransition s "
        " WHERE s.person_id = t.person_id AND s.to_stage = 'sql'), "
        "(SELECT MIN(o.closed_at) FROM sales_opportunity o JOIN sales_stage st "
        " ON st.id = o.stage_id WHERE o.person_id = t.person_id AND st.kind = 'won'), "
        "(SELECT MAX(a.created_at) FROM sales_activity a WHERE a.person_id = t.person_id) "
        "FROM contacts_lifecycletransition t "
        "LEFT JOIN contacts_person p ON p.id = t.person_id "
        "LEFT JOIN handoff_handoff h ON h.id = (SELECT h2.id FROM handoff_handoff h2 "
        " WHERE h2.person_id = t.person_id AND h2.routed_at >= t.at "
        " ORDER BY h2.routed_at, h2.id LIMIT 1) "
        f"WHERE t.to_stage = 'mql' AND t.person_id {people};"
    )


def _has_mql(row: str) -> str:
    """Only a person with an MQL step has paths to refresh."""
    return (
        f"{row}.person_id IS NOT NULL AND EXISTS (SELECT 1 FROM contacts_lifecycletransition "
        f"WHERE person_id = {row}.person_id AND to_stage = 'mql')"
    )


def _both() -> str:
    return refresh("= OLD.person_id") + " " + refresh("= NEW.person_id")


# table → (trigger name, the columns a path reads from it)
WATCHED = {
    "handoff_handoff": ("handoffs", "person_id, rep_id, routed_at, due_at, decided_at, "
                                    "breached_at, status"),
    "sales_opportunity": ("opportunities", "person_id, stage_id, closed_at"),
    "sales_activity": ("activities", "person_id, created_at"),
}  # fmt: skip


def _changed(columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns.split(", "))


TRIGGERS = {
    "handoff_leadpath_transitions_ins": (
        "AFTER INSERT ON contacts_lifecycletransition FOR EACH ROW "
        "WHEN NEW.to_stage IN ('mql', 'sql')", refresh("= NEW.person_id")),
    "handoff_leadpath_transitions_del": (
        "AFTER DELETE ON contacts_lifecycletransition FOR EACH ROW "
        "WHEN OLD.to_stage IN ('mql', 'sql')", refresh("= OLD.person_id")),
    "handoff_leadpath_transitions_upd": (
        "AFTER UPDATE OF person_id, to_stage, at ON contacts_lifecycletransition FOR EACH ROW "
        f"WHEN {_changed('person_id, to_stage, at')}", _both()),
    **{
        f"handoff_leadpath_{name}_{event[:3].lower()}": (
            f"AFTER {event} ON {table} FOR EACH ROW WHEN {when}", body)
        for table, (name, columns) in WATCHED.items()
        for event, when, body in (
            ("INSERT", _has_mql("NEW"), refresh("= NEW.person_id")),
            ("DELETE", _has_mql("OLD"), refresh("= OLD.person_id")),
        )
    },
    **{
        f"handoff_leadpath_{name}_upd": (
            f"AFTER UPDATE OF {columns} ON {table} FOR EACH ROW WHEN "
            f"({_changed(columns)}) AND ({_has_mql('OLD')} OR {_has_mql('NEW')})", _both())
        for table, (name, columns) in WATCHED.items()
    },
    "handoff_leadpath_stages_upd": (
        "AFTER UPDATE OF kind ON sales_stage FOR EACH ROW WHEN OLD.kind IS NOT NEW.kind",
        refresh("IN (SELECT person_id FROM sales_opportunity WHERE stage_id = NEW.id)")),
    "handoff_leadpath_people_upd": (
        "AFTER UPDATE OF source_program_id ON contacts_person FOR EACH ROW "
        "WHEN OLD.source_program_id IS NOT NEW.source_program_id",
        "UPDATE handoff_leadpath SET program_id = NEW.source_program_id "
        "WHERE person_id = NEW.id;"),
}  # fmt: skip
BACKFILL = refresh("IN (SELECT person_id FROM contacts_lifecycletransition WHERE to_stage = 'mql')")


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name, (when, body) in TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END", params=None)
        for statement in BACKFILL.split("; "):
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
        schema_editor.execute("DELETE FROM handoff_leadpath", params=None)


class Migration(migrations.Migration):
    dependencies = [("handoff", "0005_leadpath")]

    operations = [migrations.RunPython(install, uninstall)]
