from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.config import ServiceSettings, database_url_field


class DirectorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DIRECTORY_", extra="ignore")

    database_url: str = database_url_field("directory_")

    #: Contact requests one member may make in any 24 hours (429 with Retry-After beyond).
    contact_requests_per_day: int = Field(default=20, ge=1, le=1000)
    #: A pending contact request expires after this many days.
    contact_request_days: int = Field(default=30, ge=1, le=365)
    #: Largest photo accepted (the gateway's body limit, 1 MB by default, also applies).
    photo_max_bytes: int = Field(default=512_000, ge=1024, le=10_000_000)
    #: Relevance ranks at most this many matches (the rest of a broad search is unranked).
    #: Ranking reads each candidate's row, so the cap bounds a broad search's database time
    #: (docs/performance.md).
    search_candidate_cap: int = Field(default=200, ge=10, le=100_000)
    #: Any one search statement is cancelled after this long (503, never a slow page).
    search_timeout_ms: int = Field(default=2000, ge=50, le=60_000)
    #: Search answers each replica keeps in memory (0: none). Each is valid only until the
    #: next committed change to profiles, cohorts, organisations or tags; the memory this
    #: takes grows with the entries and their page size (docs/performance.md).
    search_cache_entries: int = Field(default=2000, ge=0, le=100_000)
    #: How often the background job flags stale profiles and expires old requests.
    maintenance_interval_seconds: float = Field(default=3600, gt=0)
