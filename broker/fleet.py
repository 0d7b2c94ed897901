"""Fleet-wide switches stored in the DB, so a CLI on any machine can steer the dispatcher."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from broker.db.models import FleetFlag

DRAINING = "draining"


def is_draining(session: Session) -> bool:
    flag = session.get(FleetFlag, DRAINING)
    return flag is not None and flag.value == "1"


def set_draining(session: Session, draining: bool) -> None:
    flag = session.get(FleetFlag, DRAINING)
    if flag is None:
        session.add(FleetFlag(name=DRAINING, value="1" if draining else "0"))
    else:
        flag.value = "1" if draining else "0"
        flag.updated_at = datetime.now(UTC)
