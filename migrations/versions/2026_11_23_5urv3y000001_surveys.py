"""surveys: questionnaires, questions, participations, responses and answers

One response per person holds through UNIQUE (survey_id, person_id) on survey_participations, and
UNIQUE (survey_id, respondent_key) on survey_responses.

Revision ID: 5urv3y000001
Revises: acc0unt50002
Create Date: 2026-11-23 17:40:00

"""
import sqlalchemy as sa
from alembic import op

import deliberation.db

# revision identifiers, used by Alembic.
revision = "5urv3y000001"
down_revision = "acc0unt50002"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade():
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("anonymity", _enum("anonymity", "named", "anonymous", "choice"), nullable=False),
        sa.Column("state", _enum("surveystate", "draft", "scheduled", "open", "closed"), nullable=False),
        sa.Column("opens_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.Column("closes_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("previous_version_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.Column("published_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_surveys_community_id_communities"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"],
                                name=op.f("fk_surveys_consultation_id_consultations"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["previous_version_id"], ["surveys.id"],
                                name=op.f("fk_surveys_previous_version_id_surveys"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_surveys_created_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_consultation_id"), ["consultation_id"], unique=False)

    op.create_table(
        "survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("questionkind", "single", "multiple", "short_text", "long_text", "scale_1_5",
                                "ranking"), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("help_text", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=True),
        sa.Column("allow_other", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_survey_questions_survey_id_surveys"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
    )
    with op.batch_alter_table("survey_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_questions_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "survey_participations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("source", _enum("responsesource", "online", "paper"), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_survey_participations_survey_id_surveys"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_survey_participations_person_id_persons"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_participations")),
        sa.UniqueConstraint("survey_id", "person_id", name=op.f("uq_survey_participations_survey_id_person_id")),
    )
    with op.batch_alter_table("survey_participations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_participations_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_participations_person_id"), ["person_id"], unique=False)

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("respondent_key", sa.String(length=64), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("source", _enum("responsesource", "online", "paper"), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("age_band", sa.String(length=10), nullable=False),
        sa.Column("tenure", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_survey_responses_survey_id_surveys"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_survey_responses_person_id_persons"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_survey_responses_user_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"],
                                name=op.f("fk_survey_responses_entered_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_survey_responses_unit_id_units"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"],
                                name=op.f("fk_survey_responses_building_id_buildings"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("survey_id", "respondent_key",
                            name=op.f("uq_survey_responses_survey_id_respondent_key")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index("ix_survey_responses_survey_submitted", ["survey_id", "submitted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_responses_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_responses_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_responses_building_id"), ["building_id"], unique=False)

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("option_index", sa.Integer(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("is_other", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["survey_responses.id"],
                                name=op.f("fk_survey_answers_response_id_survey_responses"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["survey_questions.id"],
                                name=op.f("fk_survey_answers_question_id_survey_questions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_answers_response_id"), ["response_id"], unique=False)
        batch_op.create_index("ix_survey_answers_question_option", ["question_id", "option_index"], unique=False)


def downgrade():
    op.drop_table("survey_answers")
    op.drop_table("survey_responses")
    op.drop_table("survey_participations")
    op.drop_table("survey_questions")
    op.drop_table("surveys")
