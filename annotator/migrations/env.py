"""Alembic environment: runs on the engine handed in by annotator.migrations_runner."""

from alembic import context
from sqlalchemy import create_engine

from annotator.models import Base

config = context.config
engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
    )
    context.run_migrations()
