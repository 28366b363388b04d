"""A trigram index for the comment search on PostgreSQL (``analytics.reads.comments_queryset``: text answers
containing a word, case-insensitive, ``UPPER(text) LIKE UPPER('%word%')``). Without it every search read the whole
answers table, every organisation's, so a search over a fixed window slowed down as any survey grew. Partial: text
answers only (``number IS NULL``), so scores cost nothing on capture.

``pg_trgm`` ships with PostgreSQL and is a trusted extension (13+): the database's owner may create it. Where the
role may not, the index is skipped with a warning and searches work as before (a scan). SQLite: nothing to do."""

import logging

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger("cxloop.migrations")

INDEX = "answer_comment_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        log.warning("pg_trgm is not available (%s): the comment search works without its index", exc)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON surveys_answer "
                       "USING gin (UPPER(text) gin_trgm_ops) WHERE number IS NULL")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0006_drop_duplicate_answer_index"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
