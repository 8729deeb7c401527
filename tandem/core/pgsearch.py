"""Indexes for one database only, as migration operations that do nothing on the other."""
# ruff: noqa: S608 - the statements hold the migrations' constant names, no input

from django.db import migrations


def _index_for(vendor: str, name: str, *create: str) -> migrations.RunPython:
    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == vendor:
            for statement in create:
                schema_editor.execute(statement)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == vendor:
            schema_editor.execute("DROP INDEX IF EXISTS " + name)  # a constant from the migration

    return migrations.RunPython(forward, backward, elidable=False)


def trigram_index(table: str, column: str, name: str) -> migrations.RunPython:
    return _index_for(
        "postgresql",
        name,
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)",
    )


def pattern_index(table: str, column: str, name: str) -> migrations.RunPython:
    """A btree usable by LIKE 'prefix%' whatever the database collation."""
    return _index_for(
        "postgresql",
        name,
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} varchar_pattern_ops)",
    )


def sqlite_index(table: str, column: str, name: str) -> migrations.RunPython:
    """A plain index on SQLite only: where PostgreSQL already has one that serves."""
    return _index_for("sqlite", name, f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")


def sqlite_trigram(table: str, column: str) -> migrations.RunPython:
    """SQLite: an FTS5 trigram index of one text column, so `contains` searches of 3 or more
    characters need not read every row (substring_search uses it). The index is a virtual
    table over the rows (external content) that triggers keep, whoever writes the table."""
    fts = f"{table}_fts"
    create = [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_ins AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (NEW.id, NEW.{column}); END",
        f"CREATE TRIGGER {fts}_del AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', OLD.id, OLD.{column}); END",
        f"CREATE TRIGGER {fts}_upd AFTER UPDATE OF {column} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', OLD.id, OLD.{column}); "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (NEW.id, NEW.{column}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in create:
                schema_editor.execute(statement)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for suffix in ("ins", "del", "upd"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")

    return migrations.RunPython(forward, backward, elidable=False)
