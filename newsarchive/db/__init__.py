"""Storage: SQLAlchemy models, engine set-up and repository functions (no Scrapy here)."""
