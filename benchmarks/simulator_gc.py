"""How much of the simulator's time goes to Python's cyclic garbage collector as its state grows.

In-process (no sockets): the simulator app behind httpx's ASGI transport takes ``--batches`` x ``--batch``
WhatsApp text sends; ``gc.callbacks`` times every collection. Prints, per batch, the time per request,
the time in collections of each generation, the longest pause and the number of tracked objects. The
per-request time includes httpx's own cost; compare batches with each other, not with wrk figures.

    python -m benchmarks.simulator_gc                          # 3 x 20 000 sends
    python -m benchmarks.simulator_gc --batches 1 --batch 2000  # dry run
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time

import httpx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()

    from benchmarks._common import print_machine
    from simulator.app import create_app
    from simulator.settings import SimulatorSettings

    print_machine()
    app = create_app(SimulatorSettings())
    spent = {0: 0.0, 1: 0.0, 2: 0.0}
    count = {0: 0, 1: 0, 2: 0}
    longest = [0.0]
    started: dict[str, float] = {}

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
        else:
            took = time.perf_counter() - started["t"]
            spent[info["generation"]] += took
            count[info["generation"]] += 1
            longest[0] = max(longest[0], took)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
            world = (await client.post("/_sim/worlds", json={"assets": [{"channel": "whatsapp"}],
                                                             "options": {"enforce_window": False}})).json()
            asset = world["assets"][0]
            body = {"messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": {"body": "hi"}}
            headers = {"Authorization": "Bearer " + asset["access_token"]}
            url = f"/v21.0/{asset['phone_number_id']}/messages"
            gc.callbacks.append(callback)
            print("sends so far  us/request  gen0 s (n)  gen1 s (n)  gen2 s (n)  longest pause ms  tracked objects")
            done = 0
            for _ in range(args.batches):
                for g in spent:
                    spent[g], count[g] = 0.0, 0
                longest[0] = 0.0
                t0 = time.perf_counter()
                for _ in range(args.batch):
                    await client.post(url, json=body, headers=headers)
                elapsed = time.perf_counter() - t0
                done += args.batch
                print(f"{done:>13}  {elapsed / args.batch * 1e6:>10.0f}  "
                      + "  ".join(f"{spent[g]:>6.2f} ({count[g]:>3})" for g in (0, 1, 2))
                      + f"  {longest[0] * 1000:>16.0f}  {len(gc.get_objects()):>15}", flush=True)
            gc.callbacks.remove(callback)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
