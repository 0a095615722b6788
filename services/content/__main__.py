from services.chassis.cli import run_service_cli
from services.content.bootstrap import SERVICE

run_service_cli(SERVICE)
