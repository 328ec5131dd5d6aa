"""The migration that coarsens anonymous responses stored before: no room, the day only (SQLite)."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import event, text

from deliberation import create_app
from deliberation.extensions import db
from deliberation.web import migrations
from tests.conftest import base_config

BEFORE = "da5b6a82c299"

SURVEY = ("INSERT INTO surveys (id, community_id, title, intro, anonymity, state, version, created_at)"
          " VALUES (:id, 1, 't', '', :anonymity, 'open', 1, '2026-11-30 08:00:00')")
RESPONSE = ("INSERT INTO survey_responses (id, survey_id, person_id, source, unit_id, building_id, age_band, tenure,"
            " submitted_at, updated_at) VALUES (:id, :survey, :person, :source, 7, 3, '60+', 'owner',"
            " '2026-11-30 17:42:13', '2026-11-30 17:42:13')")


def test_stored_anonymous_responses_lose_their_room_and_their_minute(tmp_path):
    app = create_app(base_config("sqlite:///" + str(tmp_path / "coarse.db")))
    with app.app_context():
        event.listen(db.engine, "connect", lambda connection, _record: connection.execute("PRAGMA foreign_keys=OFF"))
        migrations()
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            for survey_id, anonymity in ((1, "anonymous"), (2, "choice"), (3, "named")):
                conn.execute(text(SURVEY), {"id": survey_id, "anonymity": anonymity})
            for response_id, survey_id, person, source in (
                    (1, 1, None, "online"), (2, 1, None, "paper"), (3, 2, None, "paper"), (4, 2, 5, "online"),
                    (5, 3, 6, "paper")):
                conn.execute(text(RESPONSE), {"id": response_id, "survey": survey_id, "person": person,
                                              "source": source})
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            rows = {r[0]: r[1:] for r in conn.execute(text(
                "SELECT id, unit_id, building_id, submitted_at, updated_at FROM survey_responses"))}
        # 17:42 UTC on 30 November is 01:42 on 1 December in Shanghai: that day began at 16:00 UTC.
        day = "2026-11-30 16:00:00"
        for anonymous in (1, 2, 3):
            unit, building, submitted, updated = rows[anonymous]
            assert unit is None and building == 3
            assert str(submitted).startswith(day) and str(updated).startswith(day)
        for signed in (4, 5):
            assert rows[signed][0] == 7 and str(rows[signed][2]).startswith("2026-11-30 17:42:13")
        db.engine.dispose()
