"""People and places: communities, buildings, units, households, persons, users and roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, Numeric, String, UniqueConstraint, select, union
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from deliberation.db import UTCDateTime, bool_false, intpk, str50, str200, timestamp, timestamp_null
from deliberation.extensions import db


def enum_column(enum_cls: type[enum.Enum], **kw):
    """An enum stored as its value in a plain string column: portable and readable in SQL."""
    return mapped_column(
        Enum(enum_cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]), **kw
    )


class Tenure(enum.StrEnum):
    OWNER = "owner"
    TENANT = "tenant"
    FAMILY = "family"

    @property
    def title(self) -> str:
        """The words for this tenure in the reader's language."""
        return str(_TENURE_TITLES[self])


_TENURE_TITLES = {Tenure.OWNER: _l("业主"), Tenure.TENANT: _l("租户"), Tenure.FAMILY: _l("家属")}


class Role(enum.StrEnum):
    RESIDENT = "resident"
    MODERATOR = "moderator"
    ADMIN = "admin"


class Consent(enum.StrEnum):
    """How a resident gave their consent to an entry recorded on their behalf at the counter (帮办)."""

    IN_PERSON = "in_person"  # 本人到场
    PHONE = "phone"  # 电话确认
    WRITTEN = "written"  # 书面委托

    @property
    def title(self) -> str:
        """The words for this consent in the reader's language."""
        return str(_CONSENT_TITLES[self])


_CONSENT_TITLES = {Consent.IN_PERSON: _l("本人到场"), Consent.PHONE: _l("电话确认"), Consent.WRITTEN: _l("书面委托")}


class Community(db.Model):
    """A residential neighbourhood (居民区) with its residents' committee."""

    __tablename__ = "communities"
    id: Mapped[intpk]
    name: Mapped[str50] = mapped_column(unique=True)
    district: Mapped[str50] = mapped_column(default="")
    address: Mapped[str200] = mapped_column(default="")
    created_at: Mapped[timestamp]

    buildings: Mapped[list[Building]] = relationship(back_populates="community", order_by="Building.sort_key")

    def can_view(self, user: User) -> bool:
        return user.is_authenticated and (user.is_admin or user.role_in(self.id) is not None)

    def can_moderate(self, user: User) -> bool:
        return user.is_authenticated and (
            user.is_admin or user.role_in(self.id) in (Role.MODERATOR, Role.ADMIN)
        )

    def can_serve_counter(self, user: User) -> bool:
        """Who records entries on residents' behalf at the counter (帮办): the community's moderators and floor
        captains (Person.can_assist says for whom)."""
        return self.counter_role(user) is not None

    def counter_role(self, user: User) -> str | None:
        """What a helper at the counter (帮办) is here: "moderator" (主持人), "floor_captain" (楼组长 of one of its
        buildings) or None; the entries they record name it beside their name."""
        if self.can_moderate(user):
            return "moderator"
        if not user.is_authenticated or self.id not in user.community_ids:
            return None
        captain = object_session(self).execute(
            select(FloorCaptain.id).join(Building, Building.id == FloorCaptain.building_id)
            .where(FloorCaptain.user_id == user.id, Building.community_id == self.id).limit(1)
        ).first()
        return "floor_captain" if captain is not None else None

    def can_manage_roles(self, user: User) -> bool:
        """Who makes and removes the community's moderators: administrators of the site or of the community."""
        return user.is_authenticated and (user.is_admin or user.role_in(self.id) == Role.ADMIN)


class Building(db.Model):
    """A building (楼) such as 12号楼."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str50]
    # Buildings sort by number where they have one (2号楼 before 10号楼).
    sort_key: Mapped[str50] = mapped_column(default="")

    community: Mapped[Community] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building", order_by="Unit.room")


class Unit(db.Model):
    """An apartment (专有部分) with its registered floor area."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("building_id", "room"),)
    id: Mapped[intpk]
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), index=True)
    room: Mapped[str] = mapped_column(String(20))
    area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # The staircase (单元) inside the building, e.g. "2单元": a lift serves one staircase.
    staircase: Mapped[str] = mapped_column(String(20), default="", server_default="")

    building: Mapped[Building] = relationship(back_populates="units")

    @property
    def label(self) -> str:
        return f"{self.building.name}{self.room}室"


class Household(db.Model):
    """The people living together in one unit."""

    __tablename__ = "households"
    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)

    unit: Mapped[Unit] = relationship()
    members: Mapped[list[Person]] = relationship(back_populates="household")


class Person(db.Model):
    """Someone on the roster: a resident, or an owner who may live elsewhere."""

    __tablename__ = "persons"
    __table_args__ = (Index("ix_persons_community_name_phone", "community_id", "name", "phone"),)
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"), index=True)
    name: Mapped[str50]
    tenure: Mapped[Tenure] = enum_column(Tenure)
    birth_year: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    # The developer (建设单位) on the roster: the units it still holds count together as one owner.
    is_developer: Mapped[bool_false]
    created_at: Mapped[timestamp]

    community: Mapped[Community] = relationship()
    household: Mapped[Household | None] = relationship(back_populates="members")
    ownerships: Mapped[list[Ownership]] = relationship(back_populates="person")

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def building_ids(self) -> set[int]:
        """The buildings the person lives in or owns a unit in (one query)."""
        lives = select(Unit.building_id).join(Household, Household.unit_id == Unit.id).where(
            Household.id == self.household_id)
        owns = select(Unit.building_id).join(Ownership, Ownership.unit_id == Unit.id).where(
            Ownership.person_id == self.id)
        return set(object_session(self).execute(union(lives, owns)).scalars())

    def can_assist(self, user: User) -> bool:
        """Who may record a comment, a survey answer or a ballot on this resident's behalf (帮办): the moderators
        of the person's community, and the floor captains (楼组长) of a building the person lives or owns in."""
        if not user.is_authenticated:
            return False
        if self.community.can_moderate(user):
            return True
        if self.community_id not in user.community_ids:
            return False
        captained = select(FloorCaptain.building_id).where(FloorCaptain.user_id == user.id)
        return bool(set(object_session(self).execute(captained).scalars()) & self.building_ids())


class Ownership(db.Model):
    """A person owns a unit; an owner may hold several."""

    __tablename__ = "ownerships"
    __table_args__ = (UniqueConstraint("person_id", "unit_id"),)
    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)

    person: Mapped[Person] = relationship(back_populates="ownerships")
    unit: Mapped[Unit] = relationship()


class User(UserMixin, db.Model):
    """A login. Linked to a person of the roster when the user is a resident."""

    __tablename__ = "users"
    id: Mapped[intpk]
    username: Mapped[str50] = mapped_column(unique=True)
    display_name: Mapped[str50]
    password_hash: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), unique=True)
    is_admin: Mapped[bool_false]
    is_active_account: Mapped[bool] = mapped_column(default=True, server_default="1")
    locale: Mapped[str | None] = mapped_column(String(10))
    # Optional: notifications are also e-mailed where SMTP_URL is set and the user gave an address.
    email: Mapped[str | None] = mapped_column(String(254))
    care_mode: Mapped[bool_false]
    # Channels besides the site (deliberation.jobs.deliver): e-mail to `email`, SMS to the person's phone,
    # and the day's notifications gathered into one message the next morning instead of single ones.
    notify_email: Mapped[bool] = mapped_column(default=True, server_default="1")
    notify_sms: Mapped[bool_false]
    notify_digest: Mapped[bool_false]
    # Changing it signs out every session of this user (password change, "log out everywhere").
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    created_at: Mapped[timestamp]
    last_login_at: Mapped[timestamp_null]

    person: Mapped[Person | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="selectin")

    # The browser sign-in this user was loaded through (accounts.sessions), when there is one.
    sign_in_key = None  # str: set when the user is loaded through a sign-in

    def get_id(self) -> str:
        """What the session and remember cookies carry: the key of one sign-in (accounts.sessions), never
        a lasting secret. A user not signed in through a sign-in gets a name no sign-in matches."""
        return self.sign_in_key or f"unsigned-{self.id}"

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def role_in(self, community_id: int) -> Role | None:
        for membership in self.memberships:
            if membership.community_id == community_id:
                return membership.role
        return None

    @property
    def moderated_community_ids(self) -> list[int]:
        return [m.community_id for m in self.memberships if m.role in (Role.MODERATOR, Role.ADMIN)]

    @property
    def community_ids(self) -> list[int]:
        return [m.community_id for m in self.memberships]


class Membership(db.Model):
    """A user's role in one community."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = enum_column(Role)
    created_at: Mapped[timestamp]

    user: Mapped[User] = relationship(back_populates="memberships")
    community: Mapped[Community] = relationship()


class FloorCaptain(db.Model):
    """A building's floor captain (楼组长): enters that building's paper forms, and only that building's."""

    __tablename__ = "floor_captains"
    __table_args__ = (UniqueConstraint("user_id", "building_id"),)
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    building: Mapped[Building] = relationship()


class Invite(db.Model):
    """A one-time code that lets a person of the roster register. Only its hash is stored."""

    __tablename__ = "invites"
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[timestamp_null]
    revoked_at: Mapped[timestamp_null]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    person: Mapped[Person] = relationship()
    community: Mapped[Community] = relationship()


class SignIn(db.Model):
    """One browser's sign-in. The cookies carry its key (only the hash is stored); signing out ends
    it here, so a saved session or remember-me cookie replayed afterwards signs nobody in."""

    __tablename__ = "sign_ins"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]
    ended_at: Mapped[timestamp_null]


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its hash is stored; revoking one deletes it."""

    __tablename__ = "api_tokens"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Recorded at most every few minutes (accounts.services.API_TOKEN_USE_GRANULARITY).
    last_used_at: Mapped[timestamp_null]

    user: Mapped[User] = relationship()


def mask_phone(phone: str | None) -> str:
    """138****1234: phone numbers are personal data, shown in full only on the moderator's roster."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


class RosterUpload(db.Model):
    """An uploaded roster kept between the dry run and the moderator's confirmation."""

    __tablename__ = "roster_uploads"
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str200]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[timestamp]
