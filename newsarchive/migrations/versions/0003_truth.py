"""articles.current_version_id and articles.url; changes.reverted_to_id; article_versions.extractor

- current_version_id: the version the page showed at the latest fetch. A flip back to a
  known version makes no new version, so "the latest version" is no longer "what the page
  shows now".
- url: the URL of record (what the site declares and serves); canonical_url stays the
  matching key that folds variants.
- reverted_to_id: for a flip event (no new version), the known version the page went back to.
- extractor: which extractor (package versions + rules version) produced a version.

Existing rows: url = canonical_url; current_version_id = the version of the article's latest
linked capture, else its latest version.

Revision ID: 0003
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0009"
branch_labels = None
depends_on = None

CURRENT_FK = "fk_articles_current_version_id"
REVERTED_FK = "fk_changes_reverted_to_id"


def _add_fk_column(table: str, name: str, fk_name: str, sqlite: bool) -> None:
    """A nullable integer column referencing article_versions.id."""
    if sqlite:  # SQLite cannot add a constraint to a table: declare it in the column
        op.execute(f"ALTER TABLE {table} ADD COLUMN {name} INTEGER "
                   f"CONSTRAINT {fk_name} REFERENCES article_versions (id)")
        return
    op.add_column(table, sa.Column(name, sa.Integer(), nullable=True))
    op.create_foreign_key(fk_name, table, "article_versions", [name], ["id"])


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _add_fk_column("articles", "current_version_id", CURRENT_FK, sqlite)
    op.add_column("articles", sa.Column("url", sa.String(length=2000), nullable=True))
    _add_fk_column("changes", "reverted_to_id", REVERTED_FK, sqlite)
    op.add_column("article_versions", sa.Column("extractor", sa.JSON(), nullable=True))
    op.execute("UPDATE articles SET url = canonical_url WHERE url IS NULL")
    op.execute("""
        UPDATE articles SET current_version_id = COALESCE(
            (SELECT c.version_id FROM captures c
              WHERE c.article_id = articles.id AND c.version_id IS NOT NULL
              ORDER BY c.fetched_at DESC, c.id DESC LIMIT 1),
            (SELECT v.id FROM article_versions v
              WHERE v.article_id = articles.id ORDER BY v.seq DESC LIMIT 1))
    """)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.drop_constraint(REVERTED_FK, "changes", type_="foreignkey")
        op.drop_constraint(CURRENT_FK, "articles", type_="foreignkey")
    with op.batch_alter_table("article_versions") as batch_op:
        batch_op.drop_column("extractor")
    with op.batch_alter_table("changes") as batch_op:
        batch_op.drop_column("reverted_to_id")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_column("url")
        batch_op.drop_column("current_version_id")
