"""What the consultations API reads and writes: its request and response schemas."""

from __future__ import annotations

from datetime import UTC

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from deliberation.consultations.models import (
    MAX_LONG_TEXT,
    MAX_TEXT,
    PHASE_ORDER,
    SORTS,
    Eligibility,
)


class StaircaseField(Schema):
    building_id = fields.Integer(required=True)
    staircase = fields.String(required=True, validate=validate.Length(min=1, max=20),
                              metadata={"description": "as on the roster, e.g. 2单元"})


class ConsultationIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    background = fields.String(load_default="", validate=validate.Length(max=MAX_LONG_TEXT))
    participants = fields.String(load_default="", validate=validate.Length(max=2000))
    eligibility = fields.String(
        load_default="community", validate=validate.OneOf([e.value for e in Eligibility])
    )
    building_ids = fields.List(fields.Integer(), load_default=list)
    staircases = fields.List(
        fields.Nested(StaircaseField),
        load_default=list,
        metadata={"description": "with eligibility 'buildings': chosen staircases, besides whole buildings"},
    )
    person_ids = fields.List(fields.Integer(), load_default=list)
    commenting_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    voting_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    pre_moderation = fields.Boolean(load_default=False)


class ConsultationPatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    background = fields.String(validate=validate.Length(max=MAX_LONG_TEXT))
    participants = fields.String(validate=validate.Length(max=2000))
    eligibility = fields.String(validate=validate.OneOf([e.value for e in Eligibility]))
    building_ids = fields.List(fields.Integer())
    staircases = fields.List(fields.Nested(StaircaseField))
    person_ids = fields.List(fields.Integer())
    commenting_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    voting_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    pre_moderation = fields.Boolean()


class PhaseIn(Schema):
    phase = fields.String(required=True, validate=validate.OneOf([p.value for p in PHASE_ORDER]))


class RoundIn(Schema):
    opens_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class RoundOut(Schema):
    id = fields.Integer()
    number = fields.Integer()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    state = fields.String()


class PictureOut(Schema):
    id = fields.Integer()
    url = fields.String(metadata={"description": "the picture for a signed-in browser"})
    api_url = fields.String(metadata={"description": "the picture with the bearer token"})
    original_name = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    content_type = fields.String()


class VersionOut(Schema):
    number = fields.Integer()
    title = fields.String()
    body_markdown = fields.String()
    body_html = fields.String(metadata={"description": "sanitised HTML, safe to display"})
    change_note = fields.String()
    created_at = fields.DateTime()
    pictures = fields.List(fields.Nested(PictureOut))


class ProposalOut(Schema):
    id = fields.Integer()
    consultation_id = fields.Integer()
    is_variant = fields.Boolean()
    current_version = fields.Integer()
    title = fields.String()
    versions = fields.List(fields.Nested(VersionOut))
    idea_ids = fields.List(fields.Integer())


class ProposalIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LONG_TEXT))
    is_variant = fields.Boolean(load_default=False)


class ProposalUploadIn(ProposalIn):
    pictures = fields.List(
        Upload(),
        load_default=list,
        metadata={"description": "JPEG, PNG or WebP files, repeat the field for several (at most 10, 8 MB each)"},
    )


class VersionIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LONG_TEXT))
    change_note = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class VersionUploadIn(VersionIn):
    pictures = fields.List(Upload(), load_default=list, metadata={"description": "pictures to add"})
    drop_picture_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "pictures of the current version not to carry over"},
    )


class ConsultationOut(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    background = fields.String()
    participants = fields.String()
    eligibility = fields.String()
    building_ids = fields.List(fields.Integer())
    staircases = fields.List(fields.Nested(StaircaseField))
    phase = fields.String(
        metadata={"description": "effective phase: the stored one moved on by the schedule"}
    )
    commenting_at = fields.DateTime(allow_none=True)
    voting_at = fields.DateTime(allow_none=True)
    closes_at = fields.DateTime(allow_none=True)
    pre_moderation = fields.Boolean()
    created_at = fields.DateTime()
    rounds = fields.List(fields.Nested(RoundOut))
    proposals = fields.List(fields.Nested(ProposalOut))


class ConsultationSummary(Schema):
    id = fields.Integer()
    title = fields.String()
    phase = fields.String()
    eligibility = fields.String()
    created_at = fields.DateTime()


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CommentsQuery(PageQuery):
    round = fields.Integer(
        load_default=None, metadata={"description": "round number; default the open or last"}
    )
    sort = fields.String(load_default="supported", validate=validate.OneOf(SORTS))


class CommentIn(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    parent_id = fields.Integer(load_default=None, allow_none=True)
    proposal_id = fields.Integer(load_default=None, allow_none=True)
    official_answer = fields.Boolean(load_default=False, metadata={"description": "moderators, on a reply"})


class CommentOut(Schema):
    id = fields.Integer()
    round = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    thread_id = fields.Integer(allow_none=True)
    proposal_id = fields.Integer(allow_none=True)
    proposal_version = fields.Integer(allow_none=True)
    author = fields.String()
    body = fields.String(allow_none=True, metadata={"description": "null when hidden (moderators see it)"})
    status = fields.String()
    hidden_reason = fields.String(allow_none=True)
    is_official_answer = fields.Boolean()
    support_count = fields.Integer()
    supported = fields.Boolean()
    created_at = fields.DateTime()
    replies = fields.List(fields.Nested(lambda: CommentOut(exclude=("replies",))))


class CommentPage(Schema):
    items = fields.List(fields.Nested(CommentOut))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()
    round = fields.Nested(RoundOut, allow_none=True)


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class IdeaIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class IdeaOut(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    author = fields.String()
    status = fields.String()
    state = fields.String(metadata={"description": "as its author sees it: received, in_progress, answered, "
                                                   "promoted, merged"})
    support_count = fields.Integer()
    supported = fields.Boolean()
    answer = fields.String()
    merged_into_id = fields.Integer(allow_none=True)
    proposal_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class IdeaPage(Schema):
    items = fields.List(fields.Nested(IdeaOut))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()



class IdeasQuery(PageQuery):
    sort = fields.String(load_default="supported", validate=validate.OneOf(SORTS))

