"""The application as gunicorn serves it in the benchmark: the real factory, settings from the
environment like production, plus the overrides the harness passes as JSON in BENCH_APP_CONFIG
(rate limits and the booking horizon raised so that one machine's load is not refused: app_overrides)."""

from __future__ import annotations

import json
import os

from deliberation import create_app

app = create_app(json.loads(os.environ.get("BENCH_APP_CONFIG") or "{}"))
