"""Pictures of designs: verified by decoding, EXIF stripped, resized for phones, re-encoded."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from deliberation.errors import Invalid

MAX_BYTES = 8 * 1024 * 1024
MAX_WIDTH = 1600
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MIME_TYPES = tuple(content_type for content_type, _extension in FORMATS.values())


@dataclass(frozen=True)
class CleanPicture:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def upload_folder() -> Path:
    """Under the instance folder, never static/: pictures are served only after an access check."""
    folder = Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clean_picture(data: bytes, filename: str = "") -> CleanPicture:
    """Decode, check and re-encode an upload, or refuse it with a reason (Invalid)."""
    name = filename or _("图片")
    if not data:
        raise Invalid(_("“%(name)s”是空文件", name=name), fields={"pictures": _("空文件")})
    if len(data) > MAX_BYTES:
        raise Invalid(_("图片“%(name)s”超过 8 MB", name=name), fields={"pictures": _("图片不能超过 8 MB")})
    not_a_picture = Invalid(
        _("“%(name)s”不是 JPEG、PNG 或 WebP 图片", name=name),
        fields={"pictures": _("只接受 JPEG、PNG 或 WebP 图片")},
    )
    with warnings.catch_warnings():
        # Beyond Pillow's MAX_IMAGE_PIXELS a picture could exhaust memory when decoded: refuse it.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise not_a_picture
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format
                image.load()
                picture = ImageOps.exif_transpose(image)  # keep the orientation the camera meant
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise Invalid(
                _("图片“%(name)s”像素过多，无法处理", name=name), fields={"pictures": _("图片像素过多")}
            ) from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise not_a_picture from error
    if picture.width > MAX_WIDTH:
        height = max(1, round(picture.height * MAX_WIDTH / picture.width))
        picture = picture.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    content_type, extension = FORMATS[fmt]
    if fmt == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    elif picture.mode not in ("RGB", "RGBA", "L", "LA"):
        picture = picture.convert("RGBA" if "transparency" in picture.info else "RGB")
    # A fresh info dict: no EXIF (GPS position, camera), no ICC profile, no text chunks are written.
    picture.info = {}
    out = io.BytesIO()
    options = {"JPEG": {"quality": 85, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}
    picture.save(out, format=fmt, **options[fmt])
    return CleanPicture(out.getvalue(), content_type, extension, picture.width, picture.height)


WRITTEN = "consultations.pictures_written"  # session.info key: files written in the open transaction


def store(picture: CleanPicture, session: Session | None = None) -> str:
    """Write the picture under a random name and return that name.

    With a session, the file is remembered until the transaction ends: kept when it commits,
    removed when it rolls back or is closed without committing, so no orphan files stay behind.
    """
    stored_name = f"{secrets.token_hex(16)}.{picture.extension}"
    path = upload_folder() / stored_name
    path.write_bytes(picture.data)
    if session is not None:
        session.info.setdefault(WRITTEN, []).append(path)
    return stored_name


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - a file we cannot remove is only wasted space
            current_app.logger.warning("could not remove orphan picture %s", path)


@event.listens_for(Session, "after_commit")
def _keep_committed_pictures(session: Session) -> None:
    session.info.pop(WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_pictures(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit: its pictures belong to nothing."""
    if transaction.parent is None and session.info.get(WRITTEN):
        remove_files(session.info.pop(WRITTEN))


def path_of(stored_name: str) -> Path:
    return upload_folder() / Path(stored_name).name
