"""Metadata database: SQLAlchemy models, engine set-up and migrations."""
