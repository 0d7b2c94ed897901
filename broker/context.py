"""Everything a request needs, built once per process: settings, DB, object store."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from broker.db.engine import make_engine, make_session_factory
from exchange.limits import AssetLimits
from workers.config import Settings
from workers.storage import ObjectStore, open_store


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        return cls(settings, engine, make_session_factory(engine), open_store(settings))

    @cached_property
    def asset_limits(self) -> AssetLimits:
        """What one model may cost (``MESHFARM_*``), as the upload check and loader take it."""
        return AssetLimits.from_settings(self.settings)

    def close(self) -> None:
        self.engine.dispose()
