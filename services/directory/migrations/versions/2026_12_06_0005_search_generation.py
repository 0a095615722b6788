"""Search: a generation number that every committed change to what search answers from
advances, so each replica can keep answers in memory and know, with the one statement a search
already makes, whether they still hold.

The bump is a deferred constraint trigger: it runs at commit, after the transaction has taken
every other lock it needs, so writers queue on the one counter row only for the instant of
their commit and can never deadlock on it. A transaction bumps once, however many rows it
changed (a transaction-local setting remembers that it did).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every table a search result, a facet or the vocabulary is read from.
WATCHED = ("profiles", "cohort_memberships", "cohorts", "organisations", "expertise_tags")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE search_generation (
            id smallint PRIMARY KEY CHECK (id = 1),
            generation bigint NOT NULL
        )
        """
    )
    op.execute("INSERT INTO search_generation (id, generation) VALUES (1, 1)")
    op.execute(
        """
        CREATE FUNCTION bump_search_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('convene.search_generation_bumped', true) = 'yes' THEN
                RETURN NULL;
            END IF;
            PERFORM set_config('convene.search_generation_bumped', 'yes', true);
            UPDATE search_generation SET generation = generation + 1 WHERE id = 1;
            RETURN NULL;
        END
        $$
        """
    )
    for table in WATCHED:
        op.execute(
            f"""
            CREATE CONSTRAINT TRIGGER {table}_bump_search_generation
            AFTER INSERT OR UPDATE OR DELETE ON {table}
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION bump_search_generation()
            """
        )


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_search_generation ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_search_generation()")
    op.execute("DROP TABLE IF EXISTS search_generation")
