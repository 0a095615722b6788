"""Which email domains belong to the UK public sector.

Invitations to other domains need a programme admin's explicit override, which is audited.
A domain matches a rule when it equals it or ends with "." + it.
"""

from __future__ import annotations

PUBLIC_SECTOR_DOMAINS: frozenset[str] = frozenset(
    {
        "gov.uk",  # central government, most local authorities, NI Civil Service (nics.gov.uk)
        "gov.scot",
        "gov.wales",
        "llyw.cymru",
        "nhs.net",
        "nhs.uk",
        "hscni.net",  # health and social care in Northern Ireland
        "police.uk",
        "pnn.police.uk",
        "mod.uk",
        "parliament.uk",
        "judiciary.uk",
        "sch.uk",  # maintained schools
        "bankofengland.co.uk",
        "ons.gov.uk",
    }
)


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def is_public_sector(email: str) -> bool:
    domain = domain_of(email)
    return any(domain == rule or domain.endswith("." + rule) for rule in PUBLIC_SECTOR_DOMAINS)
