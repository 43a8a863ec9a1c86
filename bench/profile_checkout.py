"""Where a checkout's time goes, by layer: `python -m bench.profile_checkout
[sqlite|postgresql] [--bulk ROOMS] [--top N]`. Profiles a few hundred `checkout_booking`
calls (or one bulk checkout of ROOMS rooms) with cProfile and sums each function's own time
by the package it lives in (a deterministic profiler inflates Python-heavy code against C
code: read the shares, not the times)."""

import argparse
import cProfile
import pstats
from collections import defaultdict
from pathlib import Path

from bench.databases import BACKENDS, bench_database
from bench.engine_overhead import ACTOR, statemachine_share
from bench.fixtures import seed_hotel
from workflows.services.bulk_checkout import bulk_checkout
from workflows.services.checkout import BookingRef, checkout_booking

ROOT = str(Path(__file__).parents[1])
LAYERS = (
    ("python-statemachine", "/statemachine/"),
    ("SQLAlchemy + SQLModel", "/sqlalchemy/"),
    ("SQLAlchemy + SQLModel", "/sqlmodel/"),
    ("database driver", "/psycopg"),
    ("pydantic", "/pydantic"),
    ("tenacity", "/tenacity/"),
)


def layer(function: tuple[str, int, str]) -> str:
    filename, _, name = function
    if filename == "~":  # a built-in: name it by what it belongs to
        if "sqlite3" in name or "psycopg" in name:
            return "database driver"
        return "Python built-ins"
    for label, marker in LAYERS:
        if marker in filename:
            return label
    if filename.startswith(ROOT) and "/.venv/" not in filename:
        return "Turnover (workflows/, storage/)"
    return "other (standard library, ...)"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_checkout")
    parser.add_argument("backend", choices=BACKENDS, nargs="?", default="sqlite")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--bulk", type=int, default=0, help="profile one bulk checkout")
    parser.add_argument("--top", type=int, default=0, help="also print the top N functions")
    args = parser.parse_args()
    with bench_database(args.backend):
        if args.bulk:
            hotels = iter(seed_hotel(f"bench-profile-{n}", args.bulk) for n in range(3))
            runs, what = 1, f"bulk_checkout of {args.bulk} rooms"

            def operation() -> None:
                hotel = next(hotels)
                bulk_checkout(hotel_slug=hotel.slug, room_ids=hotel.room_ids, performed_by=ACTOR)
        else:
            hotel = seed_hotel("bench-profile", 2 * args.count + 20)
            refs = iter(hotel.booking_ids)
            runs, what = args.count, f"checkout_booking x {args.count}"

            def operation() -> None:
                checkout_booking(booking=BookingRef(hotel.slug, next(refs)), performed_by=ACTOR)

        operation()  # warm-up
        share = statemachine_share(operation, runs)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            operation()
        profiler.disable()
    stats = pstats.Stats(profiler)
    by_layer: dict[str, float] = defaultdict(float)
    for function, (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_layer[layer(function)] += own
    total = sum(by_layer.values())
    print(f"{what} on {args.backend}, own time by layer:")
    print("| layer | share |\n|---|---|")
    for name, seconds in sorted(by_layer.items(), key=lambda item: -item[1]):
        print(f"| {name} | {seconds / total:.0%} |")
    print(f"\npython-statemachine including what it calls, callbacks excluded: {share:.0%}")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
