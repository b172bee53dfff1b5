"""near-duplicate fingerprints (MinHash LSH bands), common paragraphs, syndication clusters

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

from newsarchive.db.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "syndication_fingerprints",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("scheme", sa.String(length=60), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version_id"),
    )
    op.create_index("ix_syndication_fingerprints_matched", "syndication_fingerprints", ["matched"])
    op.create_table(
        "syndication_bands",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("key", "version_id"),
    )
    op.create_table(
        "syndication_paragraphs",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_article_id", sa.Integer(), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("common", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "syndication_clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "syndication_members",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("alias_of", sa.Integer(), nullable=True),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("matched_version_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_syndication_members_cluster_id", "syndication_members", ["cluster_id"])


def downgrade() -> None:
    op.drop_index("ix_syndication_members_cluster_id", table_name="syndication_members")
    op.drop_table("syndication_members")
    op.drop_table("syndication_clusters")
    op.drop_table("syndication_paragraphs")
    op.drop_table("syndication_bands")
    op.drop_index("ix_syndication_fingerprints_matched", table_name="syndication_fingerprints")
    op.drop_table("syndication_fingerprints")
