"""End to end through the console script: report and announce on a small synthetic store."""

from __future__ import annotations

import json
import re

import pytest
from publish_samples import campaign_dict

from devicepark.cli.main import main
from devicepark.publish.cellkey import MAX_NOISE
from devicepark.questions import BaseQuestion

pytestmark = pytest.mark.slow
NNBSP = "\u202f"
AS_OF = "2022-02-03"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    from devicepark.ingest.run import ingest
    from devicepark.store import Store
    from devicepark.store.engine import duckdb_connection
    from devicepark.synth import generate

    key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    root = tmp_path_factory.mktemp("publish-cli")
    generate(root / "data", lines=3_000, seed=7)
    store = Store.create(root / "store")
    ingest(
        store, duckdb_connection(), bytes.fromhex(key),
        lines=[root / "data" / "lines.csv"], observations=[root / "data" / "observations.csv"],
        tac=[root / "data" / "tac.csv"], max_reject_rate=0.2,
    )  # fmt: skip
    return root / "store"


@pytest.fixture(scope="module")
def truth(store_dir):
    from devicepark import answers
    from devicepark.store import Store, connect, open_tables

    con = connect("duckdb")
    return answers.base(
        con, open_tables(con, Store.open(store_dir)), BaseQuestion.parse(AS_OF, by=["vendor"])
    )


def run(capsys, *args: object) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def test_announce_json_never_overclaims(capsys, store_dir, truth):
    code, out, _ = run(capsys, "announce", "--store", store_dir, "--vendor", "Xiaomi",
                       "--as-of", AS_OF, "--format", "json", "--lang", "en")  # fmt: skip
    assert code == 0
    got = json.loads(out)
    xiaomi = next(g for g in truth["groups"] if g["vendor"] == "Xiaomi")
    assert got["lines"] == xiaomi["lines"] and got["claimed"] <= got["lines"]
    # the published share divides by the published (cell-key perturbed) total
    d, total = MAX_NOISE, truth["total_lines"]
    assert xiaomi["lines"] / (total + d) <= got["share"] <= xiaomi["lines"] / (total - d)
    assert got["as_of"] == AS_OF and got["vendor"] == "Xiaomi"
    assert "#Xiaomi users at Orange and Sosh!" in got["text"]  # the store's brands by default
    code, out, _ = run(capsys, "announce", "--store", store_dir, "--vendor", "Xiaomi",
                       "--as-of", AS_OF, "--operator", "Orange")  # fmt: skip
    assert code == 0 and out.startswith(f"{got['claimed']} utilisateurs #Xiaomi chez Orange")


def test_report_holds_the_base(capsys, store_dir, truth, tmp_path):
    camp = tmp_path / "camp.json"
    camp.write_text(json.dumps(campaign_dict()), "utf-8")
    page = tmp_path / "r.html"
    code, out, _ = run(capsys, "report", "--store", store_dir, "--as-of", AS_OF,
                       "--from", "2021-09-01", "--out", page, "--campaign", camp)  # fmt: skip
    assert code == 0 and "wrote" in out
    html = page.read_text("utf-8")
    assert "<script" not in html and 'id="campaigns"' in html and 'id="flows"' in html
    top = max(truth["groups"], key=lambda g: g["lines"])
    shown = re.search(rf"<td>{top['vendor']}</td><td class=n>([0-9{NNBSP}]+)</td>", html)
    assert shown is not None  # published perturbed: within the p-table's largest noise
    assert abs(int(shown.group(1).replace(NNBSP, "")) - top["lines"]) <= MAX_NOISE


def test_epsilon_is_recorded_in_the_ledger(capsys, store_dir, tmp_path):
    from devicepark.publish import privacy
    from devicepark.store import Store

    before = privacy.ledger_total(Store.open(store_dir))
    code, _, err = run(capsys, "announce", "--store", store_dir, "--vendor", "Samsung",
                       "--as-of", AS_OF, "--epsilon", "0.5", "--format", "json")  # fmt: skip
    assert code == 0 and "privacy budget" in err
    code, out, _ = run(capsys, "report", "--store", store_dir, "--as-of", AS_OF,
                       "--from", "2021-12-01", "--out", tmp_path / "p.html", "--epsilon", "1",
                       "--lang", "en")  # fmt: skip
    assert code == 0
    total = privacy.ledger_total(Store.open(store_dir))
    assert total == pytest.approx(before + 1.5)
    assert f"{total:.3g} in total" in out
    assert "Differential privacy" in (tmp_path / "p.html").read_text("utf-8")


def test_errors_are_one_line(capsys, store_dir, tmp_path):
    code, _, err = run(capsys, "announce", "--store", store_dir, "--vendor", "Xiaomi",
                       "--as-of", "03/02/2022")  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "--as-of" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"campaign": "x",\n "daily": [}', "utf-8")
    code, _, err = run(capsys, "report", "--store", store_dir, "--as-of", AS_OF,
                       "--out", tmp_path / "x.html", "--campaign", bad)  # fmt: skip
    assert code == 2 and f"{bad}:2: column" in err and not (tmp_path / "x.html").exists()
    code, _, err = run(capsys, "announce", "--store", store_dir, "--vendor", "Nokiaa",
                       "--as-of", AS_OF)  # fmt: skip
    assert code == 2 and "Nokiaa" in err
