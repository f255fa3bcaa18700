#!/usr/bin/env python3
"""The exact baseline of `cancuoc bench plan` (issue 18 §6): the fewest team-days, and so the
fewest idle machine minutes, that invite everyone by the deadline. PyPI ortools (CP-SAT,
GLOP) and numpy only.

Reads one instance as JSON (the file `cancuoc bench plan` writes; its "time_limit_s" and
"workers" tune the search) and prints the plan as JSON on standard output: {"status",
"team_days", "lower_bound", "seconds", "routes": [[{"commune": index, "invited": n}, ...],
...], "relaxed": null or {"status", "team_days"}}, one route per team-day in visiting order.
Every plan it prints runs by the planner's rules (`lay_out` in planner.rs holds every visit's
people). "status" is "OPTIMAL" only when team_days is proven least among such plans;
"lower_bound" is the best bound proven. "relaxed" is the relaxed model's result (below) when
its plan did not run and step 5 planned again.

What is compared: plans in which each team-day visits each commune at most once, at its own
site, laid out by the planner's rules. The planner never comes back the same day to a
commune it left (it leaves one only when its people or its time there run out), so all of
its plans are among them.

The relaxed model is the planner's, with two things loosened so that it stays linear: the order of
a day's journeys, sittings and lunch break is not modelled, only their minutes, and times
are not rounded to the 5-minute grid. Every plan the planner can make with each commune at
its own site (the bench's comparison) is a plan here, so the optimum found is a lower bound
on the planner's own optimum.

A team-day is a route from the base through the communes it serves and back:
    travel on the route + Σ sittings' minutes + lunch − travel in lunch ≤ opening to closing
    Σ sittings' minutes ≤ opening to closing less the lunch break
where the travel in lunch is at most the break and at most one journey (no sitting runs in
the break and every visit has one, so no two journeys reach into it; a journey between
communes may reach into it by its length, the way out or home only by what it lasts beyond
the morning or the afternoon). A visit of t whole minutes on m machines invites at least one
person and at most t·m·load ÷ (service·show_up), the planner's rule, written in hundredths:
invited·show_up·service ≤ t·m·load. Everyone is invited.

So a team-day on the set S of communes is exactly: whole x_c ≥ 1 people and t_c minutes at
each c of S, by the rule above, with Σ t_c ≤ cap(S) = ⌊min(serving day, day − lunch − τ(S))⌋,
where τ(S) is the least, over the orders of S and the choice of the journey into lunch, of
the route's travel less what that journey puts in the break. τ is computed exactly for every
set S by dynamic programming over subsets (Held–Karp, with a flag for the lunch journey).
Nothing else is loosened: the circuit model of step 4 states the same team-days.

The solving, in steps sharing the time:
1. A lower bound, Dantzig–Wolfe by column generation. At prices π ≥ 0 per person, a day on S
   invites people worth at most V_S(π): one person per commune of S, then the people its
   other minutes can take, to the dearest communes first and at most their people each (a
   fractional knapsack, never below a real day's worth). A plan of K days invites people worth
   Σ_c π_c·people_c ≤ K·max_S V_S(π), the maximum taken over all 2^n sets, so K ≥ z =
   π·people ÷ max V whatever the prices (taken from the linear programme over the day
   patterns generated). A day on S also falls short of max V by rc_S = 1 − V_S ÷ max V, and
   the days of a plan of K days fall short by Σ rc ≤ K − z in all.
2. Plans, by CP-SAT over a shortlist of sets (each commune alone, every pair, the sets of
   step 1 and of the planner's routes), each with a few numbered copies of the day above,
   least days first (without the linear relaxation, which finds plans of ⌈z⌉ days far
   faster, then with it). Its plans are plans of the whole model, so one of ⌈z⌉ days is
   optimal.
3. If not, and they are few enough, every set S that a plan with fewer days than the best
   could use (rc_S ≤ best − 1 − z), each with as many copies as such a plan could use,
   with Σ rc ≤ days − z. Every such plan is a plan of this model, so its optimum, or its
   having none, is proven. If they are too many, the shortlist of step 2 and every triple.
4. Still unproven: the circuit model (a route circuit per team-day, with the rules above)
   from the best plan found, which may yet prove it. With more than 21 communes to visit, or
   a time limit too short to build the tables over sets, this model does all the work.
   Steps 1 to 4 have 40% of the time limit.
5. The relaxed model's plan is kept when every day of it runs and it is proven. Otherwise
   (a morning's sittings must end by lunch, times sit on the grid and every sitting invites
   whole people, so a relaxed day may hold fewer than it was given) the plan is made again
   from days that run, and the bound raised by theirs: column generation over runnable days,
   priced exactly by a dynamic programme over the grid's times (`RunnableDays`). When the best
   plan is one day longer than the bound, a local search (`LeftOut`, simulated annealing in
   `workers` processes, 60% of the time left) looks for a plan of as many days as the bound
   that leaves nobody out, which ends the step. Otherwise CP-SAT chooses days among those
   generated, the planner's and the relaxed plan's if it runs. The optimum is proven when
   the plan reaches the bound (the relaxed model's, or that of the runnable days, whichever
   is higher). With teams of different sizes this step is skipped
   (a day that runs for one team may not for another).
"""

import json
import math
import multiprocessing
import random
import sys
import time

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

# Subset tables hold 2 · n · 2^n numbers; beyond this many communes with people (or when
# building them, some 10⁻⁸ · n² · 2^n seconds, would take half the time limit), they are
# not built.
MAX_SUBSET_COMMUNES = 21


def read_rules(instance):
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
        out_in_lunch = [min(lunch_min, max(0, math.ceil(c["travel_min"] - (lunch_from - opens)))) for c in communes]
        home_in_lunch = [min(lunch_min, max(0, math.ceil(c["travel_min"] - (closes - lunch_to)))) for c in communes]
    else:
        lunch_min = 0
        out_in_lunch = home_in_lunch = [0] * n
    show_up = math.floor(instance["show_up"] * 100 + 1e-9)
    load = math.ceil(instance["target_load"] * (1 - instance.get("walk_in_share", 0.0)) * 100 - 1e-9)
    return {
        "n": n,
        "whole_day": whole_day,
        "lunch_min": lunch_min,
        "serving_day": whole_day - lunch_min,
        "out_in_lunch": out_in_lunch,
        "home_in_lunch": home_in_lunch,
        # A visit inviting p people needs t minutes with p·per_person ≤ t·per_minute.
        "per_person": show_up * service,
        "per_minute": machines * load,
        "travel": [c["travel_min"] for c in communes],
        "between": instance["between_min"],
        "demand": [c["eligible"] for c in communes],
        # The planner's team-days: the solver need not look beyond them.
        "bins": min(instance["upper_bound"], teams * instance["days"]),
    }


# ---------------------------------------------------------------------------------------
# Route costs of every set of communes


class Tours:
    """τ(S) for every set S of the communes `act` (bit i of a mask is commune act[i])."""

    def __init__(self, rules, act):
        k = len(act)
        self.act = act
        self.k = k
        travel = [rules["travel"][c] for c in act]
        between = [[rules["between"][c][d] for d in act] for c in act]
        out_in = [rules["out_in_lunch"][c] for c in act]
        home_in = [rules["home_in_lunch"][c] for c in act]
        lunch_min = rules["lunch_min"]
        numbers = travel + [x for row in between for x in row] + out_in + home_in
        integral = all(float(x).is_integer() for x in numbers)
        kind = np.int32 if integral else np.float64
        self.tol = 0 if integral else 1e-9
        big = 10**8 if integral else 1e18
        self.t = np.asarray(travel, dtype=kind)
        self.h = np.asarray(between, dtype=kind).reshape(k, k)
        # A journey between communes puts at most its length, and at most the break, in it.
        self.r = np.minimum(self.h, lunch_min).astype(kind)
        self.hr = (self.h - self.r).astype(kind)
        self.oi = np.asarray(out_in, dtype=kind)
        self.hi = np.asarray(home_in, dtype=kind)
        size = 1 << k
        masks = np.arange(size, dtype=np.int64)
        popcount = np.zeros(size, dtype=np.int64)
        for b in range(k):
            popcount += (masks >> b) & 1
        self.popcount = popcount
        # dp0[c, S]: least travel from the base through S ending at c, no journey yet in
        # the break; dp1[c, S]: the same less what the one journey chosen puts in it.
        dp0 = np.full((k, size), big, dtype=kind)
        dp1 = np.full((k, size), big, dtype=kind)
        for c in range(k):
            dp0[c, 1 << c] = self.t[c]
            dp1[c, 1 << c] = self.t[c] - self.oi[c]
        by_size = np.argsort(popcount, kind="stable")
        starts = np.searchsorted(popcount[by_size], np.arange(k + 2))
        for p in range(2, k + 1):
            layer = by_size[starts[p] : starts[p + 1]]
            for c in range(k):
                to = layer[((layer >> c) & 1) == 1]
                prev = to ^ (1 << c)
                a0 = dp0[:, prev]
                a1 = dp1[:, prev]
                dp0[c, to] = (a0 + self.h[:, c, None]).min(0)
                dp1[c, to] = np.minimum(a1 + self.h[:, c, None], a0 + self.hr[:, c, None]).min(0)
        # Home from the last commune: with the journey into lunch chosen before, or home as
        # that journey, or none at all.
        tau = np.full(size, big, dtype=kind)
        for c in range(k):
            np.minimum(tau, dp1[c] + self.t[c], out=tau)
            np.minimum(tau, dp0[c] + (self.t[c] - self.hi[c]), out=tau)
            np.minimum(tau, dp0[c] + self.t[c], out=tau)
        tau[0] = 0
        self.dp0, self.dp1 = dp0, dp1
        self.tau = tau
        most = np.minimum(rules["serving_day"], rules["whole_day"] - rules["lunch_min"] - tau.astype(np.float64))
        self.cap = np.floor(most + 1e-9).astype(np.int64)
        # A set can be a day if each of its visits can invite one person.
        one = -(-rules["per_person"] // rules["per_minute"])
        self.feasible = popcount * one <= self.cap
        self.feasible[0] = False

    def order(self, mask):
        """A visiting order (indices into act) whose travel less allowance is τ(mask)."""
        t, h, hr, tol = self.t, self.h, self.hr, self.tol
        dp0, dp1 = self.dp0, self.dp1
        target = self.tau[mask]
        state = None
        for c in range(self.k):
            if not (mask >> c) & 1:
                continue
            if abs(dp1[c, mask] + t[c] - target) <= tol:
                state = (c, 1)
            elif min(abs(dp0[c, mask] + t[c] - self.hi[c] - target), abs(dp0[c, mask] + t[c] - target)) <= tol:
                state = (c, 0)
            if state:
                break
        path = []
        m = mask
        c, f = state
        while True:
            path.append(c)
            if m == 1 << c:
                break
            prev = m ^ (1 << c)
            value = (dp1 if f else dp0)[c, m]
            step = None
            for l in range(self.k):
                if not (prev >> l) & 1:
                    continue
                if f == 0 and abs(dp0[l, prev] + h[l, c] - value) <= tol:
                    step = (l, 0)
                elif f == 1 and abs(dp1[l, prev] + h[l, c] - value) <= tol:
                    step = (l, 1)
                elif f == 1 and abs(dp0[l, prev] + hr[l, c] - value) <= tol:
                    step = (l, 0)
                if step:
                    break
            c, f = step
            m = prev
        path.reverse()
        # Check the route against the rules directly.
        travel = t[path[0]] + t[path[-1]] + sum(h[a, b] for a, b in zip(path, path[1:]))
        hops = [self.r[a, b] for a, b in zip(path, path[1:])]
        allowance = max([self.oi[path[0]], self.hi[path[-1]]] + hops)
        assert travel - allowance <= target + 1e-6, (mask, path)
        return path


# ---------------------------------------------------------------------------------------
# Lower bound by column generation


def cover_prices(columns, demand):
    """The prices per person (duals, at least 0) of the linear programme that covers each
    commune's people with the fewest days, each column a day as {place: people}; None when
    it has no optimum."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    use = [lp.NumVar(0, lp.infinity(), "") for _ in columns]
    rows = [lp.Constraint(float(d), lp.infinity()) for d in demand]
    for var, people in zip(use, columns):
        for c, x in people.items():
            rows[c].SetCoefficient(var, x)
    objective = lp.Objective()
    for var in use:
        objective.SetCoefficient(var, 1)
    objective.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return [max(0.0, row.dual_value()) for row in rows]


def column_generation(rules, tours, deadline):
    """A lower bound z on the days of any plan, the sets of the patterns generated, and
    for each set S its reduced cost rc_S = 1 − V_S(π)/max V(π) at the prices of the bound:
    a plan of K days on sets S_1..S_K has Σ rc_{S_i} ≤ K − z, as Σ_i V_{S_i}(π) ≥ π·demand."""
    act, k = tours.act, tours.k
    demand = np.array([rules["demand"][c] for c in act], dtype=np.float64)
    ratio = rules["per_person"] / rules["per_minute"]  # minutes per person
    feasible = tours.feasible
    cap = tours.cap.astype(np.float64)
    popcount = tours.popcount.astype(np.float64)
    size = 1 << k
    masks = np.arange(size, dtype=np.int64)
    bits = [((masks >> c) & 1).astype(bool) for c in range(k)]
    # People a day on S may invite beyond one per visit (≥ 0 where S is feasible).
    spare = np.where(feasible, (cap - popcount * ratio) / ratio, 0.0)

    def values(pi, where=None):
        """V_S(π) for all S (or the masks `where`); −inf where S cannot be a day."""
        if where is None:
            rest = spare.copy()
            v = np.zeros(size)
            inside = bits
            ok = feasible
        else:
            rest = spare[where].copy()
            v = np.zeros(len(where))
            inside = [((where >> c) & 1).astype(bool) for c in range(k)]
            ok = feasible[where]
        for c in np.argsort(-pi, kind="stable"):
            if pi[c] <= 0:
                break
            take = np.where(inside[c], np.minimum(rest, demand[c] - 1), 0.0)
            v += pi[c] * (take + inside[c])
            rest -= take
        return np.where(ok, v, -np.inf)

    def pattern(mask, pi):
        members = [c for c in range(k) if (mask >> c) & 1]
        people = {c: 1.0 for c in members}
        rest = spare[mask]
        for c in sorted(members, key=lambda c: -pi[c]):
            take = min(rest, demand[c] - 1)
            people[c] += take
            rest -= take
        return people

    # To start, for each commune the feasible day of most minutes with it.
    columns = []
    seen = set()
    patterns = set()
    for c in range(k):
        holders = np.flatnonzero(bits[c] & feasible)
        if len(holders) == 0:
            return math.inf, [], None  # no day can visit this commune: no plan
        best = int(holders[np.argmax(cap[holders])])
        if best not in seen:
            seen.add(best)
            people = pattern(best, np.ones(k))
            patterns.add((best, tuple(sorted(people.items()))))
            columns.append((best, people))
    bound = 0.0
    reduced = np.where(feasible, 0.0, np.inf)
    pool = None
    while True:
        prices = cover_prices([people for _, people in columns], demand)
        if prices is None:
            break
        pi = np.array(prices)
        def new_columns(candidates):
            fresh = []
            for mask in candidates:
                people = pattern(mask, pi)
                key = (mask, tuple(sorted(people.items())))
                if key not in patterns:
                    patterns.add(key)
                    fresh.append((mask, people))
            return fresh

        # Price over a pool of promising sets first, over all sets when it has none.
        fresh = []
        if pool is not None:
            v = values(pi, pool)
            fresh = new_columns(int(pool[i]) for i in np.argsort(-v)[:10] if v[i] > 1 + 1e-9)
        if not fresh:
            v = values(pi)
            top = float(v.max())
            if top > 0:
                # Valid for any π ≥ 0: every plan has at least π·demand ÷ max V days.
                if float(pi @ demand) / top > bound:
                    bound = float(pi @ demand) / top
                    # What each set falls short of the best day, at these prices.
                    reduced = np.where(feasible, 1 - v / top, np.inf)
            pool = np.argpartition(-v, min(20000, size - 1))[:20000]
            pool = pool[np.isfinite(v[pool])]
            fresh = new_columns(int(i) for i in np.argsort(-v)[:10] if v[i] > 1 + 1e-9)
            if not fresh or time.monotonic() > deadline:
                break
        columns += fresh
    return bound, sorted({mask for mask, _ in columns}), reduced


# ---------------------------------------------------------------------------------------
# Plans over a shortlist of sets


def shortlist_plan(rules, tours, sets, lower, upper, hint, workers, seconds, reduced=None, slack=None, lp=True):
    """Least days over plans whose days visit sets in `sets`, from lower to upper days.

    Without `reduced`, a set has a few copies (a shortlist, for plans). With it, every
    plan of at most `upper` days whose sets are all in `sets` is a plan here: a set
    has as many copies as such a plan could use (each copy invites one person of each of
    its communes and adds its reduced cost, and these add up to at most `slack`).

    Returns (status name, days, routes) with routes as lists of (mask, {index: invited})."""
    act = tours.act
    demand = rules["demand"]
    ratio_p, ratio_m = rules["per_person"], rules["per_minute"]
    model = cp_model.CpModel()
    copies = {}
    people = {}
    for mask in sets:
        members = [c for c in range(tours.k) if (mask >> c) & 1]
        cap = int(tours.cap[mask])
        count = min(upper, min(demand[act[c]] for c in members))
        if reduced is None:
            need = max(-(-demand[act[c]] * ratio_p // ratio_m) for c in members)
            count = min(count, max(2, -(-need // max(cap, 1))))
        elif reduced[mask] > 1e-9:
            count = min(count, int(math.floor(slack / (reduced[mask] - 1e-9) + 1e-9)))
        copies[mask] = []
        for j in range(count):
            use = model.new_bool_var("")
            if j:
                model.add_implication(use, copies[mask][j - 1])
            copies[mask].append(use)
            minutes = []
            for c in members:
                d = demand[act[c]]
                x = model.new_int_var(0, d, "")
                t = model.new_int_var(0, cap, "")
                model.add(x >= use)
                model.add(x <= d * use)
                model.add(x * ratio_p <= t * ratio_m)
                people[mask, j, c] = x
                minutes.append(t)
            model.add(sum(minutes) <= cap * use)
    for c in range(tours.k):
        model.add(sum(x for (mask, j, cc), x in people.items() if cc == c) == demand[act[c]])
    days = sum(u for us in copies.values() for u in us)
    if reduced is not None:
        # Σ rc ≤ slack, in millionths rounded so as to lose no plan.
        # Σ rc ≤ days − z, in millionths rounded so as to lose no plan.
        weighted = sum(max(0, int((reduced[mask] - 1e-9) * 1e6)) * u for mask, us in copies.items() for u in us)
        model.add(weighted <= int(math.ceil((slack + 1e-9) * 1e6)))
        model.add(weighted - 10**6 * days <= int(math.ceil((slack - upper + 1e-9) * 1e6)))
    model.add(days >= lower)
    model.add(days <= upper)
    model.minimize(days)
    # Hints: earlier routes as (mask, {index in act: invited}).
    used = {}
    for mask, invited in hint:
        if mask not in copies:
            continue
        j = used.get(mask, 0)
        if j >= len(copies[mask]):
            continue
        used[mask] = j + 1
        model.add_hint(copies[mask][j], 1)
        for c, x in invited.items():
            model.add_hint(people[mask, j, c], x)
    for mask, us in copies.items():
        for j in range(used.get(mask, 0), len(us)):
            model.add_hint(us[j], 0)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, seconds)
    solver.parameters.num_workers = workers
    if not lp:
        # Plans of as many days as the bound are found far faster (some 20 times on the
        # bench's instances) without the linear relaxation, which proves nothing there.
        solver.parameters.linearization_level = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solver.status_name(status), None, []
    routes = []
    for mask, us in copies.items():
        for j, use in enumerate(us):
            if solver.value(use):
                routes.append((mask, {c: solver.value(people[mask, j, c]) for c in range(tours.k) if (mask >> c) & 1}))
    return solver.status_name(status), len(routes), routes


# ---------------------------------------------------------------------------------------
# The circuit model (one route-per-day circuit per team-day)


def circuit_plan(rules, bins, lower, hint, workers, seconds):
    """Least days by the circuit model; returns (status, days, bound, routes)."""
    n = rules["n"]
    day = rules["whole_day"]
    whole_day, serving_day, lunch_min = rules["whole_day"], rules["serving_day"], rules["lunch_min"]
    travel, between, demand = rules["travel"], rules["between"], rules["demand"]
    out_in_lunch, home_in_lunch = rules["out_in_lunch"], rules["home_in_lunch"]
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
            model.add(invited[b][c] * rules["per_person"] <= minutes_at[b][c] * rules["per_minute"])
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
            need = -(-demand[c] * rules["per_person"] // rules["per_minute"])
            model.add(sum(minutes_at[b][c] for b in range(bins)) >= need)
    # The bound proven before, if any.
    model.add(sum(used) >= lower)
    model.minimize(sum(used))
    # The best plan so far, as a first solution to improve on.
    hint = sorted(hint, key=lambda r: min(c for c, _ in r))
    for b, route in enumerate(hint[:bins]):
        model.add_hint(used[b], 1)
        seen = dict(route)
        for c in range(n):
            model.add_hint(visit[b][c], 1 if c in seen else 0)
            model.add_hint(invited[b][c], seen.get(c, 0))
        for c in range(n):
            model.add_hint(first[b][c], 1 if route[0][0] == c else 0)
        pairs = set(zip([c for c, _ in route], [c for c, _ in route][1:]))
        for (c, d), hop in hops[b].items():
            model.add_hint(hop, 1 if (c, d) in pairs else 0)
    for b in range(len(hint), bins):
        model.add_hint(used[b], 0)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, seconds)
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return name, None, None, []
    routes = []
    for b in range(bins):
        if not solver.value(used[b]):
            continue
        # Follow the route from the base along the arcs taken.
        here = next((c for c, go in first[b].items() if solver.value(go)), None)
        route = []
        while here is not None and all(c != here for c, _ in route):
            route.append((here, solver.value(invited[b][here])))
            here = next((d for (c, d), hop in hops[b].items() if c == here and solver.value(hop)), None)
        routes.append(route)
    bound = math.ceil(solver.best_objective_bound - 1e-6)
    return name, len(routes), bound, routes


# ---------------------------------------------------------------------------------------
# Runnable days: the planner's own rules, exactly

GRID_MIN = 5.0


def invited(plan, n):
    """The people a plan [[(commune, people), ...], ...] invites from each of n communes."""
    covered = [0] * n
    for route in plan:
        for c, w in route:
            covered[c] += w
    return covered


def on_grid(x):
    """`x` rounded up to the planner's 5-minute grid."""
    return math.ceil(x / GRID_MIN) * GRID_MIN


class Runnable:
    """The planner's rule for laying out a team-day (`lay_out` in planner.rs), exactly: from
    the base at opening, each visit after its journey, its arrival rounded up to the grid, in
    sittings through the day's working periods (none runs through lunch or a shift change),
    each the shortest on the grid that invites its people at the planner's rule, or to the
    period's end or the time to leave for home; the arithmetic is the planner's, in the same
    floating point. A route that asks more of a visit than this holds is not runnable."""

    def __init__(self, instance):
        communes = instance["communes"]
        self.n = len(communes)
        size = max(1, instance["team_size"])
        teams = max(1, instance["machines"] // size)
        machines = [size] * (teams - 1) + [instance["machines"] - size * (teams - 1)]
        # A day laid out for one team holds for every team only when the teams are alike.
        self.alike = len(set(machines)) == 1
        self.machines = machines[-1]
        self.load = min(max(instance["target_load"], 0.0), 2.0) * (
            1 - min(max(instance.get("walk_in_share", 0.0), 0.0), 0.9)
        )
        self.service = instance["service_min"]
        self.show_up = min(max(instance["show_up"], 0.01), 1.0)
        self.opens, self.closes = instance["open_min"], instance["close_min"]
        self.periods = self._periods(instance.get("lunch"), instance.get("shift_changes") or [])
        self.travel = [c["travel_min"] for c in communes]
        self.between = instance["between_min"]
        self.demand = [c["eligible"] for c in communes]
        self._shortest = {}
        self._visits = {}

    def _periods(self, lunch, changes):
        bounds = [self.opens] + sorted({t for t in changes if self.opens < t < self.closes}) + [self.closes]
        out = []
        for start, end in zip(bounds, bounds[1:]):
            if lunch and lunch[0] < lunch[1] and lunch[0] < end and start < lunch[1]:
                if start < lunch[0]:
                    out.append((start, lunch[0]))
                if lunch[1] < end:
                    out.append((lunch[1], end))
            else:
                out.append((start, end))
        return out

    def invitations(self, minutes):
        if self.service <= 0:
            return 0
        x = minutes * self.machines * self.load / (self.service * self.show_up) + 1e-9
        return max(0, math.floor(x)) if x == x else 0

    def session_minutes(self, most, wanted):
        """The shortest sitting on the grid within `most` that invites `wanted`, else `most`."""
        if self.invitations(most) <= wanted:
            return most
        m = self._shortest.get(wanted)
        if m is None:
            m = GRID_MIN
            while self.invitations(m) < wanted:
                m += GRID_MIN
            self._shortest[wanted] = m
        return m if m < most else most

    def sittings(self, arrive, leave, wanted):
        """(start, end, invited) of each sitting of a visit, as the planner's `sittings`."""
        out, left = [], wanted
        for a, b in self.periods:
            start, stop = max(a, arrive), min(b, leave)
            if start >= stop or left == 0:
                continue
            minutes = self.session_minutes(stop - start, left)
            k = min(self.invitations(minutes), left)
            if k > 0:
                left -= k
                out.append((start, start + minutes, k))
        return out

    def hop(self, a, b):
        """As the planner's `hop_min`: between the centres, else through the base."""
        if a == b:
            return 0
        try:
            return self.between[a][b]
        except (IndexError, TypeError):
            return self.travel[a] + self.travel[b]

    def held(self, route):
        """The people each visit of a route [(commune, invited)] holds when laid out."""
        clock, at, out = self.opens, None, []
        for c, wanted in route:
            arrive = on_grid(clock + (self.travel[c] if at is None else self.hop(at, c)))
            # A visit depends only on these three; the local search asks the same ones often.
            key = (c, arrive, wanted)
            visit = self._visits.get(key)
            if visit is None:
                leave = max(self.closes - self.travel[c], arrive)
                sittings = self.sittings(arrive, leave, wanted)
                visit = (sum(s[2] for s in sittings), sittings[-1][1] if sittings else None)
                self._visits[key] = visit
            if visit[1] is not None:
                clock = visit[1]
            out.append(visit[0])
            at = c
        return out

    def runs(self, route):
        """Every visit holds its people, and every visit has some (as the planner's do)."""
        return all(w > 0 and h == w for h, (_, w) in zip(self.held(route), route))

    def plan_runs(self, plan):
        """Every day of the plan runs, and it invites each commune's people exactly."""
        return invited(plan, self.n) == self.demand and all(self.runs(route) for route in plan)


class RunnableDays:
    """Pricing over runnable days: the most a day can be worth at prices π per person.

    A visit's choices, for each commune and grid time the team may arrive, are the people it
    invites and so the time it ends; of those ending at the same time only the most people
    count (π ≥ 0). The value of the rest of a day from a commune at a time is then a dynamic
    programme over the grid's times, backwards: it is exact for the planner's rules except
    that it may visit a commune again (its people counted twice). That is a relaxation, so
    its maximum still bounds every runnable day; each commune c remembers the communes in
    memory[c] it may not go back to, and a route that revisits one adds it to the memories
    along the way (decremental state-space relaxation), until the best day is a real one."""

    def __init__(self, rules, act):
        self.rules = rules
        self.act = act
        self.k = len(act)
        r = rules
        self.start = on_grid(r.opens)
        self.times = int((r.closes - self.start) // GRID_MIN) + 2
        self.memory = [set() for _ in act]
        # options[i][t]: [(people, end)] for commune act[i] reached at grid time t.
        self.options = []
        for c in act:
            leave = r.closes - r.travel[c]
            per = []
            for t in range(self.times):
                arrive = self.start + GRID_MIN * t
                if arrive >= leave:
                    per.append([])
                    continue
                fill = []  # (start, stop, capacity) of each period the visit may sit in
                for a, b in r.periods:
                    start, stop = max(a, arrive), min(b, leave)
                    if start < stop:
                        fill.append((start, stop, r.invitations(stop - start)))
                most = min(r.demand[c], sum(f[2] for f in fill))
                by_end = {}
                for w in range(1, most + 1):
                    left, end = w, None
                    for start, stop, cap in fill:
                        if left == 0:
                            break
                        take = min(cap, left)
                        if take > 0:
                            end = start + r.session_minutes(stop - start, left)
                            left -= take
                    by_end[end] = w
                per.append(sorted((w, e) for e, w in by_end.items()))
            self.options.append(per)
        # The grid time of arriving at commune j after ending at time e anywhere is
        # computed on demand; the first arrival from the base here.
        self.first = [self.index(on_grid(r.opens + r.travel[c])) for c in act]

    def index(self, t):
        return int(round((t - self.start) / GRID_MIN))

    def price(self, pi):
        """Each first commune's best day at prices pi (by place in act): [(value, route)],
        the route as [(place in act, people)]."""
        k, T, r, act = self.k, self.times, self.rules, self.act
        # Memories at each commune: every subset of what it remembers.
        subsets = []
        for i in range(k):
            subs = [0]
            for j in self.memory[i]:
                subs += [s | (1 << j) for s in subs]
            subsets.append(subs)
        remembered = [sum(1 << j for j in self.memory[i]) for i in range(k)]
        value = [{m: [0.0] * T for m in subsets[i]} for i in range(k)]
        choice = {}
        onward = {}
        hop = [[r.hop(act[i], act[j]) for j in range(k)] for i in range(k)]

        def after(i, m, end):
            key = (i, m, end)
            found = onward.get(key)
            if found is None:
                found = (0.0, None)
                seen = m | (1 << i)
                for j in range(k):
                    if (seen >> j) & 1:
                        continue
                    t = self.index(on_grid(end + hop[i][j]))
                    if t >= T:
                        continue
                    mj = seen & remembered[j]
                    v = value[j][mj][t]
                    if v > found[0]:
                        found = (v, (j, mj, t))
                onward[key] = found
            return found

        for t in range(T - 1, -1, -1):
            for i in range(k):
                options = self.options[i][t]
                if not options:
                    continue
                p = pi[i]
                for m in subsets[i]:
                    best, how = 0.0, None
                    for w, end in options:
                        rest, nxt = after(i, m, end)
                        v = p * w + rest
                        if v > best:
                            best, how = v, (w, nxt)
                    value[i][m][t] = best
                    choice[i, m, t] = how
        days = []
        for i in range(k):
            t = self.first[i]
            if t >= T or value[i][0][t] <= 0:
                continue
            route, state = [], (i, 0, t)
            while state:
                w, nxt = choice[state]
                route.append((state[0], w))
                state = nxt
            days.append((value[i][0][t], route))
        days.sort(key=lambda d: -d[0])
        return days

    def remember(self, route):
        """Forbids the revisits of a route: the commune revisited is remembered by every
        commune on the way between its two visits."""
        last = {}
        for pos, (i, _) in enumerate(route):
            if i in last:
                for j, _ in route[last[i] + 1 : pos]:
                    self.memory[j].add(i)
            last[i] = pos


def elementary(route):
    return len({i for i, _ in route}) == len(route)


def runnable_bound(days, upper, hint, deadline):
    """Column generation over runnable days. Returns a lower bound z on the team-days of
    every runnable plan (at prices π ≥ 0 per person, a plan of K days invites people worth
    π·demand ≤ K·max V(π), so K ≥ π·demand ÷ max V(π), max V bounded by the pricing's
    relaxation), the runnable days generated, as routes over places in act, and the last
    prices. It stops
    once no plan can have fewer than `upper` days, when nothing prices out (z is then the
    linear programme's optimum) or at the deadline."""
    k = days.k
    demand = [days.rules.demand[c] for c in days.act]
    columns, keys = [], set()

    def add(route):
        key = tuple(route)
        if key not in keys:
            keys.add(key)
            columns.append(route)

    for route in hint:
        add(route)
    # Each commune alone, as many as a day there holds, so that every commune is covered.
    for i in range(k):
        t = days.first[i]
        if t >= days.times or not days.options[i][t]:
            return math.inf, [], []
        add([(i, days.options[i][t][-1][0])])
    bound, pi = 0.0, [1.0] * k
    while time.monotonic() < deadline:
        # A route visits a commune once, so its people are a day's column as they stand.
        prices = cover_prices([dict(route) for route in columns], demand)
        if prices is None:
            break
        pi = prices
        priced = days.price(pi)
        if not priced:
            break
        top, best = priced[0]
        bound = max(bound, sum(p * d for p, d in zip(pi, demand)) / top)
        if math.ceil(bound - 1e-6) >= upper:
            break
        fresh = [route for value, route in priced if value > 1 + 1e-9 and elementary(route)]
        before = len(columns)
        for route in fresh:
            add(route)
        if not elementary(best):
            days.remember(best)
        elif top <= 1 + 1e-9 or len(columns) == before:
            # Nothing prices out (or only days already there, within the LP's tolerance).
            break
    return bound, columns, pi


def more_days(days, columns, pi, rounds, most, until):
    """More runnable days for CP-SAT to choose from, when those of the column generation do
    not make a plan as short as the bound: the best days at `rounds` prices drawn around the
    final ones (a fixed seed, so that runs agree), then, for every route of at most three
    visits among them, the days that give up people at one visit for more at the next: each
    visit but the last ending when its commune is done, at a period's end, or at every few
    grid choices, the last taking all it can. At most `most` days in all; the prices stop at
    `until`."""
    rng = random.Random(18)
    routes = {tuple(i for i, _ in route) for route in columns}
    for _ in range(rounds):
        if time.monotonic() > until:
            break
        prices = [p * math.exp(rng.gauss(0, 0.3)) + 0.002 * rng.random() for p in pi]
        routes |= {tuple(i for i, _ in route) for _, route in days.price(prices) if elementary(route)}
    routes = sorted(r for r in routes if len(r) <= 3)
    rules, act = days.rules, days.act
    ends = {b for _, b in rules.periods}

    def frontier(route, step):
        found = []

        def visit(j, t, people):
            options = days.options[route[j]][t] if t < days.times else []
            if not options:
                return
            if j == len(route) - 1:
                found.append(list(zip(route, people + [options[-1][0]])))
                return
            demand = rules.demand[act[route[j]]]
            for n, (w, end) in enumerate(options):
                if w == demand or end in ends or n % step == 0 or n == len(options) - 1:
                    nxt = days.index(on_grid(end + rules.hop(act[route[j]], act[route[j + 1]])))
                    visit(j + 1, nxt, people + [w])

        visit(0, days.first[route[0]], [])
        return found

    # Fewer choices per visit until the days fit in `most`; past a day's grid times the
    # choices left are the ends named above, and the pool is cut at `most`.
    step = 6
    while True:
        pool = {tuple(route) for route in columns}
        for route in routes:
            pool.update(tuple(day) for day in frontier(route, step))
            if len(pool) > most:
                break
        if len(pool) <= most or step > days.times:
            return [list(day) for day in sorted(pool)][:most]
        step *= 2


def runnable_plan(days, columns, lower, upper, workers, seconds):
    """The fewest days, from lower to upper, over plans made of the days in `columns` (a day
    may be used again), each commune's people covered, then `without_surplus`. Returns the
    routes (over places in act), each checked to run, or None."""
    k = days.k
    demand = [days.rules.demand[c] for c in days.act]
    model = cp_model.CpModel()
    use = [model.new_int_var(0, upper, "") for _ in columns]
    for i in range(k):
        model.add(sum(w * u for route, u in zip(columns, use) for j, w in route if j == i) >= demand[i])
    total = sum(use)
    model.add(total >= lower)
    model.add(total <= upper)
    model.minimize(total)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, seconds)
    solver.parameters.num_workers = workers
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    plan = without_surplus([list(route) for route, u in zip(columns, use) for _ in range(solver.value(u))], demand)
    if not all(days.rules.runs([(days.act[i], w) for i, w in route]) for route in plan):
        return None
    return plan


def without_surplus(plan, demand):
    """The plan with the people invited beyond each commune's taken off, the last visits
    first (which only ends sittings earlier), and the days and visits left empty dropped.
    The caller checks that it still runs."""
    plan = [list(route) for route in plan]
    surplus = [x - d for x, d in zip(invited(plan, len(demand)), demand)]
    for route in reversed(plan):
        for n in range(len(route) - 1, -1, -1):
            i, w = route[n]
            cut = min(surplus[i], w)
            if cut > 0:
                surplus[i] -= cut
                route[n] = (i, w - cut)
    plan = [[(i, w) for i, w in route if w > 0] for route in plan]
    return [route for route in plan if route]


class LeftOut:
    """Local search for a plan of a given number of runnable days that invites everyone, for
    when the bound is one day short of the best plan: CP-SAT over a pool of days is weak at
    covering each commune's exact people with near-full days, even when the pool holds a
    plan (docs/benchmarks.md, Kỳ Anh).

    The state is one route per day, each visit with its people, every day running by
    `Runnable`; its cost is the people left out. A move changes one day (one of the moves
    below) and is taken by simulated annealing: a worse state with probability exp(−Δ ÷ T),
    T falling from 3 to 0.2 over each cycle of `CYCLE` moves, every cycle starting again
    from the best state. After `PATIENCE` cycles without a better one, the search starts
    afresh from the first state. The schedule counts moves, not seconds, so a seed's search
    repeats."""

    CYCLE = 150_000
    PATIENCE = 10

    def __init__(self, rules, start, seed):
        self.rules = rules
        self.demand = rules.demand
        self.rng = random.Random(seed)
        self.start = [list(route) for route in start]
        self._begin(self.start)

    def _begin(self, plan):
        self.plan = [list(route) for route in plan]
        self.covered = invited(self.plan, len(self.demand))
        self.cost = self.left_out(self.covered)

    def left_out(self, covered):
        return sum(max(0, d - x) for d, x in zip(self.demand, covered))

    def lack(self, c):
        return max(0, self.demand[c] - self.covered[c])

    def held_as_laid_out(self, route):
        """Each visit cut to what it holds when laid out, visits left empty dropped."""
        while True:
            held = self.rules.held(route)
            kept = [(c, h) for (c, _), h in zip(route, held) if h > 0]
            if len(kept) == len(route):
                return kept
            route = kept

    def most(self, route, v, cap):
        """The most people, up to cap, at visit v of a route whose other visits keep theirs
        (more people end a visit later, so this is monotone)."""
        lo, hi = 0, cap
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.rules.runs(route[:v] + [(route[v][0], mid)] + route[v + 1 :]):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def fill(self, route, v):
        """Visit v given as many more as its commune lacks and it holds."""
        c, w = route[v]
        route[v] = (c, max(w, self.most(route, v, w + self.lack(c))))

    def move(self):
        """(day, its new route), or None."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.2:
            # A commune with more than its people: one of its visits gives up the surplus
            # and the visit before or after it takes the time.
            over = [c for c, (people, covered) in enumerate(zip(self.demand, self.covered)) if covered > people]
            if not over:
                return None
            c = rng.choice(over)
            visits = [(day, v) for day, route in enumerate(self.plan) for v, (a, _) in enumerate(route) if a == c]
            day, v = rng.choice(visits)
            route = list(self.plan[day])
            cut = min(self.covered[c] - self.demand[c], route[v][1])
            route[v] = (c, route[v][1] - cut)
            after = v + 1 if route[v][1] else v
            route = [(a, w) for a, w in route if w > 0]
            near = [u for u in (v - 1, after) if 0 <= u < len(route)]
            if near:
                self.fill(route, rng.choice(near))
            return day, self.held_as_laid_out(route)
        day = rng.randrange(len(self.plan))
        route = list(self.plan[day])
        if draw < 0.2 + 0.8 / 7:
            # A backward trade: 1 to 30 more at a visit, the next ones holding what they then can.
            if len(route) < 2:
                return None
            v = rng.randrange(len(route) - 1)
            c, w = route[v]
            route[v] = (c, w + rng.randint(1, 30))
            if self.rules.held(route)[v] < route[v][1]:
                return None
            return day, self.held_as_laid_out(route)
        kind = rng.randrange(4)
        if kind == 0:
            # A commune that lacks people, inserted anywhere with as many as the day then holds.
            lacking = [c for c in range(len(self.demand)) if self.lack(c) and all(c != a for a, _ in route)]
            if not lacking:
                return None
            c = rng.choice(lacking)
            v = rng.randint(0, len(route))
            route.insert(v, (c, 0))
            route[v] = (c, self.most(route, v, self.lack(c)))
            return (day, route) if route[v][1] else None
        if not route:
            return None
        v = rng.randrange(len(route))
        if kind == 1:
            # A visit dropped.
            del route[v]
            return day, self.held_as_laid_out(route)
        if kind == 2:
            # 1 to 30 people off a visit, the time given to the next one.
            c, w = route[v]
            route[v] = (c, w - rng.randint(1, 30))
            nxt = v + 1 if route[v][1] > 0 else v
            route = [(a, x) for a, x in route if x > 0]
            if nxt < len(route):
                self.fill(route, nxt)
            return day, self.held_as_laid_out(route)
        # A visit filled.
        if not self.lack(route[v][0]):
            return None
        self.fill(route, v)
        return day, route

    def run(self, until):
        """A plan leaving nobody out, or None by the time `until`."""
        best = [list(r) for r in self.plan]
        best_cost = cycle_best = self.cost
        stale = moves = 0
        while best_cost > 0:
            if moves % 1000 == 0 and time.monotonic() > until:
                return None
            if moves and moves % self.CYCLE == 0:
                stale = 0 if best_cost < cycle_best else stale + 1
                if stale >= self.PATIENCE:
                    best, stale = self.start, 0
                self._begin(best)
                best_cost = cycle_best = self.cost
            temperature = 3.0 * (0.2 / 3.0) ** ((moves % self.CYCLE) / self.CYCLE)
            moves += 1
            found = self.move()
            if found is None:
                continue
            day, route = found
            covered = list(self.covered)
            for c, w in self.plan[day]:
                covered[c] -= w
            for c, w in route:
                covered[c] += w
            cost = self.left_out(covered)
            if cost <= self.cost or self.rng.random() < math.exp((self.cost - cost) / temperature):
                self.plan[day], self.covered, self.cost = route, covered, cost
                if cost < best_cost:
                    best, best_cost = [list(r) for r in self.plan], cost
        return [route for route in best if route]


def _search_left_out(job):
    instance, start, seed, until = job
    return LeftOut(Runnable(instance), start, seed).run(until)


def search_left_out(instance, start, workers, until):
    """`LeftOut` from `start` (at least one day) in `workers` processes (seeds 1, 2, …):
    the first plan found, or None. The pool is terminated on the way out, so no search
    outlives the call."""
    # Spawned, not forked: CP-SAT's threads have run in this process.
    context = multiprocessing.get_context("spawn")
    jobs = [(instance, start, seed, until) for seed in range(1, max(1, workers) + 1)]
    with context.Pool(len(jobs)) as pool:
        results = pool.imap_unordered(_search_left_out, jobs)
        for _ in jobs:
            try:
                # A worker that dies never answers: wait no longer than the search lasts.
                plan = results.next(timeout=max(0.0, until - time.monotonic()) + 5)
            except Exception as e:  # noqa: BLE001 - the search is a shortcut, not the proof
                print(f"local search stopped: {e!r}", file=sys.stderr)
                return None
            if plan is not None:
                return plan
    return None


def runnable_stage(instance, runnable, act, lower, bins, workers, deadline, known=None):
    """The fewest team-days over plans whose every day runs by the planner's rules, from the
    planner's own plan (which runs), `known` (a plan that runs, if any) and CP-SAT over the
    days of `runnable_bound`; for teams alike only (the caller's to check). Returns
    (best, lower): best as (days, routes over commune indices) or None; lower the bound
    proven (math.inf when some commune cannot be visited at all)."""
    demand = runnable.demand
    planner = [[(v["commune"], v["invited"]) for v in route] for route in instance.get("hint", [])]
    best = None
    if planner and runnable.plan_runs(planner):
        best = (len(planner), planner)
    if known is not None and (best is None or known[0] < best[0]):
        best = known
    if not act:
        return best, lower
    index = {c: i for i, c in enumerate(act)}
    days = RunnableDays(runnable, act)
    start = [[(index[c], w) for c, w in route] for route in (best[1] if best else [])]
    upper = best[0] if best else bins
    remaining = deadline - time.monotonic()
    bound, columns, pi = runnable_bound(days, upper, start, time.monotonic() + 0.4 * remaining)
    if bound == math.inf:
        return None, math.inf
    lower = max(lower, math.ceil(bound - 1e-6))
    if best is not None and best[0] == lower + 1 and deadline - time.monotonic() > 5:
        # One day short of the bound: a plan of `lower` days by local search, from the
        # fullest days of the best plan, is optimal. (With a wider gap the bound is rarely
        # reached, and the search would only take CP-SAT's time.)
        fullest = sorted(best[1], key=lambda route: -sum(w for _, w in route))[:lower]
        until = time.monotonic() + 0.6 * (deadline - time.monotonic())
        found = search_left_out(instance, fullest, workers, until)
        if found is not None:
            found = without_surplus(found, demand)
            if runnable.plan_runs(found):
                return (len(found), found), lower

    def plan_from(columns, upper, seconds):
        nonlocal best
        if seconds < 0.5 or lower > upper:
            return
        found = runnable_plan(days, columns, lower, upper, workers, seconds)
        if found is not None and (best is None or len(found) <= best[0]):
            best = (len(found), [[(act[i], w) for i, w in route] for route in found])

    if lower <= upper:
        plan_from(columns, upper, 0.2 * (deadline - time.monotonic()))
    # Making more days takes a few seconds on 20 communes.
    if (best is None or best[0] > lower) and deadline - time.monotonic() > 10:
        columns = more_days(days, columns, pi, 50, 60000, time.monotonic() + 0.2 * (deadline - time.monotonic()))
        plan_from(columns, best[0] - 1 if best else upper, deadline - time.monotonic())
    return best, lower


# ---------------------------------------------------------------------------------------


def solve(instance):
    started = time.monotonic()
    limit = float(instance.get("time_limit_s", 60))
    # Steps 1 to 4 (the relaxed model) have 40% of the time, step 5 (runnable plans) the rest.
    relaxed_limit = 0.4 * limit
    deadline = started + relaxed_limit
    workers = int(instance.get("workers", 2))
    rules = read_rules(instance)
    n, bins, demand = rules["n"], rules["bins"], rules["demand"]
    # A commune without people is never visited (a visit invites someone).
    act = [c for c in range(n) if demand[c] > 0]
    lower = 1 if act else 0
    best = None  # (days, routes as [[(commune, invited), ...], ...])
    proven = False

    def left():
        return deadline - time.monotonic()

    def infeasible():
        seconds = time.monotonic() - started
        return {"status": "INFEASIBLE", "seconds": seconds, "team_days": None, "lower_bound": None, "routes": []}

    if not act:
        best = (0, [])
        proven = True
    elif len(act) <= MAX_SUBSET_COMMUNES and (1 << len(act)) * len(act) ** 2 * 1e-8 <= 0.5 * relaxed_limit:
        tours = Tours(rules, act)
        # 1. The lower bound.
        bound, generated, reduced = column_generation(rules, tours, started + 0.5 * relaxed_limit)
        if bound == math.inf or math.ceil(bound - 1e-6) > bins:
            return infeasible()
        lower = max(lower, math.ceil(bound - 1e-6))
        k = tours.k
        index = {c: i for i, c in enumerate(act)}
        hint = []
        for route in instance.get("hint", []):
            mask = sum(1 << index[v["commune"]] for v in route if v["commune"] in index)
            if mask and len({v["commune"] for v in route}) == len(route) and tours.feasible[mask]:
                hint.append((mask, {index[v["commune"]]: v["invited"] for v in route if v["commune"] in index}))

        def improve(status, days, routes):
            nonlocal best, hint
            if days is not None and (best is None or days < best[0]):
                best = (days, [[(act[c], invited[c]) for c in tours.order(mask)] for mask, invited in routes])
                hint = routes
            return status

        # 2. A shortlist: each commune alone, every pair, the column generation's sets and
        # the planner's routes.
        sets = {1 << i for i in range(k)}
        sets |= {(1 << i) | (1 << j) for i in range(k) for j in range(i + 1, k)}
        sets |= set(generated) | {mask for mask, _ in hint}
        sets = sorted(m for m in sets if tours.feasible[m])
        for lp, share in ((False, 0.1), (True, 0.35)):
            improve(*shortlist_plan(rules, tours, sets, lower, best[0] if best else bins, hint, workers, share * left(), lp=lp))
            proven = best is not None and best[0] <= lower
            if proven:
                break
        if not proven:
            # 3. Every set a plan with fewer days (or, without a plan, at most `bins`) could
            # use, by reduced costs, if they are few enough to state; else the triples too.
            upper = best[0] - 1 if best else bins
            slack = upper - bound
            keep = np.flatnonzero(tours.feasible & (reduced <= slack + 1e-9))
            # The visits the model would state: a set's members times its copies.
            copies = np.minimum(upper, np.floor(slack / np.maximum(reduced[keep] - 1e-9, 1e-12) + 1e-9))
            size = float(np.sum(tours.popcount[keep] * copies))
            if size <= 50000:
                every = [int(m) for m in keep]
                found = shortlist_plan(rules, tours, every, lower, upper, hint, workers, 0.6 * left(), reduced, slack)
                status = improve(*found)
                if status == "OPTIMAL" or (status == "INFEASIBLE" and best):
                    proven = True
                    lower = best[0]
                elif status == "INFEASIBLE":
                    return infeasible()
            else:
                triples = {
                    (1 << i) | (1 << j) | (1 << l) for i in range(k) for j in range(i + 1, k) for l in range(j + 1, k)
                }
                sets = sorted(set(sets) | {m for m in triples if tours.feasible[m]})
                improve(*shortlist_plan(rules, tours, sets, lower, best[0] if best else bins, hint, workers, 0.5 * left()))
                proven = best is not None and best[0] <= lower
        del tours
    if not proven:
        # 4. The circuit model, from the best plan so far (or the planner's).
        planner = [[(v["commune"], v["invited"]) for v in r] for r in instance.get("hint", [])]
        hint = best[1] if best else planner
        size = best[0] if best else bins
        status, days, bound, routes = circuit_plan(rules, size, lower, hint, workers, left())
        if bound is not None:
            lower = max(lower, bound)
        if days is not None and (best is None or days < best[0]):
            best = (days, routes)
        if status == "OPTIMAL" or (best and best[0] <= lower):
            proven = True
        if status == "INFEASIBLE" and best is None:
            return infeasible()
    relaxed = None
    # 5. Plans that run: the relaxed model's plan may ask more of a day than the planner's
    # rules hold (a morning's sittings must end by lunch, times sit on the grid, each sitting
    # invites whole people). Its plan stands when every day runs and it is proven; else the
    # plan is made again from runnable days (the relaxed plan a candidate if it runs), and
    # the bound raised by theirs.
    # With teams of different sizes a day that runs for one may not for another: the relaxed
    # result stands as it is.
    runnable = Runnable(instance)
    runs = best is not None and all(runnable.runs(route) for route in best[1])
    if runnable.alike and not (runs and proven):
        if not runs:
            relaxed = {
                "status": "OPTIMAL" if proven and best else ("FEASIBLE" if best else "UNKNOWN"),
                "team_days": best[0] if best else None,
            }
        if proven and best:
            lower = best[0]
        known = best if runs else None
        best, lower = runnable_stage(instance, runnable, act, lower, bins, workers, started + limit, known)
        if best is None and (lower == math.inf or lower > bins):
            return infeasible()
        proven = best is not None and best[0] <= lower
    return {
        "status": "OPTIMAL" if proven and best else ("FEASIBLE" if best else "UNKNOWN"),
        "seconds": time.monotonic() - started,
        "team_days": best[0] if best else None,
        "lower_bound": (best[0] if proven else lower) if best else None,
        "routes": [[{"commune": c, "invited": x} for c, x in route] for route in best[1]] if best else [],
        "relaxed": relaxed,
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        instance = json.load(f)
    json.dump(solve(instance), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
