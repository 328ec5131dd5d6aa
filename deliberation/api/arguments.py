"""The API's request parsing: flask-smorest's, then every parsed value checked by `deliberation.inputs`
(ids inside the INTEGER column, dates within 1900–2100), so no such value reaches a service."""

from __future__ import annotations

import flask_smorest
from flask_babel import gettext as _
from webargs.flaskparser import FlaskParser

from deliberation import inputs
from deliberation.errors import Invalid


class SafeParser(FlaskParser):
    def parse(self, argmap, req=None, **kwargs):
        data = super().parse(argmap, req, **kwargs)
        if found := inputs.problems_in(data):
            raise Invalid(_("提交的内容有误：%(fields)s", fields="、".join(found)), fields=found)
        return data


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: flask-smorest's, with the checked parser."""

    ARGUMENTS_PARSER = SafeParser()
