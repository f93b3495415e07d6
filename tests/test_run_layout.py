"""The run folder's per-employee files (docs/run-folder.md): inputs.csv once per employee, one
breakdown file per policy holding only that policy's steps, the files declared in one registry
and written the same on one core and on both, and explain working from the folder alone.

The sample's `tests/golden/sample_inputs.csv` and `tests/golden/sample_breakdown/*.csv` were
reviewed cell by cell against the single breakdown.csv they replace: every cell of it is in
exactly one of them, with the same text.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES, breakdown_rows, employee_files
from engine_helpers import policy_yaml
from incentives import jobs
from incentives.audit.explain import explain_employee
from incentives.io.employee_files import EmployeeFile, Write
from incentives.io.employee_files import employee_files as registered_files
from incentives.io.run_outputs import OutputLayout
from incentives.jobs import RunRequest, run_job
from incentives.parallel import can_fork

GOLDEN = Path(__file__).resolve().parent / "golden"
POLICIES = (
    "annual-bonus-2026",
    "ltip-psu-2024",
    "merit-2027",
    "promotion-2027",
    "sales-incentive-2026-q4",
)


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout") / "run"
    run_job(
        RunRequest(
            rules=RULES, employees=EMPLOYEES, out=out, rates=RATES, ratings=RATINGS, history=HISTORY
        )
    )
    return out


def test_the_sample_inputs_and_breakdown_files_are_the_reviewed_golden_files(sample: Path) -> None:
    """inputs.csv and each policy's breakdown file are byte for byte the reviewed goldens; the
    manifest maps each policy to its file; no breakdown.csv is written any more."""
    assert (sample / "inputs.csv").read_bytes() == (GOLDEN / "sample_inputs.csv").read_bytes()
    files = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert files["breakdown"] == {p: f"breakdown/{p}.csv" for p in POLICIES}
    assert files["inputs_kept"] == {}  # the sample's defaults agree across policies
    for policy in POLICIES:
        written = (sample / "breakdown" / f"{policy}.csv").read_bytes()
        assert written == (GOLDEN / "sample_breakdown" / f"{policy}.csv").read_bytes(), policy
    assert not (sample / "breakdown.csv").exists()


def test_inputs_are_once_per_employee_and_each_breakdown_holds_only_its_policy(
    sample: Path,
) -> None:
    """52 computed employees: 52 rows of inputs.csv, in the order of results.csv; each breakdown
    file has one row per employee its policy computed and only columns of that policy's slots:
    no input column (those are in inputs.csv), no column of another policy."""
    header, inputs = _read(sample / "inputs.csv")
    _, results = _read(sample / "results.csv")
    computed = list(dict.fromkeys(r["employee_id"] for r in results))
    assert [r["employee_id"] for r in inputs] == computed and len(computed) == 52
    rulebook = json.loads((sample / "rulebook.json").read_text(encoding="utf-8"))
    fields = [f["name"] for f in rulebook["fields"]]  # sorted by name
    assert header == ["employee_id", *(name for name in fields if name != "employee_id")]
    for policy in rulebook["policies"]:
        columns, rows = _read(sample / "breakdown" / f"{policy['id']}.csv")
        names = {s["name"] for s in policy["slots"]}
        assert columns[:2] == ["employee_id", "eligible"]
        for column in columns[2:]:
            base = column.removesuffix(" [match]")
            goal = ".goal" in column and column.split(".goal")[0] in names
            assert base in names or goal, (policy["id"], column)
        assert not {s["name"] for s in policy["slots"] if s["kind"] == "input"} & set(columns[2:])
        paid = [r["employee_id"] for r in results if r["policy"] == policy["id"]]
        assert [r["employee_id"] for r in rows] == paid


def _two_policies(tmp_path: Path, second_id: str = "merit-b") -> Path:
    """Two policies reading `fte`: the bonus defaults it to 1, the merit to 0.5."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yaml").write_text(
        policy_yaml(
            """
            steps:
              bonus: {formula: "1000 * fte", type: money}
            pay:
              - {name: annual_bonus, step: bonus, pay_code: AIP}
            """,
            policy_id="bonus-a",
            inputs="fte: {type: decimal, required: false, default: 1}\n"
            "note: {type: text, required: false}\n",
        ),
        encoding="utf-8",
    )
    (rules / "b.yaml").write_text(
        policy_yaml(
            """
            steps:
              raise: {formula: "2000 * fte", type: money}
            pay:
              - {name: merit_increase, step: raise, pay_code: MER}
            """,
            policy_id=second_id,
            kind="merit",
            inputs="fte: {type: decimal, required: false, default: 0.5}\n",
        ),
        encoding="utf-8",
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,plan,currency,fte,note\nE1,AIP,USD,,-x\nE2,AIP,USD,0.8,\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    run_job(RunRequest(rules=rules, employees=roster, out=out))
    return out


def test_an_input_whose_default_differs_stays_in_its_policys_breakdown(tmp_path: Path) -> None:
    """E1 has no fte: the bonus reads 1, the merit 0.5. inputs.csv holds the bonus's value (the
    first policy's default), merit-b's breakdown keeps its own fte column, the manifest says
    so, and explain shows each policy the value it used."""
    out = _two_policies(tmp_path)
    header, inputs = _read(out / "inputs.csv")
    assert header == ["employee_id", "currency", "fte", "note", "plan"]
    assert [(r["fte"], r["note"]) for r in inputs] == [("1", "'-x"), ("0.8", "")]
    columns, merit = _read(out / "breakdown" / "merit-b.csv")
    assert "fte" in columns and [r["fte"] for r in merit] == ["0.5", "0.8"]
    assert "fte" not in _read(out / "breakdown" / "bonus-a.csv")[0]
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert files["inputs_kept"] == {"merit-b": ["fte"]}
    policies = {p["id"]: p for p in explain_employee(out, "E1").data()["policies"]}
    fte = {pid: next(i for i in p["inputs"] if i["name"] == "fte") for pid, p in policies.items()}
    assert (fte["bonus-a"]["cell"], fte["merit-b"]["cell"]) == ("1", "0.5")
    assert policies["merit-b"]["steps"][0]["exact"] == "1000.00"


def test_a_policy_id_that_is_no_plain_file_name_gets_a_safe_one(tmp_path: Path) -> None:
    """An id with a space and a slash is written under a safe name with a hash of the id; the
    manifest maps the id to it and explain finds it there."""
    out = _two_policies(tmp_path, second_id="'Merit / B'")
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    name = files["breakdown"]["Merit / B"]
    assert name.startswith("breakdown/Merit-B-") and name.endswith(".csv")
    assert (out / name).is_file()
    assert [p["id"] for p in explain_employee(out, "E2").data()["policies"]] == [
        "bonus-a",
        "Merit / B",
    ]


def test_two_ids_equal_but_for_case_get_two_files() -> None:
    from incentives.io.run_outputs import breakdown_file_names

    names = breakdown_file_names(["Bonus", "bonus", "merit"])
    assert names["merit"] == "breakdown/merit.csv"
    assert len({n.casefold() for n in names.values()}) == 3


@pytest.mark.skipif(not can_fork(), reason="the both-core path needs fork")
def test_a_file_added_to_the_registry_is_written_the_same_on_one_core_and_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a per-employee file is one entry: a file registered beside the others is written
    by the one-core run and by the both-core run (each worker a share, appended in roster
    order), byte-identical, like every other per-employee file."""

    def with_extra(layout: OutputLayout) -> tuple[EmployeeFile, ...]:
        def rows(emp: object, write: Write) -> None:
            write([emp.employee_id, str(len(emp.outcomes))])  # type: ignore[attr-defined]

        extra = EmployeeFile("extra.csv", ("employee_id", "policies"), computed=rows)
        return (*registered_files(layout), extra)

    monkeypatch.setattr(jobs, "employee_files", with_extra)
    common = dict(rules=RULES, employees=EMPLOYEES, rates=RATES, ratings=RATINGS, history=HISTORY)
    one = run_job(RunRequest(out=tmp_path / "one", workers=1, **common))  # type: ignore[arg-type]
    both = run_job(
        RunRequest(out=tmp_path / "both", workers=2, parallel_from=2, **common)  # type: ignore[arg-type]
    )
    assert "extra.csv" in one.files and one.files == both.files
    names = [*employee_files(tmp_path / "one"), "extra.csv"]
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "both" / name).read_bytes()
    _, extra = _read(tmp_path / "both" / "extra.csv")
    # 00001 (Sales, level 1): annual bonus, merit, promotion and the Q4 sales incentive
    assert len(extra) == 52 and extra[0] == {"employee_id": "00001", "policies": "4"}


def test_explain_reads_the_joined_rows_as_the_files_hold_them(sample: Path) -> None:
    """Each explained input and step is the cell of inputs.csv or of the policy's breakdown
    file (explain recomputes nothing)."""
    rows = {(r["employee_id"], r["policy"]): r for r in breakdown_rows(sample)}
    for employee in ("00004", "00017"):
        for policy in explain_employee(sample, employee).data()["policies"]:
            row = rows[(employee, policy["id"])]
            for item in policy["inputs"]:
                assert item["cell"] == row[item["name"]].removeprefix("'"), item
            for step in policy["steps"]:
                assert step["exact"] == row[step["name"]], step


def test_a_folder_written_before_this_layout_is_still_explained(
    sample: Path, tmp_path: Path
) -> None:
    """A run folder with one breakdown.csv (a `policy` column, every policy's columns) and no
    `files` in its manifest, as runs wrote before: explain reads it and says the same."""
    old = tmp_path / "old"
    shutil.copytree(sample, old)
    rows = breakdown_rows(sample)
    header = list(dict.fromkeys(key for row in rows for key in row))
    with (old / "breakdown.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, header, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shutil.rmtree(old / "breakdown")
    (old / "inputs.csv").unlink()
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for employee in ("00004", "00017", "00041"):
        new_data = explain_employee(sample, employee).data()
        old_data = explain_employee(old, employee).data()
        assert {**old_data, "run": ""} == {**new_data, "run": ""}


# -- a damaged folder is refused, never explained in part (review9 F1)


def _damaged(sample: Path, tmp_path: Path, name: str, keep_lines: int = 0, cut: int = 0) -> Path:
    """A copy of the sample run with `name` cut to its first `keep_lines` lines, or `cut` bytes
    shorter."""
    copy = tmp_path / "damaged"
    shutil.copytree(sample, copy)
    path = copy / name
    data = path.read_bytes()
    if keep_lines:
        data = b"".join(data.splitlines(keepends=True)[:keep_lines])
    path.write_bytes(data[: len(data) - cut])
    return copy


def _refused(folder: Path, employee: str, *says: str) -> None:
    from incentives.errors import OptionsError

    with pytest.raises(OptionsError) as caught:
        explain_employee(folder, employee)
    message = str(caught.value)
    for text in (*says, "Run it again with --force"):
        assert text in message, message


def test_a_breakdown_file_that_lost_rows_is_refused(sample: Path, tmp_path: Path) -> None:
    """The bonus file keeps 00001 and 00002 only: 00004's bonus (paid in results.csv) must not be
    explained as if 00004 had none; the error names the file and the first employee missing (00003)."""
    folder = _damaged(sample, tmp_path, "breakdown/annual-bonus-2026.csv", keep_lines=3)
    _refused(folder, "00004", "breakdown/annual-bonus-2026.csv", "first '00003'", "results.csv")


def test_a_breakdown_file_cut_mid_line_is_refused(sample: Path, tmp_path: Path) -> None:
    """4 bytes cut off the end: the last number would read 15785 for 15785.76."""
    folder = _damaged(sample, tmp_path, "breakdown/annual-bonus-2026.csv", cut=4)
    _refused(folder, "00052", "breakdown/annual-bonus-2026.csv", "does not end with a line end")


def test_a_breakdown_file_with_a_row_results_does_not_pay_is_refused(
    sample: Path, tmp_path: Path
) -> None:
    """A row repeated at the end: the counts disagree with results.csv."""
    copy = tmp_path / "extra"
    shutil.copytree(sample, copy)
    path = copy / "breakdown" / "merit-2027.csv"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines, lines[1]]))
    _refused(copy, "00004", "breakdown/merit-2027.csv", "results.csv")


@pytest.mark.parametrize("damage", [{"keep_lines": 40}, {"cut": 3}])
def test_inputs_csv_that_lost_rows_or_was_cut_is_refused(
    sample: Path, tmp_path: Path, damage: dict[str, int]
) -> None:
    folder = _damaged(sample, tmp_path, "inputs.csv", **damage)
    _refused(folder, "00004", "inputs.csv")


# -- policy ids a spreadsheet would escape, and Windows device names (review9 F2, F5)

_BODY = """
steps:
  bonus: {formula: "1000", type: money}
pay:
  - {name: annual_bonus, step: bonus, pay_code: AIP}
"""


@pytest.mark.parametrize(
    ("policy_id", "suggested"),
    [
        ("'-lead'", "lead"),
        ("'=x'", "x"),
        ("'+x'", "x"),
        ("'@x'", "x"),
        ("'.hidden'", "hidden"),
        ("'-'", ""),
    ],
)
def test_a_policy_id_not_starting_with_a_letter_or_digit_is_refused(
    tmp_path: Path, policy_id: str, suggested: str
) -> None:
    """results.csv writes `-lead` as `'-lead` (a spreadsheet would run it), the manifest's map
    as `-lead`: the documented join would drop its rows. Such an id is refused where it is
    written, with a suggestion."""
    from engine_helpers import load
    from incentives.errors import PolicyError

    with pytest.raises(PolicyError) as caught:
        load(tmp_path, policy_yaml(_BODY, policy_id=policy_id))
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (2, "policy.id")
    assert "an id starts with a letter or digit" in problem.message
    assert (f"did you mean '{suggested}'?" in problem.message) == bool(suggested), problem


def test_ids_starting_with_a_letter_or_digit_still_load(tmp_path: Path) -> None:
    from engine_helpers import load

    ids = ["2026-bonus", "résumé", "Q1 bonus/2026", "a.b"]
    rulebook = load(tmp_path, *(policy_yaml(_BODY, policy_id=f"'{i}'") for i in ids))
    assert sorted(p.id for p in rulebook.policies) == sorted(ids)


@pytest.mark.parametrize(
    "policy_id", ["CON", "con", "Nul", "aux", "PRN", "COM1", "lpt9", "con.x", "NUL.tar.gz"]
)
def test_a_windows_device_name_gets_a_hashed_file_name(policy_id: str) -> None:
    """`breakdown/CON.csv` cannot be created on Windows (nor `con.x.csv`): such an id gets the
    hashed form, whose name before the first dot is no device name."""
    from incentives.io.run_outputs import breakdown_file_names

    name = breakdown_file_names([policy_id, "merit"])[policy_id]
    stem = name.removeprefix("breakdown/").split(".")[0]
    assert stem.casefold() not in {"con", "prn", "aux", "nul"}
    assert not (stem[:3].casefold() in ("com", "lpt") and stem[3:].isdigit()), name
    assert name.startswith("breakdown/") and name.endswith(".csv")
    assert breakdown_file_names(["COM10", "console", "nullable"]) == {
        i: f"breakdown/{i}.csv" for i in ("COM10", "console", "nullable")
    }


def test_a_results_csv_that_lost_rows_is_refused(sample: Path, tmp_path: Path) -> None:
    """results.csv cut at a line: the other files hold rows it no longer has; the folder is
    refused rather than explained from a part."""
    folder = _damaged(sample, tmp_path, "results.csv", keep_lines=40)
    _refused(folder, "00004", "does not match results.csv")


def test_an_old_breakdown_csv_that_lost_a_policy_row_is_refused(
    sample: Path, tmp_path: Path
) -> None:
    """A folder of the single breakdown.csv, cut after 00001's first policy row: 00001's other
    policies are paid in results.csv, so the folder is refused."""
    old = tmp_path / "old"
    shutil.copytree(sample, old)
    rows = breakdown_rows(sample)
    rows.sort(key=lambda row: row["employee_id"])  # by employee, as the old file was
    header = list(dict.fromkeys(key for row in rows for key in row))
    with (old / "breakdown.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, header, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[:1])
    shutil.rmtree(old / "breakdown")
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _refused(old, "00001", "breakdown.csv", "does not match results.csv")
