from services.chassis.migrations import run_env
from services.content.adapters.orm import metadata

run_env(metadata)
