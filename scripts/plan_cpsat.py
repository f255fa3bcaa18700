#!/usr/bin/env python3
"""The exact baseline of `cancuoc bench plan` (issue 18 §6): CP-SAT (PyPI ortools) on the
planner's instance, minimising the team-days and so the idle machine minutes of the plan,
subject to inviting everyone by the deadline.

Reads one instance as JSON (the file `cancuoc bench plan` writes) and prints the plan as
JSON on standard output: {"status", "team_days", "lower_bound", "seconds", "routes":
[[{"commune": index, "invited": n}, ...], ...]}, one route per team-day in visiting order.

The model is the planner's, with two things loosened so that it stays linear: the order of
a day's journeys, sittings and lunch break is not modelled, only their minutes, and times
are not rounded to the 5-minute grid. Every plan the planner can make with each commune at
its own site (the bench's comparison) is a plan here, so the optimum found is a lower bound
on the planner's own optimum.

A team-day (a bin) is a route from the base through the communes it serves and back:
    travel on the route + Σ sittings' minutes + lunch − travel in lunch ≤ opening to closing
    Σ sittings' minutes ≤ opening to closing less the lunch break
where the travel in lunch is at most the break and at most one journey between communes (no
sitting runs in the break and every visit has one, so no two journeys reach into it; the
way out starts at opening and the way home ends at closing, so they reach into the break
only when they are longer than the morning or the afternoon).
A visit of t minutes on m machines invites at most t·m·load ÷ (service·show_up), the
planner's rule, written in hundredths: invited·show_up·service ≤ t·m·load.
"""

import json
import math
import sys
import time

from ortools.sat.python import cp_model


def solve(instance):
    communes = instance["communes"]
    n = len(communes)
    size = instance["team_size"]
    teams = max(1, instance["machines"] // size)
    # Every rounding below leans the solver's way, so that each of the planner's plans
    # stays a plan here: the largest team's machines (the planner's last team takes the
    # machines left over), the day and the break's travel rounded up, the break itself
    # down, the load rounded up and the show-up rate down.
    machines = max(size, instance["machines"] - size * (teams - 1))
    service = math.floor(instance["service_min"])
    opens, closes = instance["open_min"], instance["close_min"]
    whole_day = math.ceil(closes - opens)
    lunch = instance.get("lunch")
    # The break within the day, and how far a way out or home longer than the morning or
    # the afternoon reaches into it.
    if lunch and lunch[0] < lunch[1] and lunch[0] < closes and opens < lunch[1]:
        lunch_from, lunch_to = max(lunch[0], opens), min(lunch[1], closes)
        lunch_min = math.floor(lunch_to - lunch_from)
        out_in_lunch = [min(lunch_min, max(0, math.ceil(c["travel_min"] - (lunch_from - opens)))) for c in instance["communes"]]
        home_in_lunch = [min(lunch_min, max(0, math.ceil(c["travel_min"] - (closes - lunch_to)))) for c in instance["communes"]]
    else:
        lunch_min = 0
        out_in_lunch = home_in_lunch = [0] * len(instance["communes"])
    serving_day = whole_day - lunch_min
    show_up = math.floor(instance["show_up"] * 100 + 1e-9)
    load = math.ceil(instance["target_load"] * (1 - instance.get("walk_in_share", 0.0)) * 100 - 1e-9)
    day = whole_day
    travel = [c["travel_min"] for c in communes]
    between = instance["between_min"]
    demand = [c["eligible"] for c in communes]
    # The planner's team-days: the solver need not look beyond them.
    bins = min(instance["upper_bound"], teams * instance["days"])

    model = cp_model.CpModel()
    used = [model.new_bool_var(f"used{b}") for b in range(bins)]
    visit = [[model.new_bool_var(f"v{b}_{c}") for c in range(n)] for b in range(bins)]
    invited = [[model.new_int_var(0, demand[c], f"x{b}_{c}") for c in range(n)] for b in range(bins)]
    minutes_at = [[model.new_int_var(0, day, f"t{b}_{c}") for c in range(n)] for b in range(bins)]
    first = [{} for _ in range(bins)]  # bin → commune → literal of the arc base → commune
    hops = [{} for _ in range(bins)]  # bin → (from, to) → literal
    for b in range(bins):
        # Node 0 is the base; node c + 1 is commune c.
        arcs = [(0, 0, ~used[b])]
        minutes = []
        # What the day's journeys can put inside the lunch break.
        into_lunch = []
        for c in range(n):
            arcs.append((c + 1, c + 1, ~visit[b][c]))
            go = model.new_bool_var(f"go{b}_{c}")
            back = model.new_bool_var(f"back{b}_{c}")
            arcs += [(0, c + 1, go), (c + 1, 0, back)]
            first[b][c] = go
            minutes += [travel[c] * go, travel[c] * back]
            into_lunch += [(go, out_in_lunch[c]), (back, home_in_lunch[c])]
            for d in range(n):
                if c != d:
                    hop = model.new_bool_var(f"hop{b}_{c}_{d}")
                    arcs.append((c + 1, d + 1, hop))
                    hops[b][(c, d)] = hop
                    minutes.append(between[c][d] * hop)
                    into_lunch.append((hop, between[c][d]))
            model.add(invited[b][c] <= demand[c] * visit[b][c])
            model.add(minutes_at[b][c] <= day * visit[b][c])
            model.add(invited[b][c] >= 1).only_enforce_if(visit[b][c])
            model.add(invited[b][c] * show_up * service <= minutes_at[b][c] * machines * load)
            model.add_implication(visit[b][c], used[b])
        model.add_circuit(arcs)
        travel_b = sum(minutes)
        # A sitting never runs in the break, and every visit has one, so one journey at
        # most reaches into it.
        travel_in_lunch = model.new_int_var(0, lunch_min, f"lunch{b}")
        chosen = []
        reach = []
        for lit, minutes_in in into_lunch:
            if minutes_in > 0:
                pick = model.new_bool_var("")
                model.add_implication(pick, lit)
                chosen.append(pick)
                reach.append(min(minutes_in, lunch_min) * pick)
        model.add_at_most_one(chosen)
        model.add(travel_in_lunch <= sum(reach))
        model.add(travel_b + sum(minutes_at[b]) + lunch_min - travel_in_lunch <= whole_day)
        model.add(sum(minutes_at[b]) <= serving_day * used[b])
        if b > 0:
            # Bins are interchangeable: the used ones come first.
            model.add_implication(used[b], used[b - 1])
    # …and in the order of the first commune each serves (any plan can be so ordered),
    # which spares the solver the orderings of one plan's team-days.
    first_served = []
    for b in range(bins):
        key = model.new_int_var(0, n, f"first{b}")
        model.add_min_equality(key, [c + n * (1 - visit[b][c]) for c in range(n)] + [n])
        first_served.append(key)
        if b > 0:
            model.add(first_served[b - 1] <= key)
    for c in range(n):
        model.add(sum(invited[b][c] for b in range(bins)) == demand[c])
        # Cuts the solver could find but proves faster when told: a commune with people is
        # visited, and its visits together last what its people need.
        if demand[c] > 0:
            model.add(sum(visit[b][c] for b in range(bins)) >= 1)
            need = -(-demand[c] * show_up * service // (machines * load))
            model.add(sum(minutes_at[b][c] for b in range(bins)) >= need)

    # Everyone is invited, so the machines' serving minutes are fixed and the idle ones
    # are the team-days' minutes less those: fewest team-days, least idle.
    model.minimize(sum(used))
    # The planner's plan, as a first solution to improve on.
    hint = sorted(instance.get("hint", []), key=lambda r: min(v["commune"] for v in r))
    for b, route in enumerate(hint[:bins]):
        model.add_hint(used[b], 1)
        seen = {v["commune"]: v["invited"] for v in route}
        for c in range(n):
            model.add_hint(visit[b][c], 1 if c in seen else 0)
            model.add_hint(invited[b][c], seen.get(c, 0))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(instance.get("time_limit_s", 60))
    solver.parameters.num_workers = int(instance.get("workers", 2))
    started = time.monotonic()
    status = solver.solve(model)
    seconds = time.monotonic() - started
    out = {
        "status": solver.status_name(status),
        "seconds": seconds,
        "team_days": None,
        "lower_bound": None,
        "routes": [],
    }
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return out
    out["team_days"] = sum(solver.value(u) for u in used)
    out["lower_bound"] = math.ceil(solver.best_objective_bound - 1e-6)
    for b in range(bins):
        if not solver.value(used[b]):
            continue
        # Follow the route from the base along the arcs taken.
        here = next((c for c, go in first[b].items() if solver.value(go)), None)
        route = []
        while here is not None and all(v["commune"] != here for v in route):
            route.append({"commune": here, "invited": solver.value(invited[b][here])})
            here = next(
                (d for (c, d), hop in hops[b].items() if c == here and solver.value(hop)), None
            )
        out["routes"].append(route)
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        instance = json.load(f)
    json.dump(solve(instance), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
