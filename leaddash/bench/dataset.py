"""The benchmark's synthetic dataset: open leads to rescore plus a decided history.

`--leads N` open leads (inquiry, mql, accepted) each get `K` activities, so rescoring
touches exactly N leads and N×K activities. A quarter as many decided leads (validated,
disqualified, rejected, won, lost) give the what-if replay outcomes to measure against.
Definition v3 is active (the demo's), v4 is a proposed looser version to activate; one SLA
is active. Reps in ten teams own the qualified leads (bench/owners.py). The file is built
once per size under data/bench/ and reused, keyed by size and FORMAT, with its facts in a
JSON file beside it; its LeadPass table, rollups and response histogram are filled as it
is built (format 6); its LeadPass has the deal indexes (format 9); its leads have SLA warning points and alert
steps (format 11).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session, SQLModel

from leaddash.bench.owners import queue_rep_username, with_owners, write_reps
from leaddash.config import PROJECT_ROOT
from leaddash.core.bulk import insert_returning_ids, insert_rows, records
from leaddash.db import make_engine, write_session
from leaddash.definitions import ACTIVITY_TYPES, score_leads, summarize
from leaddash.demo.agreements import definition_v2, definition_v3
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import Activity, AgreementVersion, Lead, StageEvent
from leaddash.sla import default_sla_content, summarize_sla

FORMAT = 14  # 14: passes keep speed-to-lead durations, the history flag and their index (0021)
BENCH_DIR = PROJECT_ROOT / "data" / "bench"
HISTORY_SHARE = 0.25
OPEN_STAGES = {"inquiry": 0.80, "mql": 0.12, "accepted": 0.08}
DECIDED_STAGES = {
    "validated": 0.35,
    "disqualified": 0.25,
    "rejected": 0.15,
    "won": 0.15,
    "lost": 0.10,
}
LATER = {
    "validated": ["accepted", "validated"],
    "disqualified": ["accepted", "disqualified"],
    "rejected": ["rejected"],
    "won": ["accepted", "validated", "sql", "opportunity", "won"],
    "lost": ["accepted", "validated", "sql", "opportunity", "lost"],
    "accepted": ["accepted"],
    "mql": [],
    "inquiry": [],
}
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "AU", "IN", "BR"]
INDUSTRIES = ["Software", "Healthcare", "Retail", "Manufacturing", "Education", "Government"]
TITLES = ["VP Marketing", "CEO", "Sales Operations Analyst", "Student", "CRO"]
TYPE_MIX = np.array([0.12, 0.34, 0.22, 0.08, 0.12, 0.04, 0.08])


@dataclass(frozen=True)
class BenchDataset:
    """Where the dataset lives and what it holds."""

    path: str
    leads: int
    open_leads: int
    activities: int
    open_activities: int
    active_id: int
    candidate_id: int
    candidate_number: int
    now: str
    queue_rep: str = ""

    @property
    def url(self) -> str:
        """Return the SQLAlchemy URL of the dataset's SQLite file."""
        return f"sqlite:///{self.path}"

    @property
    def now_at(self) -> datetime:
        """Return the dataset's "current moment" (when it was built) as aware UTC."""
        return datetime.fromisoformat(self.now)


def dataset_path(leads: int, per_lead: int, root: Path = BENCH_DIR) -> Path:
    """Return the SQLite file for a dataset of this size (and format)."""
    return root / f"bench-f{FORMAT}-{leads}x{per_lead}.db"


def load_or_build(
    leads: int, per_lead: int, *, fresh: bool = False, seed: int = 11, root: Path = BENCH_DIR
) -> BenchDataset:
    """Return the dataset of this size, building it when missing (or when `fresh`)."""
    path = dataset_path(leads, per_lead, root)
    facts = path.with_suffix(".json")
    if not fresh and path.exists() and facts.exists():
        return BenchDataset(**json.loads(facts.read_text()))
    for stale in (path, facts, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    dataset = build(path, leads, per_lead, seed)
    facts.write_text(json.dumps(asdict(dataset), indent=2))
    return dataset


def build(path: Path, leads: int, per_lead: int, seed: int) -> BenchDataset:
    """Write a fresh dataset into the SQLite file at `path` and return its facts."""
    rng = np.random.default_rng(seed)
    now = pd.Timestamp(datetime.now(UTC)).floor("s")
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    frame = _leads(rng, leads, int(leads * HISTORY_SHARE), now)
    acts = _activities(rng, frame, per_lead, now)
    with write_session(engine) as session:
        ids = _agreements(session, now)
        frame = with_owners(frame, write_reps(session, now))
        frame = _scored(frame, acts, now).assign(definition_version_id=ids["active"])
        lead_ids = insert_returning_ids(session, Lead, records(frame.drop(columns="key")))
        key_to_id = pd.Series(lead_ids, index=frame["key"])
        insert_rows(
            session,
            Activity,
            records(acts.assign(lead_id=acts["key"].map(key_to_id)).drop(columns="key")),
        )
        insert_rows(session, StageEvent, records(_events(frame, key_to_id, ids["active"])))
        rebuild_all_facts(session)
    engine.dispose()
    opened = frame["stage"].isin(list(OPEN_STAGES))
    return BenchDataset(
        path=str(path),
        leads=len(frame),
        open_leads=int(opened.sum()),
        activities=len(acts),
        open_activities=int(acts["key"].isin(frame.loc[opened, "key"]).sum()),
        active_id=ids["active"],
        candidate_id=ids["candidate"],
        candidate_number=4,
        now=now.isoformat(),
        queue_rep=queue_rep_username(),
    )


def _pick(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    names = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()))
    return names[rng.choice(len(names), size=size, p=p / p.sum())]


def _leads(
    rng: np.random.Generator, open_count: int, decided: int, now: pd.Timestamp
) -> pd.DataFrame:
    count = open_count + decided
    stage = np.concatenate(
        [_pick(rng, OPEN_STAGES, open_count), _pick(rng, DECIDED_STAGES, decided)]
    )
    created = now - pd.to_timedelta(rng.uniform(1, 365, count) * 86_400, unit="s").round("s")
    order = np.argsort(created.to_numpy())
    personal = rng.random(count) < 0.05
    frame = pd.DataFrame(
        {
            "key": np.arange(count),
            "stage": stage[order],
            "created_at": created[order],
            "country": rng.choice(COUNTRIES, count),
            "industry": rng.choice(INDUSTRIES, count),
            "employees": np.exp(rng.uniform(np.log(10), np.log(20_000), count)).astype(int),
            "title": rng.choice(TITLES, count, p=[0.3, 0.2, 0.25, 0.05, 0.2]),
            "company": [f"Company {i % 5000}" for i in range(count)],
            "email": np.where(personal, "someone@gmail.com", "someone@company.example"),
            "source": rng.choice(["Webinar", "Paid Search", "Organic"], count),
            "custom": [{"customer": True} if c else {} for c in rng.random(count) < 0.025],
        }
    )
    room = (now - pd.Timedelta(hours=8) - frame["created_at"]).clip(upper=pd.Timedelta(days=20))
    mql = frame["created_at"] + (room * rng.random(count)).dt.round("s")
    frame["mql_at"] = mql.where(frame["stage"] != "inquiry")
    frame["stage_changed_at"] = frame["mql_at"].fillna(frame["created_at"])
    frame["updated_at"] = frame["stage_changed_at"]
    frame["version"] = 1
    return frame


def _activities(
    rng: np.random.Generator, leads: pd.DataFrame, per_lead: int, now: pd.Timestamp
) -> pd.DataFrame:
    key = np.repeat(leads["key"].to_numpy(), per_lead)
    offset = pd.to_timedelta(rng.exponential(15 * 86_400, len(key)).round(), unit="s")
    when = leads["created_at"].repeat(per_lead).reset_index(drop=True) + offset
    kinds = np.array(ACTIVITY_TYPES, dtype=object)[
        rng.choice(len(ACTIVITY_TYPES), size=len(key), p=TYPE_MIX / TYPE_MIX.sum())
    ]
    return pd.DataFrame(
        {"key": key, "type": kinds, "occurred_at": when.where(when < now, now), "detail": None}
    )


def _scored(frame: pd.DataFrame, acts: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Return the leads with the score, fit and failed clause the active version gives."""
    scored = score_leads(
        frame.rename(columns={"key": "id"}),
        acts.rename(columns={"key": "lead_id"}),
        definition_v3(),
        now,
    )
    return frame.assign(
        score=scored["score"].to_numpy(),
        fit_ok=scored["fit_ok"].to_numpy(),
        fit_failed_clause=scored["failed_clause"].to_numpy(),
    )


def _agreement(
    kind: str, number: int, status: str, content: dict[str, Any], since: datetime
) -> dict[str, Any]:
    summary = summarize(content) if kind == "definition" else summarize_sla(content)
    return {
        "kind": kind,
        "number": number,
        "title": f"{kind} v{number}",
        "status": status,
        "content": content,
        "summary": summary,
        "created_at": since,
        "updated_at": since,
        "effective_from": since if status == "active" else None,
        "version": 1,
    }


def candidate_definition() -> dict[str, Any]:
    """Return the proposed v4: the active definition with a lower threshold (50), a slower
    decay (60 days) and webinars worth more (20), so most scores change."""
    content = definition_v3()
    content["threshold"] = 50
    content["scoring"]["half_life_days"] = 60
    content["scoring"]["activities"]["webinar"] = {"points": 20, "cap": 40}
    return content


def _agreements(session: Session, now: pd.Timestamp) -> dict[str, int]:
    since = (now - timedelta(days=400)).to_pydatetime()
    rows = [
        _agreement("definition", 2, "retired", definition_v2(), since),
        _agreement("definition", 3, "active", definition_v3(), since),
        _agreement("definition", 4, "proposed", candidate_definition(), since),
        _agreement("sla", 1, "active", default_sla_content(), since),
    ]
    ids = insert_returning_ids(session, AgreementVersion, rows)
    return {"active": ids[1], "candidate": ids[2]}


def _events(frame: pd.DataFrame, key_to_id: pd.Series, version_id: int) -> pd.DataFrame:
    """Return inquiry for every lead, then mql and the later stages an hour apart each."""
    parts = [
        pd.DataFrame(
            {
                "key": frame["key"],
                "from_stage": None,
                "to_stage": "inquiry",
                "occurred_at": frame["created_at"],
            }
        )
    ]
    qualified = frame[frame["mql_at"].notna()]
    parts.append(
        pd.DataFrame(
            {
                "key": qualified["key"],
                "from_stage": "inquiry",
                "to_stage": "mql",
                "occurred_at": qualified["mql_at"],
            }
        )
    )
    for stage, path in LATER.items():
        mine = qualified[qualified["stage"] == stage]
        for step, (before, after) in enumerate(zip(["mql", *path], path, strict=False)):
            parts.append(
                pd.DataFrame(
                    {
                        "key": mine["key"],
                        "from_stage": before,
                        "to_stage": after,
                        "occurred_at": mine["mql_at"] + pd.Timedelta(hours=step + 1),
                    }
                )
            )
    events = pd.concat(parts, ignore_index=True)
    return events.assign(
        lead_id=events["key"].map(key_to_id),
        actor_id=None,
        reason_code=None,
        note=None,
        definition_version_id=version_id,
    ).drop(columns="key")
