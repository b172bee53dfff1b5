"""index articles.redirected_to; add the captures.version_id foreign key where it is missing

- Storing a new article looks up whether a known article moved to its URL; without an
  index that is a full scan of the articles table for every new story.
- 0001 declared captures.version_id -> article_versions with use_alter (the two tables
  point at each other); op.create_table leaves such a key out, so PostgreSQL databases
  made by 0001 lack it. SQLite got it inline.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSION_FK = "fk_captures_version_id"


def _has_version_fk() -> bool:
    keys = sa.inspect(op.get_bind()).get_foreign_keys("captures")
    return any(k["referred_table"] == "article_versions" for k in keys)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.create_index("ix_articles_redirected_to", ["redirected_to"], unique=False)
    if not _has_version_fk():
        op.create_foreign_key(VERSION_FK, "captures", "article_versions", ["version_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_index("ix_articles_redirected_to")
