"""The audit trail is append-only in the database itself, not only in the admin.

On PostgreSQL a trigger refuses every UPDATE and DELETE of an audit row, whatever
code or SQL tries. The SQLite demo has no such trigger: Django's test flush deletes
rows one by one there, so the demo relies on the application never changing them.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION journeys_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'The audit trail is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER journeys_auditevent_append_only
    BEFORE UPDATE OR DELETE ON journeys_auditevent
    FOR EACH ROW EXECUTE FUNCTION journeys_auditevent_refuse_change();
"""
DROP = """
DROP TRIGGER IF EXISTS journeys_auditevent_append_only ON journeys_auditevent;
DROP FUNCTION IF EXISTS journeys_auditevent_refuse_change();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("journeys", "0003_role_groups")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
