"""Pictures: verified by decoding, EXIF stripped, resized, size-limited, served only to those who may see."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from deliberation.consultations import pictures, proposals
from deliberation.consultations.models import Phase, Proposal, ProposalPicture
from deliberation.errors import Invalid
from tests.consultations.conftest import picture_bytes

GPS_AND_CAMERA = {0x010F: "Canon", 0x0110: "EOS", 0x0132: "2026:11:01 10:00:00"}


def _post_proposal(client, consultation, files, title="方案一"):
    return client.post(
        f"/consultations/{consultation.id}/proposals/new",
        data={"title": title, "body": "正文", "pictures": files},
        content_type="multipart/form-data",
    )


def test_a_text_file_renamed_png_is_refused_and_nothing_is_written(
    client, login, session, consultation, secretary, upload_folder
):
    login("shuji")
    response = _post_proposal(
        client, consultation, [(io.BytesIO(b"just some text, not a picture"), "plan.png")]
    )
    assert response.status_code == 422
    assert "不是 JPEG、PNG 或 WebP 图片" in response.text
    assert 'value="方案一"' in response.text  # what was typed is kept
    assert session.execute(select(func.count(Proposal.id))).scalar() == 0
    assert not upload_folder.exists() or not any(upload_folder.iterdir())


def test_one_bad_picture_among_good_ones_stores_none(session, consultation, secretary, upload_folder):
    with pytest.raises(Invalid):
        proposals.create_proposal(
            session,
            secretary,
            consultation,
            "方案一",
            "正文",
            pictures=[(picture_bytes(), "good.png"), (b"GIF89a....", "bad.gif")],
        )
    assert not upload_folder.exists() or not any(upload_folder.iterdir())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_exif_is_stripped_from_a_real_picture(session, consultation, secretary, upload_folder, fmt):
    original = picture_bytes(fmt, exif=GPS_AND_CAMERA)
    assert dict(Image.open(io.BytesIO(original)).getexif())  # the upload carries EXIF
    proposal = proposals.create_proposal(
        session, secretary, consultation, "方案一", "正文", pictures=[(original, f"photo.{fmt.lower()}")]
    )
    [stored] = proposal.current_version.pictures
    saved = (upload_folder / stored.stored_name).read_bytes()
    with Image.open(io.BytesIO(saved)) as image:
        assert image.format == fmt
        assert not dict(image.getexif())
        assert "exif" not in image.info
    assert stored.content_type == {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    assert stored.original_name == f"photo.{fmt.lower()}"
    assert stored.stored_name != stored.original_name


def test_a_wide_picture_is_resized_to_1600_pixels(session, consultation, secretary):
    proposal = proposals.create_proposal(
        session,
        secretary,
        consultation,
        "方案一",
        "正文",
        pictures=[(picture_bytes("PNG", size=(3200, 1000)), "wide.png")],
    )
    [stored] = proposal.current_version.pictures
    assert (stored.width, stored.height) == (1600, 500)


def test_a_picture_over_8_mb_is_refused():
    with pytest.raises(Invalid, match="8 MB"):
        pictures.clean_picture(b"\x89PNG" + b"0" * (8 * 1024 * 1024), "huge.png")


def test_a_decompression_bomb_is_refused(monkeypatch):
    # A picture larger than Pillow's pixel limit; the limit is lowered so the test stays small.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(Invalid, match="像素过多"):
        pictures.clean_picture(picture_bytes("PNG", size=(40, 30)), "bomb.png")


def test_a_gif_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(Invalid, match="JPEG、PNG 或 WebP"):
        pictures.clean_picture(out.getvalue(), "anim.gif")


def test_pictures_are_served_with_their_type_to_those_who_may_see_them(
    client, login, session, make_consultation, secretary, resident, outsider
):
    consultation = make_consultation()
    draft = make_consultation("草稿议事", phase=Phase.DRAFT)
    shown = proposals.create_proposal(
        session, secretary, consultation, "方案一", "正文", pictures=[(picture_bytes("JPEG"), "a.jpg")]
    ).current_version.pictures[0]
    hidden = proposals.create_proposal(
        session, secretary, draft, "草稿方案", "正文", pictures=[(picture_bytes("PNG"), "b.png")]
    ).current_version.pictures[0]
    session.commit()
    login("wangayi")
    response = client.get(f"/pictures/{shown.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    Image.open(io.BytesIO(response.data)).verify()
    assert client.get(f"/pictures/{hidden.id}").status_code == 404
    client.post("/logout")
    login("zhaojie")
    assert client.get(f"/pictures/{shown.id}").status_code == 404


def test_pictures_are_stored_outside_static(app, session, consultation, secretary):
    assert "static" not in pictures.upload_folder().parts
    proposals.create_proposal(
        session, secretary, consultation, "方案一", "正文", pictures=[(picture_bytes(), "a.png")]
    )
    assert session.execute(select(func.count(ProposalPicture.id))).scalar() == 1


def test_a_new_version_carries_pictures_over_unless_dropped(session, consultation, secretary):
    proposal = proposals.create_proposal(
        session,
        secretary,
        consultation,
        "方案一",
        "正文",
        pictures=[(picture_bytes(), "a.png"), (picture_bytes(), "b.png")],
    )
    first = proposal.current_version
    dropped = first.pictures[0]
    second = proposals.add_version(
        session,
        secretary,
        proposal,
        "方案一",
        "正文二",
        "换图",
        pictures=[(picture_bytes("JPEG"), "c.jpg")],
        drop_picture_ids=[dropped.id],
    )
    assert [p.original_name for p in second.pictures] == ["b.png", "c.jpg"]
    assert [p.original_name for p in first.pictures] == ["a.png", "b.png"]


def test_the_proposal_form_accepts_pictures(client, login, session, consultation, secretary):
    login("shuji")
    response = _post_proposal(client, consultation, [(io.BytesIO(picture_bytes()), "render.png")])
    assert response.status_code == 302
    proposal = session.execute(select(Proposal)).scalar_one()
    page = client.get(response.headers["Location"])
    assert f"/pictures/{proposal.current_version.pictures[0].id}" in page.text
