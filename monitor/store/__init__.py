"""Storage: SQLAlchemy tables (the schema Alembic migrates), engine factory, repository functions."""
