"""The database layer: typed SQLAlchemy 2.0 models, engine/session setup, Alembic migrations."""
