"""Pages: sign-in, registration with an invite, preferences, communities, roster and invites."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import segno
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from deliberation.accounts import roles, services, sessions
from deliberation.accounts.access import community_or_404
from deliberation.accounts.demographics import room_order
from deliberation.accounts.forms import (
    ChannelsForm,
    CommunityForm,
    EmptyForm,
    LanguageForm,
    LoginForm,
    ModeratorForm,
    PasswordForm,
    RegisterForm,
    RoleForm,
    RosterConfirmForm,
    RosterUploadForm,
)
from deliberation.accounts.models import (
    Building,
    Community,
    Household,
    Membership,
    Ownership,
    Person,
    Role,
    RosterUpload,
    Unit,
    User,
)
from deliberation.accounts.roster import MAX_ROSTER_BYTES, RosterError, parse_roster
from deliberation.errors import DomainError, Invalid, NotFound, require
from deliberation.extensions import db, limiter
from deliberation.forms import error_summary, show_errors
from deliberation.limits import configured, invite_code_key, login_account_limit
from deliberation.pagination import paginate
from deliberation.rules import natural_key

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect after login would be a phishing tool."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _keep_care_mode(user: User) -> None:
    """关怀版 turned on before signing in stays on after it: signed in, the page follows the user's preference
    (web.care_mode), so the browser's choice becomes theirs, recorded as the switch records it. A choice of
    off leaves a preference of on as it is."""
    if session.get("care") and not user.care_mode:
        services.set_preferences(db.session, user, care_mode=True)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured("LOGIN_RATE_LIMIT"), methods=["POST"])
@login_account_limit
def login():
    """Sign in with a user name and password."""
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.username.data, form.password.data)
        if user is None:
            db.session.commit()
            flash(_("用户名或密码不正确"), "error")
            return render_template("accounts/login.html", form=form), 401
        _keep_care_mode(user)
        sessions.start(user, remember=form.remember.data)
        db.session.commit()
        return redirect(_safe_next(form.next.data) or url_for("home.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out of this browser."""
    form = EmptyForm()
    if form.validate_on_submit():
        sessions.end(keep=("lang",))
        flash(_("您已退出登录"))
    return redirect(url_for("home.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(configured("INVITE_RATE_LIMIT"), methods=["POST"])
@limiter.limit(configured("INVITE_CODE_RATE_LIMIT"), key_func=invite_code_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
def register():
    """Register with an invite code from the residents' committee."""
    form = RegisterForm(code=request.args.get("code", ""))
    if form.validate_on_submit():
        try:
            user = services.redeem_invite(db.session, form.code.data, form.username.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            return render_template("accounts/register.html", form=form), error.status
        _keep_care_mode(user)
        sessions.start(user)
        db.session.commit()
        flash(_("欢迎，%(name)s！您已注册成功。", name=user.display_name))
        return redirect(url_for("home.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's own page: password, sessions, display preferences."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.old_password.data, form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            return _account_page(form), error.status
        sessions.start(current_user._get_current_object())  # this browser carries on, signed in afresh
        db.session.commit()
        flash(_("密码已修改，其他设备上的登录已失效"))
        return redirect(url_for("accounts.account"))
    return _account_page(form), 422 if form.is_submitted() else 200


def _account_page(form, channels=None):
    tokens = services.api_tokens_of(db.session, current_user)
    if channels is None:
        user = current_user
        channels = ChannelsForm(formdata=None, email=user.email, by_email=user.notify_email and bool(user.email),
                                by_sms=user.notify_sms, digest=user.notify_digest)
    return render_template("accounts/account.html", form=form, tokens=tokens, revoke_form=EmptyForm(),
                           channels=channels)


@bp.post("/account/channels")
@login_required
def channels():
    """Choose how notifications reach one besides the site: e-mail, SMS, the daily digest."""
    form = ChannelsForm()
    if form.validate_on_submit():
        try:
            services.set_channels(db.session, current_user, email=form.email.data, by_email=form.by_email.data,
                                  by_sms=form.by_sms.data, digest=form.digest.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            return _account_page(PasswordForm(formdata=None), form), error.status
        db.session.commit()
        flash(_("通知方式已保存"))
        return redirect(url_for("accounts.account") + "#channels")
    return _account_page(PasswordForm(formdata=None), form), 422


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of one's own API tokens."""
    if EmptyForm().validate_on_submit():
        services.revoke_api_token(db.session, current_user, token_id)
        db.session.commit()
        flash(_("访问令牌已撤销"))
    return redirect(url_for("accounts.account"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    """Sign out on every device, this one included."""
    if EmptyForm().validate_on_submit():
        services.rotate_session_token(db.session, current_user, reason="logout_everywhere")
        db.session.commit()
        sessions.end(keep=("lang",))
        flash(_("已在所有设备上退出登录"))
    return redirect(url_for("accounts.login"))


@bp.post("/preferences/care")
def toggle_care():
    """Switch the large-text 关怀版 on or off, remembered for the user."""
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            services.set_preferences(db.session, current_user, care_mode=not current_user.care_mode)
            db.session.commit()
        else:
            session["care"] = not session.get("care", False)
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))


@bp.post("/preferences/language")
def set_language():
    """Switch between 简体中文 and English."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            services.set_preferences(db.session, current_user, locale=form.lang.data)
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))


# -- communities -------------------------------------------------------------------------------

@bp.route("/communities", methods=["GET", "POST"])
@login_required
def communities():
    """All communities, and a form to add one (administrators)."""
    if not current_user.is_admin:
        raise NotFound(_("找不到该页面或内容"))
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            community = services.create_community(db.session, current_user, form.name.data, form.district.data,
                                                  form.address.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已创建居民区“%(name)s”", name=community.name))
            return redirect(url_for("accounts.community", community_id=community.id))
    listing = db.session.execute(select(Community).order_by(Community.name)).scalars().all()
    return render_template("accounts/communities.html", communities=listing, form=form), (
        422 if form.is_submitted() and form.errors else 200)


@bp.get("/communities/<int:community_id>")
@login_required
def community(community_id: int):
    """A community's home page."""
    found = community_or_404(community_id, current_user)
    counts = services.community_counts(db.session, found)
    return render_template("accounts/community.html", community=found, counts=counts,
                           can_moderate=found.can_moderate(current_user))


# An address typed into the roster search: a building (号楼, 幢, 栋, 座) and perhaps a room.
ADDRESS = re.compile(r"(.+?(?:号楼|幢|栋|座))\s*(?:([0-9A-Za-z-]+)\s*室?)?")


@bp.get("/communities/<int:community_id>/roster")
@login_required
def roster(community_id: int):
    """The roster of persons, searchable and paginated (moderators; phones in full)."""
    found = community_or_404(community_id, current_user, moderate=True)
    q = (request.args.get("q") or "").strip()[:50]
    stmt = (select(Person, Unit.room, Building.name, User.id)
            .outerjoin(Household, Household.id == Person.household_id).outerjoin(Unit, Unit.id == Household.unit_id)
            .outerjoin(Building, Building.id == Unit.building_id)
            .outerjoin(User, User.person_id == Person.id)
            .where(Person.community_id == found.id)
            .order_by(Building.sort_key, *room_order(Unit.room), Person.id))
    if address := ADDRESS.fullmatch(q):  # "1号楼", "1号楼101", "1号楼 101室": that building, never 11号楼
        building, room = address.groups()
        stmt = stmt.where(Building.name == building)
        if room:
            stmt = stmt.where(Unit.room == room)
    elif q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Person.name.like(like), Person.phone.like(like), Unit.room == q))
    page = paginate(db.session, stmt, per_page=50)
    holdings = services.units_held(db.session, [row[0].id for row in page.items])
    return render_template("accounts/roster.html", community=found, page=page, q=q, invite_form=EmptyForm(),
                           holdings=holdings)


@bp.route("/communities/<int:community_id>/roster/import", methods=["GET", "POST"])
@login_required
def roster_import(community_id: int):
    """Upload a roster file: a dry run first, reporting every bad row."""
    found = community_or_404(community_id, current_user, moderate=True)
    form = RosterUploadForm()
    if form.validate_on_submit():
        with form.file.data.stream as stream:
            data = stream.read(MAX_ROSTER_BYTES + 1)
        filename = form.file.data.filename or "roster"
        try:
            report = parse_roster(data, filename)
        except RosterError as error:
            form.file.errors = [str(error)]
            return render_template("accounts/roster_import.html", community=found, form=form), 422
        upload = services.store_roster_upload(db.session, current_user, found, filename, data)
        db.session.commit()
        return render_template("accounts/roster_report.html", community=found, report=report, upload=upload,
                               form=RosterConfirmForm())
    return render_template("accounts/roster_import.html", community=found, form=form), (
        422 if form.is_submitted() else 200)


@bp.post("/communities/<int:community_id>/roster/import/<int:upload_id>")
@login_required
def roster_import_confirm(community_id: int, upload_id: int):
    """Import a checked roster: all of it, or only its valid rows."""
    found = community_or_404(community_id, current_user, moderate=True)
    upload = db.session.get(RosterUpload, upload_id)
    if upload is None or upload.community_id != found.id or upload.user_id != current_user.id:
        raise NotFound(_("找不到该上传文件，请重新上传"))
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        flash(_("请求有误，请重新上传"), "error")
        return redirect(url_for("accounts.roster_import", community_id=found.id))
    try:
        report = parse_roster(upload.data, upload.filename)
    except RosterError as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.roster_import", community_id=found.id))
    try:
        result = services.import_roster(db.session, current_user, found, report, only_valid=form.only_valid.data)
    except Invalid as error:  # problems and no tick: the same report again, saying what to do
        db.session.rollback()
        form.only_valid.errors = [_("勾选这一项只导入没有问题的行；或改好文件后重新上传")]
        flash(error.message, "error")
        return render_template("accounts/roster_report.html", community=found, report=report, upload=upload,
                               form=form), error.status
    db.session.delete(upload)
    db.session.commit()
    if result.changed:
        flash(_("已导入 %(rows)d 行：新增 %(persons)d 人、%(units)d 户房屋；跳过 %(skipped)d 行",
                rows=result.rows_imported, persons=result.persons_created, units=result.units_created,
                skipped=result.rows_skipped))
    else:
        flash(_("名册没有变化：文件中的 %(rows)d 行均已在名册中", rows=result.rows_imported))
    return redirect(url_for("accounts.roster", community_id=found.id))


@bp.post("/communities/<int:community_id>/invites")
@login_required
def issue_invites(community_id: int):
    """Issue one-time invite codes for chosen persons and show them as printable slips."""
    found = community_or_404(community_id, current_user, moderate=True)
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请重试"), "error")
        return redirect(url_for("accounts.roster", community_id=found.id))
    ids = [int(i) for i in request.form.getlist("person_id") if i.isdigit()][:200]
    persons = db.session.execute(
        select(Person).where(Person.id.in_(ids), Person.community_id == found.id)
        .options(selectinload(Person.household).selectinload(Household.unit).selectinload(Unit.building),
                 selectinload(Person.ownerships).selectinload(Ownership.unit).selectinload(Unit.building))
    ).scalars().all()
    if not persons:
        flash(_("请先勾选要发放邀请码的居民"), "error")
        return redirect(url_for("accounts.roster", community_id=found.id))
    issued = services.issue_invites(db.session, current_user, found, persons, current_app.config["INVITE_LIFETIME"])
    db.session.commit()
    slips = []
    for invite, code in issued:
        link = url_for("accounts.register", code=services.format_invite_code(code), _external=True)
        qr = segno.make(link, error="m").svg_inline(scale=3, border=2, omitsize=False, title=_("扫码注册"))
        slips.append({"invite": invite, "code": services.format_invite_code(code), "link": link,
                      "unit": services.home_unit(invite.person),
                      "qr": Markup(qr)})  # noqa: S704 -- SVG drawn by segno from our own URL
    # In the order a floor captain walks: building by building, room by room.
    slips.sort(key=lambda slip: slip_order(slip["unit"]))
    return render_template("accounts/invite_slips.html", community=found, slips=slips,
                           pages=[slips[i:i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)])


# Invite slips printed on one A4 sheet, cut into four for the floor captain who hands them out.
SLIPS_PER_PAGE = 4


def slip_order(unit: Unit | None) -> tuple:
    """Slips sorted as the floor captain walks: 2号楼 before 10号楼, 301 before 1201; no flat last."""
    if unit is None:
        return (1,)
    return (0, natural_key(unit.building.sort_key or unit.building.name), natural_key(unit.room))


@bp.route("/communities/<int:community_id>/members", methods=["GET", "POST"])
@login_required
def members(community_id: int):
    """Users of the community and their roles; administrators add moderators."""
    found = community_or_404(community_id, current_user, moderate=True)
    form = ModeratorForm()
    can_add = found.can_manage_roles(current_user)
    if can_add and form.validate_on_submit():
        try:
            user = services.create_user(db.session, current_user, form.username.data, form.password.data,
                                        form.display_name.data)
            services.grant_role(db.session, current_user, found, user, Role(form.role.data))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已添加 %(name)s", name=user.display_name))
            return redirect(url_for("accounts.members", community_id=found.id))
    return _members_page(found, form, can_add), 422 if form.is_submitted() and form.errors else 200


def _members_page(community: Community, form, can_add: bool):
    stmt = (select(Membership, User).join(User).where(Membership.community_id == community.id)
            .order_by(Membership.role, User.username))
    page = paginate(db.session, stmt, per_page=50)
    total = db.session.execute(
        select(func.count(Membership.id)).where(Membership.community_id == community.id)).scalar()
    return render_template("accounts/members.html", community=community, page=page, form=form, can_add=can_add,
                           total=total, Role=Role)


@bp.post("/communities/<int:community_id>/members/<int:user_id>/role")
@login_required
def change_role(community_id: int, user_id: int):
    """Make a resident a moderator, or remove a moderator (administrators of the site or community)."""
    found = community_or_404(community_id, current_user, moderate=True)
    require(found.can_manage_roles(current_user), _("只有管理员可以任命或撤销主持人"))
    membership = roles.membership_of(db.session, found, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(error_summary(form) or _("请求有误，请重试"), "error")
        return _members_page(found, ModeratorForm(formdata=None), True), 422
    try:
        roles.change_role(db.session, current_user, found, membership, Role(form.role.data))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _members_page(found, ModeratorForm(formdata=None), True), error.status
    db.session.commit()
    if membership.role == Role.MODERATOR:
        flash(_("已任命 %(name)s 为主持人", name=membership.user.display_name))
    else:
        flash(_("已撤销 %(name)s 的主持人角色", name=membership.user.display_name))
    return redirect(url_for("accounts.members", community_id=found.id))
