"""The spending cap of a run: worst-case reservations, settled with actual costs."""

from __future__ import annotations

import asyncio


class BudgetExhausted(Exception):
    """The next call would take spending past the budget."""


class Budget:
    """Worst-case reservations against a cap; ``limit`` None means no cap.

    A call whose worst case no longer fits beside what is already spent exhausts the
    budget (the run stops); one that only collides with calls in flight waits for them
    to settle, since they usually cost less than their worst case.
    """

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self.exhausted = False
        self._settled = asyncio.Condition()

    async def reserve(self, estimate: float) -> None:
        if self.limit is None:
            return
        async with self._settled:
            while True:
                if self.exhausted or self.spent + estimate > self.limit + 1e-12:
                    self.exhausted = True
                    raise BudgetExhausted
                if self.spent + self.reserved + estimate <= self.limit + 1e-12:
                    self.reserved += estimate
                    return
                await self._settled.wait()

    async def settle(self, estimate: float, actual: float) -> None:
        async with self._settled:
            if self.limit is not None:
                self.reserved -= estimate
            self.spent += actual
            self._settled.notify_all()

    async def release(self, estimate: float) -> None:
        async with self._settled:
            if self.limit is not None:
                self.reserved -= estimate
            self._settled.notify_all()
