"""Indexes for one database only, as migration operations that do nothing on the other."""

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
