"""crawl runs, per-outlet run health figures, review state of versions

- ``crawl_runs``: one row per crawl process; ``outlet_runs``: each outlet's extraction-health
  figures and verdict for a run (newsarchive.health).
- ``captures.run_id`` / ``article_versions.run_id``: which run fetched or stored them, so the
  end-of-run analysis reads what the pipeline stored (also after a crash).
- ``article_versions.review`` / ``visible_at``: a version storm's versions are held out of the
  change feed until a person confirms or rejects them. Existing versions are visible since
  they were captured.

Revision ID: 0008
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import newsarchive.db.models

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DATETIME = newsarchive.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("finish_reason", sa.String(length=100), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("outlets", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crawl_runs") as batch_op:
        batch_op.create_index(batch_op.f("ix_crawl_runs_started_at"), ["started_at"], unique=False)
    op.create_table(
        "outlet_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("storm", sa.JSON(), nullable=True),
        sa.Column("review", sa.String(length=20), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["outlet_id"], ["outlets.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "outlet_id", name="uq_outlet_run"),
    )
    with op.batch_alter_table("outlet_runs") as batch_op:
        batch_op.create_index(batch_op.f("ix_outlet_runs_outlet_id"), ["outlet_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outlet_runs_run_id"), ["run_id"], unique=False)
    with op.batch_alter_table("captures") as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_captures_run_id"), ["run_id"], unique=False)
        batch_op.create_foreign_key("fk_captures_run_id", "crawl_runs", ["run_id"], ["id"])
    with op.batch_alter_table("article_versions") as batch_op:
        batch_op.add_column(sa.Column("review", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visible_at", UTC_DATETIME, nullable=True))
        batch_op.create_index(batch_op.f("ix_article_versions_run_id"), ["run_id"], unique=False)
        batch_op.create_foreign_key("fk_article_versions_run_id", "crawl_runs", ["run_id"], ["id"])
    op.execute("UPDATE article_versions SET visible_at = captured_at")


def downgrade() -> None:
    with op.batch_alter_table("article_versions") as batch_op:
        batch_op.drop_constraint("fk_article_versions_run_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_article_versions_run_id"))
        batch_op.drop_column("visible_at")
        batch_op.drop_column("run_id")
        batch_op.drop_column("review")
    with op.batch_alter_table("captures") as batch_op:
        batch_op.drop_constraint("fk_captures_run_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_captures_run_id"))
        batch_op.drop_column("run_id")
    op.drop_table("outlet_runs")
    op.drop_table("crawl_runs")
