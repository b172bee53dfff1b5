"""the adaptive re-crawl schedule: change counts and stop marks on articles, poll_sources,
what a run reported (crawl_runs.kind / exit_code / summary)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from newsarchive.db.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.add_column(sa.Column("change_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("checks_stopped_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_articles_outlet_next_check", ["outlet_id", "next_check_at"], unique=False)
    # every stored version after the first was a change some check saw
    op.execute("UPDATE articles SET change_count = CASE WHEN version_count > 1 THEN version_count - 1 ELSE 0 END")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.alter_column("change_count", server_default=None)
    with op.batch_alter_table("crawl_runs") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("exit_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    op.create_table(
        "poll_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outlet_id", sa.Integer(), sa.ForeignKey("outlets.id"), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("first_polled_at", UTCDateTime(), nullable=False),
        sa.Column("last_polled_at", UTCDateTime(), nullable=True),
        sa.Column("last_changed_at", UTCDateTime(), nullable=True),
        sa.Column("next_poll_at", UTCDateTime(), nullable=True),
        sa.Column("interval_seconds", sa.Float(), nullable=True),
        sa.Column("poll_count", sa.Integer(), nullable=False),
        sa.Column("change_count", sa.Integer(), nullable=False),
        sa.Column("content_digest", sa.String(length=100), nullable=True),
        sa.UniqueConstraint("outlet_id", "url", name="uq_poll_source_outlet_url"),
    )
    op.create_index("ix_poll_sources_next_poll_at", "poll_sources", ["next_poll_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_poll_sources_next_poll_at", table_name="poll_sources")
    op.drop_table("poll_sources")
    with op.batch_alter_table("crawl_runs") as batch_op:
        batch_op.drop_column("summary")
        batch_op.drop_column("exit_code")
        batch_op.drop_column("kind")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_index("ix_articles_outlet_next_check")
        batch_op.drop_column("checks_stopped_at")
        batch_op.drop_column("change_count")
