"""Sessions, proposals, comments and ideas as the consultations API sends them."""

from __future__ import annotations

from flask import url_for

from deliberation.accounts.models import User
from deliberation.consultations import proposals, sessions
from deliberation.consultations.models import (
    Comment,
    CommentStatus,
    Consultation,
    Idea,
    Proposal,
)
from deliberation.extensions import db


def dump_round(round_) -> dict | None:
    if round_ is None:
        return None
    return {
        "id": round_.id,
        "number": round_.number,
        "opens_at": round_.opens_at,
        "closes_at": round_.closes_at,
        "state": round_.state.value,
    }


def dump_proposal(proposal: Proposal) -> dict:
    return {
        "id": proposal.id,
        "consultation_id": proposal.consultation_id,
        "is_variant": proposal.is_variant,
        "current_version": proposal.current_version.number,
        "title": proposal.title,
        "idea_ids": [i.id for i in proposal.ideas],
        "versions": [
            {
                "number": v.number,
                "title": v.title,
                "body_markdown": v.body_markdown,
                "body_html": v.body_html,
                "change_note": v.change_note,
                "created_at": v.created_at,
                "pictures": [
                    {
                        "id": p.id,
                        "url": url_for("consultations.picture", picture_id=p.id),
                        "api_url": url_for("api_consultations.read_picture", picture_id=p.id),
                        "original_name": p.original_name,
                        "width": p.width,
                        "height": p.height,
                        "content_type": p.content_type,
                    }
                    for p in v.pictures
                ],
            }
            for v in proposal.versions
        ],
    }


def dump_consultation(consultation: Consultation) -> dict:
    found = proposals.proposals_of(db.session, consultation)
    return {
        "id": consultation.id,
        "community_id": consultation.community_id,
        "title": consultation.title,
        "background": consultation.background,
        "participants": consultation.participants,
        "eligibility": consultation.eligibility.value,
        "building_ids": [b.id for b in consultation.buildings],
        "staircases": [
            {"building_id": b, "staircase": st} for b, _name, st in sessions.staircases_of(db.session, consultation)
        ],
        "phase": consultation.effective_phase.value,
        "commenting_at": consultation.commenting_at,
        "voting_at": consultation.voting_at,
        "closes_at": consultation.closes_at,
        "pre_moderation": consultation.pre_moderation,
        "created_at": consultation.created_at,
        "rounds": [dump_round(r) for r in consultation.rounds],
        "proposals": [dump_proposal(p) for p in found],
    }


def dump_comment(
    comment: Comment, viewer: User, supported: set[int], replies: list[Comment] | None = None
) -> dict:
    visible = comment.body_visible_to(viewer)
    out = {
        "id": comment.id,
        "round": comment.round.number,
        "parent_id": comment.parent_id,
        "thread_id": comment.thread_id,
        "proposal_id": comment.proposal_id,
        "proposal_version": comment.proposal_version.number if comment.proposal_version else None,
        "author": comment.author.display_name,
        "body": comment.body if visible else None,
        "status": comment.status.value,
        "hidden_reason": comment.hidden_reason
        if comment.status == CommentStatus.HIDDEN and comment.reason_visible_to(viewer)
        else None,
        "is_official_answer": comment.is_official_answer,
        "support_count": comment.support_count,
        "supported": comment.id in supported,
        "created_at": comment.created_at,
    }
    if replies is not None:
        out["replies"] = [dump_comment(r, viewer, supported) for r in replies]
    return out


def dump_idea(idea: Idea, supported: set[int]) -> dict:
    return {
        "id": idea.id,
        "title": idea.title,
        "body": idea.body,
        "author": idea.author.display_name,
        "status": idea.status.value,
        "state": idea.question_state.value,
        "support_count": idea.support_count,
        "supported": idea.id in supported,
        "answer": idea.answer,
        "merged_into_id": idea.merged_into_id,
        "proposal_id": idea.proposal_id,
        "created_at": idea.created_at,
    }

