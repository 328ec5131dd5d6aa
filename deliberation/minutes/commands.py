"""`flask --app deliberation minutes …`: the minutes from the command line."""

from __future__ import annotations

from flask.cli import AppGroup

minutes_group = AppGroup("minutes", help="Consensus minutes (会议纪要).")
