from services.chassis.cli import run_service_cli
from services.directory.bootstrap import SERVICE

run_service_cli(SERVICE)
