from services.chassis.cli import run_service_cli
from services.identity.bootstrap import COMMANDS, SERVICE

run_service_cli(SERVICE, extra=COMMANDS)
