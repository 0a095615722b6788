from services.chassis.migrations import run_env
from services.directory.adapters.orm import metadata

run_env(metadata)
