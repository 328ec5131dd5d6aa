"""Receipt codes: the one a voter keeps, its hash stored with the ballot, and the list published at the close."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation.errors import Conflict
from deliberation.pagination import Page, paginate
from deliberation.voting.models import Ballot, Vote, VoteState

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def receipt_hash(vote_id: int, code: str) -> str:
    """The hash stored with a ballot for a receipt code (spaces, dashes and case do not matter)."""
    normalized = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"{vote_id}:{normalized}".encode()).hexdigest()


CODE_LENGTH = 10
CODES = len(RECEIPT_ALPHABET) ** CODE_LENGTH  # every code equally likely: one draw, not one per character


def new_receipt(vote_id: int) -> tuple[str, str]:
    """A new receipt code for the voter, with the hash the ballot keeps."""
    code = _code(secrets.randbelow(CODES))
    return code, receipt_hash(vote_id, code)


def _code(number: int) -> str:
    """The code of a number, two groups of five characters (`7KQ2M-9XH4B`): its lowest ten digits in the receipt
    alphabet (all of them for a number below CODES)."""
    raw = ""
    for _i in range(CODE_LENGTH):
        number, index = divmod(number, len(RECEIPT_ALPHABET))
        raw += RECEIPT_ALPHABET[index]
    return f"{raw[:5]}-{raw[5:]}"


def paper_receipt(vote_id: int, unit_id: int, voter_key: str) -> tuple[str, str]:
    """The receipt code printed on a unit's paper form (征询单回执联) and the hash its ballot keeps.

    Derived with a keyed HMAC of the vote, the unit and the voter key, so the form printed before
    the entry and the ballot entered from it carry the same code; without the site's secret key
    nobody can work it out from the unit.
    """
    return _keyed_receipt(vote_id, f"{vote_id}:{unit_id}:{voter_key}")


def proxy_receipt(vote_id: int, proxy_id: int) -> tuple[str, str]:
    """The receipt code of a ballot cast by proxy, and its hash: derived like paper_receipt from the vote and
    the written authorisation, so the owner's vote page shows it without the code being stored anywhere."""
    return _keyed_receipt(vote_id, f"{vote_id}:proxy:{proxy_id}")


def _keyed_receipt(vote_id: int, message: str) -> tuple[str, str]:
    key = f"paper-receipt:{current_app.config['SECRET_KEY']}".encode()
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    code = _code(int.from_bytes(digest[:10], "big"))
    return code, receipt_hash(vote_id, code)


def receipts(session: Session, vote: Vote, per_page: int = 100, page: int | None = None) -> Page:
    """After the close: every ballot's receipt hash with its choice and source (never a name)."""
    if vote.state != VoteState.CLOSED:
        raise Conflict(_("表决结束后才公布回执清单"))
    stmt = (select(Ballot.receipt_hash, Ballot.choice, Ballot.source).where(Ballot.vote_id == vote.id)
            .order_by(Ballot.receipt_hash))
    return paginate(session, stmt, per_page=per_page, number=page)


def find_receipt(session: Session, vote: Vote, code: str) -> Ballot | None:
    """The ballot of a receipt code, if the code is one of this vote's."""
    if not code or len(code) > 40:
        return None
    return session.execute(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.receipt_hash == receipt_hash(vote.id, code))
    ).scalar()
