"""PostgreSQL: a new lifecycle step refreshes lead paths from a row trigger whose WHEN clause
keeps to MQL and SQL steps. As a statement trigger it built a transition table for every
step written, a new person's first "lead" step on each form submission included."""

from django.db import migrations

CREATE = [
    """CREATE FUNCTION handoff_leadpath_on_new_step() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM handoff_leadpath_refresh(ARRAY[NEW.person_id]);
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER handoff_leadpath_transitions_ins AFTER INSERT ON contacts_lifecycletransition"
    " FOR EACH ROW WHEN (NEW.to_stage IN ('mql', 'sql'))"
    " EXECUTE FUNCTION handoff_leadpath_on_new_step()",
]
DROP_STATEMENT_TRIGGER = (
    "DROP TRIGGER IF EXISTS handoff_leadpath_transitions_ins ON contacts_lifecycletransition"
)


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_STATEMENT_TRIGGER, params=None)
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_STATEMENT_TRIGGER, params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS handoff_leadpath_on_new_step()")
        schema_editor.execute(
            "CREATE TRIGGER handoff_leadpath_transitions_ins AFTER INSERT ON "
            "contacts_lifecycletransition REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION handoff_leadpath_on_transitions()",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("handoff", "0006_leadpath_sqlite")]

    operations = [migrations.RunPython(install, uninstall)]
