"""articles.outlet_article_id: the outlet's stable story id, so a slug change keeps the story

Revision ID: 0010
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.add_column(sa.Column("outlet_article_id", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_articles_outlet_article_id", ["outlet_id", "outlet_article_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_index("ix_articles_outlet_article_id")
        batch_op.drop_column("outlet_article_id")
