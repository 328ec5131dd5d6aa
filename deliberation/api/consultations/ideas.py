"""API of the wish wall: list ideas, post one, support one."""

from __future__ import annotations

from flask import g

from deliberation.accounts.access import community_or_404
from deliberation.api.auth import token_required
from deliberation.api.consultations.blueprint import bp
from deliberation.api.consultations.schemas import (
    IdeaIn,
    IdeaOut,
    IdeaPage,
    IdeasQuery,
)
from deliberation.api.consultations.serialisers import (
    dump_idea,
)
from deliberation.consultations import ideas
from deliberation.consultations.access import (
    idea_or_404,
)
from deliberation.extensions import db


@bp.route("/communities/<int:community_id>/ideas")
@token_required
@bp.arguments(IdeasQuery, location="query")
@bp.response(200, IdeaPage)
def list_ideas(query, community_id: int):
    """The community's wish wall, most supported or newest first."""
    community = community_or_404(community_id, g.api_user)
    page = ideas.list_ideas(
        db.session, community, sort=query["sort"], page=query["page"], per_page=query["per_page"]
    )
    supported = ideas.supported_idea_ids(db.session, g.api_user, [i.id for i in page.items])
    return {
        "items": [dump_idea(i, supported) for i in page.items],
        "page": page.number,
        "pages": page.pages,
        "total": page.total,
    }


@bp.route("/communities/<int:community_id>/ideas", methods=["POST"])
@token_required
@bp.arguments(IdeaIn)
@bp.response(201, IdeaOut)
def post_idea(data, community_id: int):
    """Post a need or idea on the wish wall."""
    community = community_or_404(community_id, g.api_user)
    idea = ideas.post_idea(db.session, g.api_user, community, data["title"], data["body"])
    db.session.commit()
    return dump_idea(idea, set())


@bp.route("/ideas/<int:idea_id>/support", methods=["POST"])
@token_required
@bp.response(200, IdeaOut)
def support_idea(idea_id: int):
    """Support an idea; 409 when already supported."""
    idea = idea_or_404(idea_id, g.api_user)
    ideas.support_idea(db.session, g.api_user, idea)
    db.session.commit()
    return dump_idea(idea, {idea.id})
