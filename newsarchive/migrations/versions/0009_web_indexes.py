"""indexes for the web view's lists: an outlet's stories by age and by edits, its last fetch

- The outlet page lists stories newest first or most edited first, 50 at a time: without
  (outlet_id, first_seen_at) and (outlet_id, version_count, first_seen_at) each page sorts
  every article of the outlet.
- The home page shows each outlet's last fetch: max(fetched_at) per outlet is one index
  probe with (outlet_id, fetched_at), a scan of all captures without it.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_articles_outlet_first_seen", "articles", ["outlet_id", "first_seen_at"]),
    ("ix_articles_outlet_versions", "articles", ["outlet_id", "version_count", "first_seen_at"]),
    ("ix_captures_outlet_fetched", "captures", ["outlet_id", "fetched_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
