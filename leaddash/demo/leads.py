"""Demo leads and their marketing activities: who they are, where they came from, when."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leaddash.definitions import ACTIVITY_TYPES


@dataclass(frozen=True)
class Source:
    """A lead source: share of leads, how often sales validates its leads (quality),
    extra engagement, the activity a lead starts with, and its campaigns."""

    share: float
    quality: float
    engagement: float
    entry: str
    campaigns: tuple[str, ...]


SOURCES: dict[str, Source] = {
    "Webinar": Source(
        0.13,
        0.84,
        0.08,
        "webinar",
        ("Pipeline Math Live", "Forecasting Clinic", "RevOps Roundtable"),
    ),
    "Paid Search": Source(
        0.17, 0.75, 0.0, "form_fill", ("Brand Search", "Competitor Terms", "Lead Scoring Keywords")
    ),
    "Content Syndication": Source(
        0.16,
        0.32,
        0.12,
        "content_download",
        ("State of Demand Gen Report", "B2B Benchmark eBook", "Buyer Journey Guide"),
    ),
    "Organic": Source(
        0.20, 0.81, -0.02, "form_fill", ("Blog Newsletter", "Pricing Page", "Free Templates")
    ),
    "Events": Source(
        0.10, 0.77, 0.05, "form_fill", ("RevOps Summit Booth", "SaaS Connect", "Partner Roadshow")
    ),
    "Partner Referral": Source(
        0.07, 0.88, 0.08, "form_fill", ("Agency Partners", "Tech Alliance", "Reseller Program")
    ),
    "LinkedIn Ads": Source(
        0.17,
        0.71,
        0.0,
        "form_fill",
        ("Lead Gen Forms RevOps", "Benchmark Sponsored", "Retargeting"),
    ),
}
REJECTING_SOURCE = "Content Syndication"
SEGMENTS = {"SMB": 0.50, "Mid-Market": 0.33, "Enterprise": 0.17}
EMPLOYEE_RANGES = {"SMB": (25, 199), "Mid-Market": (200, 999), "Enterprise": (1000, 25000)}
COUNTRIES = {
    "US": 0.42,
    "CA": 0.07,
    "GB": 0.12,
    "DE": 0.09,
    "FR": 0.05,
    "NL": 0.04,
    "AU": 0.05,
    "IN": 0.09,
    "BR": 0.07,
}
INDUSTRIES = {
    "Software": 0.30,
    "Financial Services": 0.14,
    "Healthcare": 0.12,
    "Manufacturing": 0.14,
    "Retail": 0.12,
    "Media": 0.06,
    "Education": 0.06,
    "Government": 0.03,
    "Non-profit": 0.03,
}
TITLES = (
    "VP Marketing",
    "Head of Demand Generation",
    "Marketing Operations Manager",
    "Director of Sales",
    "VP Sales",
    "Revenue Operations Lead",
    "CMO",
    "CEO",
    "Growth Marketing Manager",
    "Sales Operations Analyst",
    "Founder",
    "CRO",
)
STUDENT_TITLES = ("Student", "Marketing Intern", "MBA Student", "Job Seeker")
FIRST = (
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Zoe",
    "Jonas",
    "Lea",
    "Arjun",
    "Priya",
    "Chen",
    "Sara",
    "Mateo",
    "Ines",
    "Omar",
    "Hana",
    "Felix",
    "Nora",
    "Ravi",
    "Julia",
    "Tomás",
    "Elif",
    "Kofi",
    "Anna",
    "Marco",
    "Lena",
    "Yuki",
)
LAST = (
    "Smith",
    "Müller",
    "Garcia",
    "Johnson",
    "Brown",
    "Martin",
    "Rossi",
    "Dubois",
    "Jansen",
    "Kumar",
    "Silva",
    "Wilson",
    "Taylor",
    "Schulz",
    "Novak",
    "Khan",
    "Lee",
    "Andersen",
    "Costa",
    "Walker",
    "Moreau",
    "Singh",
    "Young",
    "Fischer",
    "Lopez",
)
COMPANY_A = (
    "Northwind",
    "Bluepeak",
    "Brightline",
    "Cobalt",
    "Everstone",
    "Granite",
    "Harbor",
    "Ironwood",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidewater",
    "Vertex",
)
COMPANY_B = (
    "Analytics",
    "Systems",
    "Labs",
    "Health",
    "Logistics",
    "Foods",
    "Capital",
    "Media",
    "Robotics",
    "Software",
    "Energy",
    "Partners",
)
COMPETITORS = ("Pipewise", "Funnelcraft", "LeadLoop")
PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com")
DETAILS = {
    "web_visit": "/blog",
    "email_click": "Newsletter click",
    "form_fill": "Contact form",
    "webinar": "Webinar attended",
    "content_download": "Guide download",
    "demo_request": "Demo request form",
    "pricing_page": "/pricing",
}
ENGAGEMENT_BETA = (1.5, 3.0)
# Activity mix of a barely engaged lead and of a very engaged one (same order as types).
LOW_INTENT = np.array([0.02, 0.55, 0.33, 0.02, 0.08, 0.0, 0.0])
HIGH_INTENT = np.array([0.15, 0.22, 0.15, 0.10, 0.10, 0.10, 0.18])


def _pick(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    names = list(weights)
    p = np.array([weights[k] for k in names], dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=size, p=p / p.sum())]


def creation_times(
    rng: np.random.Generator, count: int, start: pd.Timestamp, now: pd.Timestamp
) -> pd.Series:
    """Return sorted creation times: volume grows ~40% over the window, dips in summer and
    December, and is low at weekends; times of day centre on the US working day."""
    days = pd.date_range(start, now.normalize(), freq="D", tz="UTC")
    growth = 1 + 0.4 * np.linspace(0, 1, len(days))
    season = np.array([1.05, 1.1, 1.15, 1.05, 1.0, 0.85, 0.72, 0.8, 1.1, 1.18, 1.1, 0.78])
    weekday = np.where(days.day_of_week >= 5, 0.35, 1.0)
    weight = growth * season[days.month - 1] * weekday
    day = rng.choice(len(days), size=count, p=weight / weight.sum())
    hours = np.clip(rng.normal(16.0, 3.5, count), 0, 23.99)
    times = days[day] + pd.to_timedelta(np.round(hours * 3600), unit="s")
    times = times.where(times < now, now - pd.Timedelta(minutes=5))
    return pd.Series(times.sort_values(), name="created_at")


def _people(rng: np.random.Generator, count: int, student: np.ndarray) -> pd.DataFrame:
    first = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), count)]
    last = np.array(LAST, dtype=object)[rng.integers(0, len(LAST), count)]
    title = np.array(TITLES, dtype=object)[rng.integers(0, len(TITLES), count)]
    student_title = np.array(STUDENT_TITLES, dtype=object)[rng.integers(0, 4, count)]
    return pd.DataFrame(
        {"first_name": first, "last_name": last, "title": np.where(student, student_title, title)}
    )


def _companies(rng: np.random.Generator, count: int, segment: np.ndarray) -> pd.DataFrame:
    a = np.array(COMPANY_A, dtype=object)[rng.integers(0, len(COMPANY_A), count)]
    b = np.array(COMPANY_B, dtype=object)[rng.integers(0, len(COMPANY_B), count)]
    company = pd.Series(a + " " + b)
    rival = rng.random(count) < 0.007
    company[rival] = np.array(COMPETITORS, dtype=object)[rng.integers(0, 3, rival.sum())]
    low = np.array([EMPLOYEE_RANGES[s][0] for s in segment], dtype=float)
    high = np.array([EMPLOYEE_RANGES[s][1] for s in segment], dtype=float)
    employees = np.exp(rng.uniform(np.log(low), np.log(high))).round().astype(int)
    return pd.DataFrame({"company": company, "employees": employees})


def _emails(rng: np.random.Generator, frame: pd.DataFrame, personal: np.ndarray) -> pd.Series:
    domain = frame["company"].str.lower().str.replace(r"[^a-z]", "", regex=True) + ".com"
    free = np.array(PERSONAL_DOMAINS, dtype=object)[rng.integers(0, 3, len(frame))]
    domain = domain.where(~personal, free)
    local = (frame["first_name"] + "." + frame["last_name"]).str.lower()
    local = local.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    return local + np.char.mod("%d", np.arange(len(frame))).astype(object) + "@" + domain


def _phones(count: int) -> list[str | None]:
    """Return fictional numbers (the 555-01xx block is reserved for fiction), every
    seventh lead without one: from the row number alone, so the random draws stay as they
    were."""
    return [None if i % 7 == 6 else f"+1 415 555 01{i % 100:02d}" for i in range(count)]


def make_leads(rng: np.random.Generator, created_at: pd.Series) -> pd.DataFrame:
    """Return one row per lead (index 0…n-1): contact, company, source and campaign,
    segment, a `quality` (how likely sales validates it) and an `engagement` level."""
    count = len(created_at)
    source = _pick(rng, {k: s.share for k, s in SOURCES.items()}, count)
    syndicated = source == REJECTING_SOURCE
    segment = _pick(rng, SEGMENTS, count)
    frame = pd.concat(
        [
            _people(rng, count, rng.random(count) < np.where(syndicated, 0.10, 0.025)),
            _companies(rng, count, segment),
        ],
        axis=1,
    )
    frame["email"] = _emails(rng, frame, rng.random(count) < np.where(syndicated, 0.10, 0.03))
    campaign = [
        SOURCES[s].campaigns[i] for s, i in zip(source, rng.integers(0, 3, count), strict=True)
    ]
    customer = rng.random(count) < 0.025
    boost = np.array([SOURCES[s].engagement for s in source])
    engagement = rng.beta(*ENGAGEMENT_BETA, count) + boost
    return frame.assign(
        external_id=[f"DEMO-{i + 1:06d}" for i in range(count)],
        email_key=frame["email"].str.lower(),
        phone=_phones(count),
        source=source,
        campaign=campaign,
        segment=segment,
        country=_pick(rng, COUNTRIES, count),
        industry=_pick(rng, INDUSTRIES, count),
        created_at=created_at.array,
        custom=[{"customer": True} if c else {} for c in customer],
        quality=[SOURCES[s].quality for s in source],
        engagement=np.clip(engagement, 0, 1),
    )


def _activity_types(rng: np.random.Generator, engagement: np.ndarray) -> np.ndarray:
    mix = (1 - engagement)[:, None] * LOW_INTENT + engagement[:, None] * HIGH_INTENT
    cumulative = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    draw = rng.random(len(engagement))[:, None]
    chosen = (draw > cumulative).sum(axis=1).clip(0, len(ACTIVITY_TYPES) - 1)
    return np.array(ACTIVITY_TYPES, dtype=object)[chosen]


def make_activities(
    rng: np.random.Generator, leads: pd.DataFrame, now: pd.Timestamp
) -> pd.DataFrame:
    """Return 5–15 activities per lead (lead_key, type, occurred_at, detail): the source's
    entry activity at creation, the rest spread over the following weeks, none after now."""
    per_lead = rng.integers(5, 16, len(leads))
    key = np.repeat(leads.index.to_numpy(), per_lead)
    first = np.r_[True, key[1:] != key[:-1]]
    span_days = np.clip(rng.lognormal(np.log(18), 0.7, len(leads)), 1, 120)
    offset_days = np.where(first, 0.0, rng.random(len(key)) * np.repeat(span_days, per_lead))
    kinds = _activity_types(rng, np.repeat(leads["engagement"].to_numpy(), per_lead))
    entry = leads["source"].map(lambda s: SOURCES[s].entry).to_numpy()
    kinds = np.where(first, np.repeat(entry, per_lead), kinds)
    when = leads["created_at"].repeat(per_lead).reset_index(drop=True) + pd.to_timedelta(
        np.round(offset_days * 86400), unit="s"
    )
    frame = pd.DataFrame({"lead_key": key, "type": kinds, "occurred_at": when})
    frame["detail"] = frame["type"].map(DETAILS)
    return frame[frame["occurred_at"] <= now].reset_index(drop=True)
