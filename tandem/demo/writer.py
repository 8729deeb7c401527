"""Bulk loading for the demo: each table's rows through core.bulk, with a count per table."""

from tandem.core import bulk


class BulkWriter:
    def __init__(self):
        self.counts: dict[str, int] = {}

    def write(self, model, columns: list[str], rows) -> int:
        n = bulk.insert(model, columns, rows)
        table = model._meta.db_table
        self.counts[table] = self.counts.get(table, 0) + n
        return n

    def reset_sequences(self, models) -> None:
        bulk.reset_sequences(models)
