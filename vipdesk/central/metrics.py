"""Prometheus text-format metrics of one service instance (each instance exports its
own; Prometheus sums them): requests, ops decided, errors, pull lag per store."""

from __future__ import annotations

import threading
import time
from collections import defaultdict


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str], int] = defaultdict(int)
        self.ops: dict[tuple[str, str], int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.caught_up: dict[str, float] = {}  # store → when a pull last reached the head

    def request(self, endpoint: str, status: int) -> None:
        with self._lock:
            self.requests[(endpoint, str(status))] += 1

    def decided(self, store: str, counts: dict[str, int]) -> None:
        with self._lock:
            for outcome, n in counts.items():
                self.ops[(store, outcome)] += n

    def error(self, endpoint: str, kind: str) -> None:
        with self._lock:
            self.errors[(endpoint, kind)] += 1

    def pulled(self, store: str, at_head: bool) -> None:
        with self._lock:
            # A store first seen behind the head counts its lag from that first pull.
            if at_head or store not in self.caught_up:
                self.caught_up[store] = time.time()

    def render(self) -> str:
        now = time.time()
        with self._lock:
            lines = _family("vipdesk_central_requests_total", "counter",
                            "HTTP requests by endpoint and status",
                            {_labels(endpoint=e, status=s): n
                             for (e, s), n in self.requests.items()})
            lines += _family("vipdesk_central_ops_total", "counter",
                             "ops decided at the centre by store and outcome",
                             {_labels(store=st, outcome=o): n for (st, o), n in self.ops.items()})
            lines += _family("vipdesk_central_errors_total", "counter",
                             "failed requests by endpoint and kind",
                             {_labels(endpoint=e, kind=k): n
                              for (e, k), n in self.errors.items()})
            lines += _family("vipdesk_central_pull_lag_seconds", "gauge",
                             "seconds since a desk of the store last pulled up to the head "
                             "of the change log (through this instance)",
                             {_labels(store=st): round(now - at, 3)
                              for st, at in self.caught_up.items()})
        return "\n".join(lines) + "\n"


def _family(name: str, kind: str, helptext: str, samples: dict[str, float]) -> list[str]:
    out = [f"# HELP {name} {helptext}", f"# TYPE {name} {kind}"]
    out += [f"{name}{labels} {value}" for labels, value in sorted(samples.items())]
    return out
