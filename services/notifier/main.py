"""The notifier, declared: its spec, the kinds its queue takes (the events that end a run), its handler,
its composition root."""

from __future__ import annotations

from services.notifier.handler import Deps, SnsAnnouncer, handle
from shared.messages import DatasetLoadedV1, DatasetSupersededV1, SourcesUnchangedV1, StageFailedV1
from shared.runtime.service import Service, stage_deps
from shared.settings import Settings
from shared.topology import NOTIFIER


def build(s: Settings) -> Deps:
    return Deps(**stage_deps(s, NOTIFIER), announcer=SnsAnnouncer(s.topic_arn), dashboard_url=s.dashboard_url)


service = Service(NOTIFIER, (DatasetLoadedV1, DatasetSupersededV1, SourcesUnchangedV1, StageFailedV1), handle,
                  build)
