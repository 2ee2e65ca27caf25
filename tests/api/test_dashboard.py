"""The dashboard's page, read as HTML (the browser tests look at it in Chromium): a date outside
the data, the chosen vendor however small, captions, bounded charts, the sign-in page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from apikit import AUTH, KEY, TOKEN, assert_error, cli, get

from devicepark.publish import charts

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def build_synth_store(root: Path) -> Path:
    """A small synthetic operator (1,500 lines, September 2021 to March 2022): 18 vendors,
    Fairphone among them with 2 lines on 31 March 2022 and Doro, 17th, with 13."""
    from devicepark.synth import generate

    data = root / "data"
    generate(data, lines=1500, seed=7, start=dt.date(2021, 9, 1), end=dt.date(2022, 3, 31))
    store = root / "store"
    cli("ingest", "--store", str(store), "--tac", str(data / "tac.csv"), "--lines",
        str(data / "lines.csv"), "--observations", str(data / "observations.csv"))  # fmt: skip
    return store


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_synth_store(tmp_path_factory.mktemp("dash"))


@pytest.fixture
def synth_app(synth_store, monkeypatch):
    from devicepark.api.app import create_app

    monkeypatch.setenv("DEVICEPARK_KEY", KEY)
    return create_app(synth_store, token=TOKEN)  # the default threshold, 10


def _text(html: str) -> str:
    """The page's words, tags and SVGs dropped, entities kept as the browser shows them."""
    import html as h

    html = re.sub(r"<svg.*?</svg>|<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", h.unescape(re.sub(r"<[^>]+>", " ", html)))


def _svg_sizes(html: str) -> list[tuple[float, float] | None]:
    return [charts.svg_size(m) for m in re.findall(r"<svg\b[^>]*>", html)]


def _section(html: str, sid: str) -> str:
    start = html.index(f'<section id="{sid}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "Pas de données au 1 juin 2023 : la base a des observations du "
               "1 décembre 2021 au 4 février 2022."),
        ("en", "No data on June 1, 2023: the store has sightings from December 1, 2021 to "
               "February 4, 2022."),
    ],
)  # fmt: skip
def test_a_date_outside_the_data_names_the_datas_dates(app, lang, expected):
    r = get(app, f"/?as_of=2023-06-01&lang={lang}", AUTH)
    assert r.status_code == 200
    assert expected in _text(r.text)
    assert "<svg" not in r.text  # no empty charts
    assert 'href="/?as_of=2022-02-04&amp;lang=' in r.text  # a link to the last date
    early = get(app, "/?as_of=2020-01-01&lang=en", AUTH)
    assert "No data on January 1, 2020: the store has sightings from December 1, 2021" in _text(
        early.text
    )


def test_every_chart_has_a_bounded_size(app, synth_app):
    pages = [
        get(app, "/", AUTH).text,
        get(app, "/?as_of=2021-12-01&vendor=Samsung&brand=Sosh", AUTH).text,  # first day
        get(synth_app, "/?as_of=2022-03-31&vendor=Fairphone", AUTH).text,
        get(synth_app, "/?as_of=2021-09-01&vendor=Doro&lang=en", AUTH).text,
    ]
    for page in pages:
        sizes = _svg_sizes(page)
        assert sizes and None not in sizes, sizes
        assert all(w <= charts.MAX_PX and h <= charts.MAX_PX for w, h in sizes)  # type: ignore[misc]


def test_render_drops_an_unbounded_svg():
    # what Vega drew for a series whose vendors were all hidden: 1.8e308 pixels
    assert charts.series_chart([{"date": "2022-01-02", "groups": []}], [], "fr", {}, ["A"]) == ""
    assert charts.shares_chart([{"vendor": "A", "share": None}], "fr", {}) == ""
    assert charts.svg_size('<svg width="1.7976931348623157e+308" height="20">') is None
    assert charts.svg_size('<svg width="4001" height="20">') is None
    assert charts.svg_size('<svg width="760" height="300">') == (760.0, 300.0)


def test_a_small_vendor_keeps_its_headline_as_under_the_threshold(synth_app):
    page = get(synth_app, "/?as_of=2022-03-31&vendor=Fairphone&lang=en", AUTH).text
    head = _text(_section(page, "headline"))
    assert head.startswith(" Fairphone < 10 lines Fewer than 10 lines: too few to publish")
    assert "• of all active lines (1,358)" in head and "On March 31, 2022." in head
    # its own row in the shares chart, labelled < 10 and outlined, never folded into Other
    shares = _section(page, "shares")
    assert re.search(r'aria-label="[^"]*vendor: Fairphone"[^>]*stroke="#212529"', shares)
    assert re.search(r"font-weight=\"bold\"[^>]*>&lt; 10</text>", shares)
    assert "Fairphone: fewer than 10 lines on every date, no line is drawn." in _text(page)


def test_a_vendor_beyond_the_top_ten_is_shown_and_highlighted(synth_app):
    page = get(synth_app, "/?as_of=2022-03-31&vendor=doro&lang=fr", AUTH).text  # any case
    head = _text(_section(page, "headline"))
    assert head.startswith(" Doro 13 lignes ")
    assert "0,96\u00a0% de toutes les lignes actives (1\u202f358)" in head
    assert re.search(r'aria-label="[^"]*vendor: Doro"[^>]*stroke="#212529" stroke-width="2"',
                     page)  # fmt: skip
    lines = re.findall(r'aria-label="[^"]*vendor: ([^"]+)"[^>]*aria-roledescription="line mark"'
                       r'[^>]*stroke-width="([\d.]+)"', page)  # fmt: skip
    widths = dict(lines)
    assert widths["Doro"] == "5" and {w for v, w in widths.items() if v != "Doro"} == {"1.5"}
    assert '#flows path.band[data-from="Doro"],#flows path.band[data-to="Doro"]' in page
    assert 'class="band" data-from="Doro"' in page or 'data-to="Doro"' in page


@pytest.mark.parametrize("asked", ["redmi", "POCO", " XIAOMI "])
def test_vendor_aliases_choose_the_vendor(synth_app, asked):
    """Any alias of the vendor aliases (and any case) is that vendor, as on the command line."""
    page = get(synth_app, f"/?as_of=2022-03-31&vendor={asked}&lang=en", AUTH).text
    assert _text(_section(page, "headline")).startswith(" Xiaomi ")
    assert 'id="vendor-notice"' not in page


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "“Xiaom” is not a vendor on this date (closest: Xiaomi); showing Apple."),
    ("fr", "« Xiaom » n'est pas un constructeur de cette date (les plus proches : Xiaomi) ; "
           "voici Apple."),
])  # fmt: skip
def test_an_unknown_vendor_is_said_never_silently_replaced(synth_app, lang, words):
    page = get(synth_app, f"/?as_of=2022-03-31&vendor=Xiaom&lang={lang}", AUTH).text
    notice = re.search(r'<p class="notice" id="vendor-notice">([^<]*)</p>', page)
    assert notice is not None and _text(notice.group(1)).strip() == words
    assert _text(_section(page, "headline")).startswith(" Apple ")
    hostile = get(synth_app, "/?vendor=%3Cscript%3Ex%3C/script%3E&lang=en", AUTH).text
    assert "<script>x" not in hostile and "&lt;script&gt;x" in hostile  # escaped, never markup


def test_captions_state_the_date_period_and_denominators(synth_app):
    page = get(synth_app, "/?as_of=2022-03-31&vendor=Samsung&lang=fr", AUTH).text
    text = _text(page)
    nn = "\u202f"
    assert (f"Au 31 mars 2022. Part des lignes actives (dénominateur : toutes les lignes "
            f"actives, 1{nn}358). Samsung est mis en évidence.") in text  # fmt: skip
    assert "Lignes par constructeur, du 1 avril 2021 au 27 mars 2022" in text
    assert "Un point par semaine." in text
    flows = _text(_section(page, "flows"))
    assert "entre le 1 avril 2021 (à gauche) et le 31 mars 2022 (à droite)" in flows
    assert re.search(r"Samsung, du 1 avril 2021 au 31 mars 2022 : lignes gagnées [\d\u202f]+, "
                     r"perdues [\d\u202f]+, conservées [\d\u202f]+\.", flows)  # fmt: skip
    # the switching chart writes each state's count beside its bar
    counts = r">(?:Samsung\u2003[\d\u202f]+|[\d\u202f]+\u2003Samsung)</text>"
    assert re.search(counts, _section(page, "flows"))
    assert f"lignes dont le terminal est identifié au 31 mars 2022 (1{nn}313)" in text


# -- signing in ----------------------------------------------------------------------------------


def test_a_browser_without_the_token_gets_a_page_that_says_how_to_sign_in(app):
    r = get(app, "/?lang=en", BROWSER)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["www-authenticate"].startswith("Basic")  # the browser's prompt still comes
    text = _text(r.text)
    assert text.index("Signing in to the devicepark dashboard") < text.index("Connexion au")
    assert "DEVICEPARK_API_TOKEN" in text
    assert "enter any user name and the token as the password" in text
    assert "have it add the header “Authorization: Bearer <token>”" in text
    assert "saisissez n'importe quel nom d'utilisateur et le jeton comme mot de passe" in text
    wrong = get(app, "/", {**BROWSER, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "Le jeton présenté n'est pas le bon." in _text(wrong.text)
    assert "test-token" not in wrong.text


def test_without_a_configured_token_the_page_says_so_and_asks_for_no_password(core_store, api_env):
    from devicepark.api.app import create_app

    r = get(create_app(core_store), "/", {**BROWSER, "Accept-Language": "en-GB,en;q=0.9"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    text = _text(r.text)
    assert "This server has no access token" in text and "DEVICEPARK_API_TOKEN" in text
    assert "devicepark serve --public" in text


def test_scripts_and_the_api_keep_the_json_error(app):
    message = assert_error(get(app, "/"), 401, "unauthorized")
    assert "HTTP Basic" in message
    assert_error(get(app, "/v1/base?as_of=2022-02-03", BROWSER), 401, "unauthorized")
