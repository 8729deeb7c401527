"""PostgreSQL-only search indexes, as migration operations that do nothing on SQLite."""

from django.db import migrations


def trigram_index(table: str, column: str, name: str) -> migrations.RunPython:
    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("DROP INDEX IF EXISTS " + name)  # a constant from the migration

    return migrations.RunPython(forward, backward, elidable=False)


def pattern_index(table: str, column: str, name: str) -> migrations.RunPython:
    """A btree usable by LIKE 'prefix%' whatever the database collation."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} varchar_pattern_ops)"
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("DROP INDEX IF EXISTS " + name)  # a constant from the migration

    return migrations.RunPython(forward, backward, elidable=False)
