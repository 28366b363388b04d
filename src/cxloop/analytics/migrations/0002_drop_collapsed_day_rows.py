"""Day rollups are no longer stored collapsed (``d:touchpoint`` …): drop the rows an earlier version wrote.

Reads never used them after the change, so this only frees space; no marker or rebuild is needed.
"""

from django.db import migrations


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    ScoreRollup = apps.get_model("analytics", "ScoreRollup")
    ScoreRollup.objects.filter(grain__startswith="d:").delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
