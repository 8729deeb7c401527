# ruff: noqa: S608 - the statements hold the migration's constant names, no input
"""PostgreSQL: the tally's triggers on insights_reach become row triggers, as on SQLite. Every
form submission of a new person inserts a row there and updates it (its first step); as
statement triggers they built transition tables and grouped them each time, a third of the
submission's database time. A row trigger's WHEN clause skips an update that changes no count
without calling any function, and a new person costs one INSERT."""

from importlib import import_module

from django.db import migrations

base = import_module("tandem.marketing.migrations.0007_program_tally")
_INTO = f"INSERT INTO marketing_programtally ({base.COUNTS}) "
_CHANGED = " OR ".join(
    ["OLD.source_program_id IS DISTINCT FROM NEW.source_program_id"]
    + [f"{base._reached('OLD', n)} IS DISTINCT FROM {base._reached('NEW', n)}" for n in base.LATER]
)
_MOVED_WON = (
    "CASE WHEN OLD.source_program_id IS DISTINCT FROM NEW.source_program_id "
    f"THEN {base._won('NEW.person_id')} ELSE 0 END"
)
ROW_TRIGGERS = {  # name: (event and condition, body)
    "reach_ins": (
        "AFTER INSERT ON insights_reach FOR EACH ROW WHEN (NEW.source_program_id IS NOT NULL)",
        f"{_INTO} SELECT {base._one('NEW', '+', base._won('NEW.person_id'))};",
    ),
    "reach_del": (
        "AFTER DELETE ON insights_reach FOR EACH ROW WHEN (OLD.source_program_id IS NOT NULL)",
        f"{_INTO} SELECT {base._one('OLD', '-', base._won('OLD.person_id'))};",
    ),
    "reach_upd": (
        f"AFTER UPDATE ON insights_reach FOR EACH ROW WHEN ({_CHANGED})",
        f"{_INTO} SELECT {base._one('OLD', '-', _MOVED_WON)} "
        "WHERE OLD.source_program_id IS NOT NULL; "
        f"{_INTO} SELECT {base._one('NEW', '+', _MOVED_WON)} "
        "WHERE NEW.source_program_id IS NOT NULL;",
    ),
}
STATEMENT_TRIGGERS = [f"marketing_programtally_{name}" for name in ROW_TRIGGERS]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite's were row triggers already
    run = schema_editor.execute
    for name in STATEMENT_TRIGGERS:
        run(f"DROP TRIGGER IF EXISTS {name} ON insights_reach", params=None)
    run("DROP FUNCTION IF EXISTS marketing_programtally_on_reach()", params=None)
    for name, (when, body) in ROW_TRIGGERS.items():
        function = f"marketing_programtally_on_{name}"
        run(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$", params=None)  # fmt: skip
        run(f"CREATE TRIGGER marketing_programtally_{name} {when} EXECUTE FUNCTION {function}()",
            params=None)  # fmt: skip


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ROW_TRIGGERS:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS marketing_programtally_{name} ON insights_reach", params=None
        )
        schema_editor.execute(f"DROP FUNCTION IF EXISTS marketing_programtally_on_{name}()")
    for statement in base.POSTGRESQL[:4]:  # the statement function and its three triggers
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("marketing", "0007_program_tally")]

    operations = [migrations.RunPython(install, uninstall)]
