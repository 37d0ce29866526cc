"""Opening a database made by an older version: the columns added since, and their indexes."""
from __future__ import annotations


def test_an_older_database_gets_the_new_unique_column_and_keeps_taking_rows(tmp_path):
    from controller.db import create_tables, database, open_database
    from controller.models import Campaign, Queue

    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        create_tables()
        # as an older version left it: campaigns without a name
        for index in db.get_indexes("campaign"):
            if index.columns == ["name"]:
                db.execute_sql(f'DROP INDEX "{index.name}"')
        db.execute_sql("ALTER TABLE campaign DROP COLUMN name")
        for name in ("a", "b"):
            queue = Queue.create(name=name)
            db.execute_sql("INSERT INTO campaign (queue_id, active, pacing, max_attempts, retry_delay, dispositions) "
                           "VALUES (?, 0, 'progressive', 3, 600, '[\"Sale\"]')", (queue.id,))

        create_tables()
        assert "name" in [c.name for c in db.get_columns("campaign")]
        assert [(i.columns, i.unique) for i in db.get_indexes("campaign") if i.columns == ["name"]] == [(["name"], True)]
        # a third campaign: the unique index is over the names (NULL for the old ones), not over a constant
        Campaign.create(queue=Queue.create(name="c"), name="Third")
        assert sorted(c.name or "" for c in Campaign.select()) == ["", "", "Third"]
    finally:
        database.close()
        db.close_all()
