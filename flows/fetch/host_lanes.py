"""Which URL a fetch worker takes next: one lane per host, a fixed crew of workers.

A task per URL, all created up front, made memory grow with the length of the list
(each waiting task holds its coroutine frames: about 20 KB), although only
`concurrency` requests can run at once. Here a crew whose size depends on the number
of HOSTS works through per-host lanes:

- each host's lane is worked by at most `width` workers (its per-host limit), so a
  slow host only ever ties up its own workers and never idles the rest;
- at the start every host gets workers in turns (one each, then a second each, …),
  longest lanes first, until the crew is used up;
- a worker whose lane runs dry moves to the longest lane that still has room, so a
  host with thousands of URLs is helped once the small hosts are done.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable


class HostLanes:
    """URLs grouped by host; hands out the next URL for a worker on a host."""

    def __init__(self, urls: Iterable[str], host_of: Callable[[str], str], width: int) -> None:
        self._width = max(1, width)
        self._lanes: dict[str, collections.deque[str]] = {}
        for url in urls:
            self._lanes.setdefault(host_of(url), collections.deque()).append(url)
        self._workers: collections.Counter[str] = collections.Counter()

    @property
    def hosts(self) -> int:
        return len(self._lanes)

    def crew(self, budget: int) -> list[str]:
        """Hosts for up to `budget` workers (each host once per turn, longest lanes first)."""
        longest_first = sorted(self._lanes, key=lambda host: -len(self._lanes[host]))
        assigned: list[str] = []
        for turn in range(self._width):
            for host in longest_first:
                if len(assigned) >= budget:
                    return assigned
                if turn < len(self._lanes[host]):
                    assigned.append(host)
                    self._workers[host] += 1
        return assigned

    def take(self, host: str) -> tuple[str, str] | None:
        """(host, URL) for a worker on `host`, moving it to another lane if need be; None: done."""
        lane = self._lanes.get(host)
        if lane:
            url = lane.popleft()
            if not lane:
                del self._lanes[host]  # keeps the search below to lanes with work
            return host, url
        self._workers[host] -= 1
        room = [h for h in self._lanes if self._workers[h] < self._width]
        if not room:
            return None
        target = max(room, key=lambda h: len(self._lanes[h]))
        self._workers[target] += 1
        return self.take(target)
