"""Pictures through the API (multipart), served with the token; no orphan files when nothing is saved."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from deliberation.consultations import proposals
from deliberation.consultations.models import Proposal, ProposalPicture
from deliberation.errors import Invalid
from tests.consultations.conftest import picture_bytes


def _files(folder) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_a_proposal_with_pictures_is_created_through_the_api(client, api_token, consultation, session,
                                                              upload_folder, resident, outsider):
    gps = Image.Exif()
    gps[0x010F] = "Canon"
    jpeg = io.BytesIO()
    Image.new("RGB", (2400, 1200), (10, 120, 200)).save(jpeg, format="JPEG", exif=gps)
    response = client.post(
        f"/api/v1/consultations/{consultation.id}/proposals/with-pictures",
        headers=api_token("shuji"),
        data={
            "title": "方案一：原址改造",
            "body": "- 一楼无障碍接待区",
            "is_variant": "true",
            "pictures": [(io.BytesIO(picture_bytes()), "立面.png"), (io.BytesIO(jpeg.getvalue()), "全景.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["is_variant"] is True
    (version,) = body["versions"]
    assert [p["original_name"] for p in version["pictures"]] == ["立面.png", "全景.jpg"]
    assert version["pictures"][1]["width"] == 1600  # resized for phones
    assert len(_files(upload_folder)) == 2

    api_url = version["pictures"][1]["api_url"]
    picture = client.get(api_url, headers=api_token("wangayi"))
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    assert not dict(Image.open(io.BytesIO(picture.data)).getexif())  # EXIF stripped
    assert client.get(api_url, headers=api_token("zhaojie")).status_code == 404  # another community
    assert client.get(api_url).status_code == 401


def test_a_new_version_adds_and_drops_pictures_through_the_api(client, api_token, consultation, session,
                                                                secretary, upload_folder):
    proposal = proposals.create_proposal(
        session, secretary, consultation, "方案一", "正文", pictures=[(picture_bytes(), "a.png"), (picture_bytes(), "b.png")]
    )
    session.commit()
    dropped = proposal.current_version.pictures[0]
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/versions/with-pictures",
        headers=api_token("shuji"),
        data={
            "title": "方案一（修改）",
            "body": "正文\n\n新增无障碍卫生间",
            "change_note": "按居民意见修改",
            "drop_picture_ids": [str(dropped.id)],
            "pictures": [(io.BytesIO(picture_bytes("WEBP")), "c.webp")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    first, second = response.get_json()["versions"]
    assert [p["original_name"] for p in first["pictures"]] == ["a.png", "b.png"]  # the old version is kept
    assert [p["original_name"] for p in second["pictures"]] == ["b.png", "c.webp"]


def test_a_file_that_is_not_a_picture_refuses_the_request_and_stores_nothing(
    client, api_token, consultation, session, upload_folder
):
    response = client.post(
        f"/api/v1/consultations/{consultation.id}/proposals/with-pictures",
        headers=api_token("shuji"),
        data={
            "title": "方案一",
            "body": "正文",
            "pictures": [(io.BytesIO(picture_bytes()), "ok.png"), (io.BytesIO(b"<script>alert(1)</script>"), "x.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "不是 JPEG、PNG 或 WebP 图片" in error["message"] and "pictures" in error["fields"]
    assert session.execute(select(func.count(Proposal.id))).scalar() == 0
    assert _files(upload_folder) == set()


def test_residents_cannot_upload(client, api_token, consultation, resident, upload_folder):
    response = client.post(
        f"/api/v1/consultations/{consultation.id}/proposals/with-pictures",
        headers=api_token("wangayi"),
        data={"title": "方案", "body": "正文", "pictures": [(io.BytesIO(picture_bytes()), "a.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert _files(upload_folder) == set()


def test_the_upload_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/consultations/{consultation_id}/proposals/with-pictures",
        "/api/v1/proposals/{proposal_id}/versions/with-pictures",
    ):
        body = paths[path]["post"]["requestBody"]["content"]
        assert "multipart/form-data" in body, path
    assert "/api/v1/pictures/{picture_id}" in paths


# -- orphan files ------------------------------------------------------------------------------


def test_pictures_written_by_a_transaction_that_rolls_back_are_removed(
    session, consultation, secretary, upload_folder
):
    proposals.create_proposal(session, secretary, consultation, "方案一", "正文", pictures=[(picture_bytes(), "a.png")])
    assert len(_files(upload_folder)) == 1  # written while the transaction is open
    session.rollback()
    assert _files(upload_folder) == set()
    assert session.execute(select(func.count(ProposalPicture.id))).scalar() == 0


def test_pictures_of_a_committed_transaction_stay_and_a_later_rollback_leaves_them(
    session, consultation, secretary, upload_folder
):
    proposal = proposals.create_proposal(
        session, secretary, consultation, "方案一", "正文", pictures=[(picture_bytes(), "a.png")]
    )
    session.commit()
    kept = _files(upload_folder)
    assert len(kept) == 1
    proposals.add_version(session, secretary, proposal, "方案一", "正文二", "改", pictures=[(picture_bytes(), "b.png")])
    assert len(_files(upload_folder)) == 2
    session.close()  # ended without a commit, e.g. an error before the route commits
    assert _files(upload_folder) == kept


def test_too_many_pictures_for_a_new_version_are_refused_before_any_is_written(
    session, consultation, secretary, upload_folder
):
    proposal = proposals.create_proposal(
        session, secretary, consultation, "方案一", "正文",
        pictures=[(picture_bytes(), f"{n}.png") for n in range(proposals.MAX_PICTURES)],
    )
    session.commit()
    before = _files(upload_folder)
    with pytest.raises(Invalid) as refused:
        proposals.add_version(session, secretary, proposal, "方案一", "正文", "再加一张", pictures=[(picture_bytes(), "x.png")])
    assert "pictures" in refused.value.fields
    assert _files(upload_folder) == before
