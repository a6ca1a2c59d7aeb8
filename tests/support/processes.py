"""`clipforge api` / `clipforge worker` as OS processes, for multi-process tests and benchmarks."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Processes:
    """`clipforge` subprocesses sharing one environment; each gets its own data folder."""

    root: Path
    env: Mapping[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def spawn(self, name: str, *args: str) -> Path:
        log = self.root / f"{name}.log"
        env = {**self.env, "CLIPFORGE_DATA_DIR": str(self.root / name)}
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "clipforge", *args],
                env=env,
                cwd=ROOT,
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
            )
        )
        self.logs.append(log)
        return log

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM every process, then kill any still running after `timeout` seconds."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        self.logs.clear()
