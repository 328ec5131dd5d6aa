"""Fixtures of the consultations tests: two communities, a secretary, residents, sessions and rounds."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from deliberation.consultations import comments, sessions
from deliberation.consultations.models import Phase
from deliberation.db import utcnow


@pytest.fixture
def resident(make_user, community):
    return make_user("wangayi", community, building="3号楼", room="302")


@pytest.fixture
def neighbour(make_user, community):
    return make_user("lishushu", community, building="5号楼", room="101")


@pytest.fixture
def make_consultation(session, secretary, community):
    """A session created through the service, moved to the phase asked for."""

    def make(
        title: str = "党群服务站升级改造方案征询",
        *,
        phase: Phase = Phase.COMMENTING,
        actor=None,
        in_community=None,
        **fields,
    ):
        actor = actor or secretary
        consultation = sessions.create_consultation(
            session,
            actor,
            in_community or community,
            sessions.ConsultationInput(title=title, background="服务站面积小、设施旧。", **fields),
        )
        if phase != Phase.DRAFT:
            sessions.move_phase(session, actor, consultation, phase)
        session.commit()
        return consultation

    return make


@pytest.fixture
def consultation(make_consultation):
    return make_consultation()


@pytest.fixture
def open_round(session, secretary):
    def make(consultation, days: int = 7, actor=None):
        round_ = comments.open_round(
            session, actor or secretary, consultation, utcnow() + timedelta(days=days)
        )
        session.commit()
        return round_

    return make


@pytest.fixture
def round_(consultation, open_round):
    return open_round(consultation)


def picture_bytes(fmt: str = "PNG", size=(40, 30), exif: dict | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 60, 50))
    out = io.BytesIO()
    options = {}
    if exif:
        tags = Image.Exif()
        for key, value in exif.items():
            tags[key] = value
        options["exif"] = tags
    image.save(out, format=fmt, **options)
    return out.getvalue()
