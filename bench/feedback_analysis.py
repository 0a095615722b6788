"""Feedback at scale: figures, not a test (it asserts nothing).

    .venv/bin/python bench/feedback_analysis.py [--gateway-votes 6000] [--concurrency 16]

1. Analysis and rendering, in memory: 3,000 respondents, 200 statements, 300,000 votes with a
   hidden three-camp structure; time to compose the report (PCA + k-means, consensus,
   divisive, k-anonymous breakdowns, themes) and to render HTML, CSV and PDF.
2. The same campaign in PostgreSQL: time for the service to publish the report from its
   database (load, re-derive pseudonyms for breakdowns, analyse, render, store, outbox).
3. Votes ingested per second through the gateway (real HTTP, token checks at the gateway and
   the service, one transaction per vote), on embedded PostgreSQL and broker.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from devstack.broker import EmbeddedBroker
from devstack.postgres import EmbeddedPostgres, free_port
from services.feedback.adapters import report_files
from services.feedback.domain.breakdowns import Respondent
from services.feedback.domain.model import Question, QuestionKind, pseudonym
from services.feedback.domain.report import ReportInput, compose_report

RESPONDENTS, STATEMENTS, VOTES = 3_000, 200, 300_000
SECTORS = ["Health", "Policing", "Education", "Local government", "Justice", "Defence", "Arts"]
REGIONS = ["London", "North East", "North West", "Wales", "Scotland", "Northern Ireland", "East"]
COHORTS = ["Cohort 2023", "Cohort 2024", "Cohort 2025", "Cohort 2026"]
QUESTIONS = [
    Question("support", QuestionKind.RATING, "How well supported do you feel?"),
    Question("priority", QuestionKind.SINGLE_CHOICE, "First?", options=("pay", "skills", "homes")),
    Question("barriers", QuestionKind.MULTIPLE_CHOICE, "Barriers?", options=("money", "rules")),
    Question("anything", QuestionKind.FREE_TEXT, "Anything else?"),
]
PHRASES = [
    "housing costs stop recruitment",
    "digital skills are scarce",
    "funding settlements arrive too late",
    "central targets distort priorities",
    "shared services would save money",
]
KEY = secrets.token_bytes(32)


def synthetic(seed: int = 7) -> tuple[dict[str, str], list[tuple[str, str, int]], list[Respondent]]:
    rnd = random.Random(seed)
    statements = {str(uuid.uuid4()): f"Statement number {i}" for i in range(STATEMENTS)}
    ids = list(statements)
    # Three camps; each statement has an agree probability per camp.
    leanings = [[rnd.random() for _ in ids] for _ in range(3)]
    people = [uuid.uuid4().hex for _ in range(RESPONDENTS)]
    camps = [0 if i < 1500 else 1 if i < 2500 else 2 for i in range(RESPONDENTS)]
    per_person = VOTES // RESPONDENTS
    votes = []
    for person, camp in zip(people, camps, strict=True):
        for j in rnd.sample(range(STATEMENTS), per_person):
            p = leanings[camp][j]
            roll = rnd.random()
            votes.append(
                (person, ids[j], 1 if roll < p * 0.9 else 0 if roll < p * 0.9 + 0.1 else -1)
            )
    respondents = []
    for i, person in enumerate(people):
        attributes = {
            # Arts and Northern Ireland are small: they must be suppressed.
            "sector": SECTORS[-1] if i % 997 == 0 else SECTORS[i % 6],
            "region": REGIONS[-2] if i % 1009 == 0 else REGIONS[i % 7 if i % 7 != 5 else 0],
            "cohort": COHORTS[i % 4],
        }
        answers: dict[str, Any] = {
            "support": 1 + (i * 7) % 5,
            "priority": ["pay", "skills", "homes"][i % 3],
            "barriers": ["money"] if i % 2 else ["money", "rules"],
            "anything": f"{PHRASES[i % 5]} in my area, {rnd.randint(0, 10**6)}",
        }
        respondents.append(Respondent(person, attributes, answers))
    return statements, votes, respondents


def bench_in_memory() -> None:
    statements, votes, respondents = synthetic()
    data = ReportInput(
        campaign_id=uuid.uuid4(),
        title="Benchmark",
        question="What would most help?",
        questions=QUESTIONS,
        statements=statements,
        votes=votes,
        respondents=respondents,
        responses=len(respondents),
    )
    started = time.perf_counter()
    composed = compose_report(data, version=1, final=True, published_at=datetime.now(UTC))
    analysed = time.perf_counter()
    html = report_files.render_html(composed.document)
    csv_text = report_files.render_csv(composed.document)
    pdf = report_files.render_pdf(composed.document)
    rendered = time.perf_counter()
    doc = composed.document
    print(
        f"in memory: {len(respondents):,} respondents, {len(statements)} statements, "
        f"{len(votes):,} votes"
    )
    print(
        f"  analysis (compose report):   {analysed - started:6.2f} s  "
        f"-> {len(doc.groups)} groups {[g.size for g in doc.groups]}, "
        f"{len(doc.consensus)} consensus, {len(doc.divisive)} divisive, "
        f"{len(doc.breakdowns)} breakdown tables"
    )
    print(
        f"  render HTML + CSV + PDF:     {rendered - analysed:6.2f} s  "
        f"({len(html) // 1024} KiB, {len(csv_text) // 1024} KiB, {len(pdf) // 1024} KiB)"
    )


async def _serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    return server, task


async def bench_stack(gateway_votes: int, concurrency: int) -> None:
    import asyncpg

    from services.chassis.app import create_service_app
    from services.chassis.migrations import upgrade_to_head
    from services.feedback.adapters.orm import Campaign
    from services.feedback.adapters.pseudonyms import Pseudonyms
    from services.feedback.bootstrap import SERVICE as FEEDBACK
    from services.feedback.handlers.reports import publish_campaign_report
    from services.gateway.app import create_app as create_gateway
    from services.gateway.config import GatewaySettings
    from services.identity.adapters.signing_keys import SigningKeys
    from services.identity.bootstrap import SERVICE as IDENTITY
    from services.identity.domain.access_tokens import issue_access_token

    root = Path(tempfile.mkdtemp(prefix="feedback-bench-"))
    postgres = EmbeddedPostgres(root / "postgres", free_port())
    broker = EmbeddedBroker(free_port(), root / "broker.log")
    postgres.start()
    broker.start()
    servers = []
    try:
        server_url = postgres.url().rsplit("/", 1)[0]
        ports = {name: free_port() for name in ("identity", "feedback", "gateway")}
        jwks = f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json"
        apps: dict[str, Any] = {}
        admin_conn = await asyncpg.connect(f"{server_url}/postgres")
        for definition in (IDENTITY, FEEDBACK):
            name = f"convene_{definition.name}"
            await admin_conn.execute(f'CREATE DATABASE "{name}"')
            url = f"{server_url}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
            await asyncio.to_thread(upgrade_to_head, definition.migrations, url)
            settings = definition.settings_type(
                database_url=url,
                kafka_bootstrap_servers=broker.bootstrap_servers,
                auth_jwks_url=jwks,
                pseudonym_key=secrets.token_urlsafe(48),
                mailbox_dir=str(root / "mailbox"),
                secure_cookies=False,
            )
            apps[definition.name] = create_service_app(definition, settings)
        await admin_conn.close()
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        apps["gateway"] = create_gateway(
            GatewaySettings(
                auth_jwks_url=jwks,
                identity_url=urls["identity"],
                feedback_url=urls["feedback"],
                secure_cookies=False,
            )
        )
        for name, port in ports.items():
            servers.append(await _serve(apps[name], port))
        feedback = apps["feedback"].state.runtime
        for name in ("identity", "feedback"):
            runtime = apps[name].state.runtime
            if hasattr(runtime, "wait_until_ready"):  # a chassis that connects in the background
                await runtime.wait_until_ready()
        keys: SigningKeys = apps["identity"].state.runtime.token_verifier.keys
        key = await keys.active()

        def token(subject: str, roles: tuple[str, ...]) -> dict[str, str]:
            jwt = issue_access_token(
                key,
                subject=subject,
                roles=roles,
                issuer="convene-identity",
                audience="convene",
                ttl_seconds=3600,
            )
            return {"Authorization": f"Bearer {jwt}"}

        admin = token(str(uuid.uuid4()), ("programme_admin",))
        now = datetime.now(UTC)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=urls["gateway"], timeout=60, limits=limits) as client:
            created = await client.post(
                "/api/feedback/campaigns",
                headers=admin,
                json={
                    "title": "Ingest benchmark",
                    "question": "Vote, please",
                    "opens_at": (now - timedelta(minutes=1)).isoformat(),
                    "closes_at": (now + timedelta(days=1)).isoformat(),
                    "statements": [f"Gateway statement {i}" for i in range(50)],
                },
            )
            created.raise_for_status()
            cid = created.json()["id"]
            listed = await client.get(
                f"/api/feedback/campaigns/{cid}/statements", params={"limit": 500}, headers=admin
            )
            statement_ids = [s["id"] for s in listed.json()["items"]]
            voters = max(1, gateway_votes // len(statement_ids))
            members = [str(uuid.uuid4()) for _ in range(voters)]
            async with feedback.engine.begin() as conn:
                from sqlalchemy import text

                await conn.execute(
                    text("INSERT INTO members (member_id, active) VALUES (:m, true)"),
                    [{"m": uuid.UUID(m)} for m in members],
                )
            jobs = [(token(m, ("member",)), sid) for m in members for sid in statement_ids]
            random.Random(1).shuffle(jobs)
            queue: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
            for job in jobs:
                queue.put_nowait(job)
            failures = 0

            async def worker() -> None:
                nonlocal failures
                while not queue.empty():
                    headers, sid = queue.get_nowait()
                    try:
                        r = await client.post(
                            f"/api/feedback/campaigns/{cid}/statements/{sid}/votes",
                            json={"vote": random.choice(["agree", "disagree", "pass"])},
                            headers=headers,
                        )
                        failures += r.status_code != 201
                    except httpx.TransportError:
                        failures += 1

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
            print(
                f"through the gateway: {len(jobs):,} votes by {voters} members, "
                f"{concurrency} concurrent clients"
            )
            print(
                f"  votes ingested:              {len(jobs) / elapsed:6.0f} votes/s "
                f"({elapsed:.1f} s, {failures} failures)"
            )

        # The full-size campaign in the database, then the service publishes its report.
        statements, votes, respondents = synthetic()
        campaign_id = uuid.uuid4()
        people = {r.id: uuid.uuid4() for r in respondents}
        salts = {r.id: secrets.token_bytes(32) for r in respondents}
        pseudonyms = Pseudonyms(feedback.settings.pseudonym_key.get_secret_value().encode())
        name_of = {rid: pseudonym(pseudonyms.key, salts[rid], campaign_id) for rid in people}
        conn = await asyncpg.connect(
            str(feedback.settings.database_url).replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            await conn.execute(
                "INSERT INTO campaigns (id, title, question, context, audience_kind, "
                "audience_sectors, anonymity, questions, opens_at, closes_at, status, created_by)"
                " VALUES ($1, 'Benchmark', 'What would most help?', '', 'all', '{}', "
                "'anonymous', $2::jsonb, $3, $4, 'open', 'bench')",
                campaign_id,
                __import__("json").dumps([q.as_json() for q in QUESTIONS]),
                now - timedelta(days=1),
                now + timedelta(days=1),
            )
            await conn.copy_records_to_table(
                "members",
                records=[
                    (people[r.id], True, r.attributes["sector"], r.attributes["region"])
                    for r in respondents
                ],
                columns=["member_id", "active", "sector", "region"],
            )
            await conn.copy_records_to_table(
                "member_salts",
                records=[(people[rid], salts[rid]) for rid in people],
                columns=["member_id", "salt"],
            )
            await conn.copy_records_to_table(
                "statements",
                records=[
                    (uuid.UUID(sid), campaign_id, text_, text_.lower(), "approved")
                    for sid, text_ in statements.items()
                ],
                columns=["id", "campaign_id", "text", "normalised_text", "status"],
            )
            await conn.copy_records_to_table(
                "votes",
                records=[(uuid.UUID(s), name_of[p], campaign_id, v) for p, s, v in votes],
                columns=["statement_id", "pseudonym", "campaign_id", "value"],
            )
            await conn.copy_records_to_table(
                "responses",
                records=[
                    (campaign_id, name_of[r.id], __import__("json").dumps(r.answers), 1)
                    for r in respondents
                ],
                columns=["campaign_id", "pseudonym", "answers", "revision"],
            )
        finally:
            await conn.close()
        started = time.perf_counter()
        async with feedback.unit_of_work() as uow:
            campaign = await uow.session.get(Campaign, campaign_id)
            document = await publish_campaign_report(
                campaign, uow, pseudonyms=pseudonyms, final=False
            )
            await uow.commit()
        elapsed = time.perf_counter() - started
        by_sector = next(b for b in document.breakdowns if b.dimension == "sector")
        print("from the database (load + pseudonyms + analysis + render + store + outbox):")
        print(
            f"  report published in:        {elapsed:6.2f} s  "
            f"-> sectors shown {[c.value for c in by_sector.cells]}, "
            f"withheld={by_sector.withheld}"
        )
    finally:
        for server, _ in reversed(servers):
            server.should_exit = True
        await asyncio.gather(*(task for _, task in servers), return_exceptions=True)
        broker.stop()
        postgres.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway-votes", type=int, default=6_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--skip-stack", action="store_true", help="in-memory figures only")
    args = parser.parse_args()
    bench_in_memory()
    if not args.skip_stack:
        asyncio.run(bench_stack(args.gateway_votes, args.concurrency))


if __name__ == "__main__":
    main()
