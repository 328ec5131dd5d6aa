"""Forms for signing in, registering, preferences and the roster."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from deliberation.forms import SafeForm


class LoginForm(SafeForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(max=50)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码")), Length(max=200)])
    remember = BooleanField(_l("在这台设备上保持登录"))
    next = HiddenField()


class RegisterForm(SafeForm):
    code = StringField(_l("邀请码"), validators=[DataRequired(_l("请填写邀请码")), Length(max=20)])
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(min=2, max=50)],
                           description=_l("登录时使用，可用字母、数字或汉字"))
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请设置密码")), Length(min=8, max=200)],
                             description=_l("至少 8 个字符"))
    confirm = PasswordField(_l("再次输入密码"),
                            validators=[DataRequired(_l("请再次输入密码")), EqualTo("password", _l("两次输入的密码不一致"))])


class PasswordForm(SafeForm):
    old_password = PasswordField(_l("原密码"), validators=[DataRequired(_l("请填写原密码"))])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请设置新密码")), Length(min=8, max=200)])
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(), EqualTo("new_password", _l("两次输入的密码不一致"))])


class EmptyForm(SafeForm):
    """A POST with nothing but its CSRF token: logout, toggles, confirmations."""


class ChannelsForm(SafeForm):
    """How notifications reach the user besides the site (jobs.deliver)."""

    email = StringField(_l("电子邮箱"), validators=[Optional(), Length(max=254)], description=_l("用于接收邮件通知，可不填"))
    by_email = BooleanField(_l("用电子邮件通知我"))
    by_sms = BooleanField(_l("用短信通知我（发到名册登记的手机号）"))
    digest = BooleanField(_l("每天汇总成一条，第二天早上发送（不再逐条发送）"))


class LanguageForm(SafeForm):
    lang = SelectField(_l("语言"), choices=[SelectChoice("zh_Hans", "简体中文"), SelectChoice("en", "English")])


class RosterUploadForm(SafeForm):
    file = FileField(_l("名册文件（CSV 或 Excel）"), validators=[FileRequired(_l("请选择文件"))])


class RosterConfirmForm(SafeForm):
    only_valid = BooleanField(_l("只导入没有问题的行"))


class CommunityForm(SafeForm):
    name = StringField(_l("居民区名称"), validators=[DataRequired(_l("请填写居民区名称")), Length(max=50)])
    district = StringField(_l("所属街道"), validators=[Optional(), Length(max=50)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])


class ModeratorForm(SafeForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(min=2, max=50)])
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=50)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置初始密码")), Length(min=8, max=200)])
    role = SelectField(_l("角色"), choices=[SelectChoice("moderator", _l("主持人（书记、居委会工作人员）")),
                                           SelectChoice("admin", _l("居民区管理员"))])


class RoleForm(SafeForm):
    """Make a member a moderator, or a moderator a resident again (accounts.roles)."""

    role = SelectField(_l("角色"), choices=[SelectChoice("moderator", _l("主持人")), SelectChoice("resident", _l("居民"))],
                       validators=[DataRequired(_l("请选择角色"))])
