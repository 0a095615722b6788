from services.chassis.migrations import run_env
from services.subscriptions.adapters.orm import metadata

run_env(metadata)
