from services.chassis.migrations import run_env
from services.feedback.adapters.orm import metadata

run_env(metadata)
