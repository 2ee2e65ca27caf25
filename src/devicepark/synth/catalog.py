"""The synthetic operator's device world: vendors, models with invented TACs, and the TAC catalog.

Models and their release months are plausible; every TAC is invented (8 digits, drawn once from a
fixed seed, so the catalog is the same for every run). A few TACs are deliberately left out of the
written catalog, so that the base meets vendor ``Unknown``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

#: Vendors as market-share tables name them (identify's normalised vendor), in a fixed order.
#: ``Unlisted`` is the generator's name for handsets whose TACs are in no catalog: the base
#: reports them as vendor ``Unknown``.
VENDORS: tuple[str, ...] = (
    "Apple",
    "Samsung",
    "Xiaomi",
    "Huawei",
    "Honor",
    "OPPO",
    "realme",
    "OnePlus",
    "vivo",
    "Google",
    "Motorola",
    "Nokia",
    "Sony",
    "LG",
    "Wiko",
    "Crosscall",
    "Fairphone",
    "Doro",
    "Unlisted",
    # M2M modules
    "Quectel",
    "Telit",
    "Sierra Wireless",
    "u-blox",
    "Thales",
)
HANDSET_VENDORS: tuple[str, ...] = VENDORS[: VENDORS.index("Unlisted") + 1]
MODULE_VENDORS: tuple[str, ...] = VENDORS[VENDORS.index("Unlisted") + 1 :]
UNLISTED = VENDORS.index("Unlisted")

# manufacturer and os per vendor, as written in our catalog CSV, and the prefix of the TACs
# invented for it: Chinese-made brands under "86", the rest under "35"
_MAKER = {
    "Apple": ("Apple", "iOS", 35),
    "Samsung": ("Samsung", "Android", 35),
    "Xiaomi": ("Xiaomi", "Android", 86),
    "Huawei": ("Huawei", "Android", 86),
    "Honor": ("Honor", "Android", 86),
    "OPPO": ("OPPO", "Android", 86),
    "realme": ("realme", "Android", 86),
    "OnePlus": ("OnePlus", "Android", 86),
    "vivo": ("vivo", "Android", 86),
    "Google": ("Google", "Android", 35),
    "Motorola": ("Motorola", "Android", 35),
    "Nokia": ("HMD Global Oy", "Android", 35),
    "Sony": ("Sony", "Android", 35),
    "LG": ("LG", "Android", 35),
    "Wiko": ("Wiko", "Android", 35),
    "Crosscall": ("Crosscall", "Android", 35),
    "Fairphone": ("Fairphone", "Android", 35),
    "Doro": ("Doro", "Android", 35),
    "Unlisted": ("(unlisted)", "Android", 86),
    "Quectel": ("Quectel", None, 86),
    "Telit": ("Telit", None, 35),
    "Sierra Wireless": ("Sierra Wireless", None, 35),
    "u-blox": ("u-blox", None, 35),
    "Thales": ("Thales", None, 35),
}

# (vendor, brand, model, release YYYY-MM, sales weight, device_type)
# Weights are relative within a vendor.
_S, _T, _F, _M = "smartphone", "tablet", "feature phone", "module/IoT"
_MODELS: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("Apple", "Apple", "iPhone 7", "2016-09", 3, _S),
    ("Apple", "Apple", "iPhone 8", "2017-09", 3, _S),
    ("Apple", "Apple", "iPhone X", "2017-11", 2, _S),
    ("Apple", "Apple", "iPhone XR", "2018-10", 4, _S),
    ("Apple", "Apple", "iPhone XS", "2018-09", 2, _S),
    ("Apple", "Apple", "iPhone 11", "2019-09", 5, _S),
    ("Apple", "Apple", "iPhone 11 Pro", "2019-09", 2, _S),
    ("Apple", "Apple", "iPhone SE (2nd generation)", "2020-04", 3, _S),
    ("Apple", "Apple", "iPhone 12", "2020-10", 5, _S),
    ("Apple", "Apple", "iPhone 12 mini", "2020-11", 1.5, _S),
    ("Apple", "Apple", "iPhone 12 Pro", "2020-10", 2.5, _S),
    ("Apple", "Apple", "iPhone 13", "2021-09", 5, _S),
    ("Apple", "Apple", "iPhone 13 mini", "2021-09", 1.2, _S),
    ("Apple", "Apple", "iPhone 13 Pro", "2021-09", 2.5, _S),
    ("Apple", "Apple", "iPhone SE (3rd generation)", "2022-03", 1.5, _S),
    ("Apple", "Apple", "iPad (7th generation) Wi-Fi + Cellular", "2019-09", 0.5, _T),
    ("Apple", "Apple", "iPad Air (4th generation) Wi-Fi + Cellular", "2020-10", 0.4, _T),
    ("Samsung", "Samsung", "Galaxy S7", "2016-03", 3, _S),
    ("Samsung", "Samsung", "Galaxy S8", "2017-04", 3, _S),
    ("Samsung", "Samsung", "Galaxy S9", "2018-03", 3, _S),
    ("Samsung", "Samsung", "Galaxy A40", "2019-04", 3, _S),
    ("Samsung", "Samsung", "Galaxy A50", "2019-03", 4, _S),
    ("Samsung", "Samsung", "Galaxy S10", "2019-03", 3, _S),
    ("Samsung", "Samsung", "Galaxy A51", "2020-01", 5, _S),
    ("Samsung", "Samsung", "Galaxy A41", "2020-05", 2, _S),
    ("Samsung", "Samsung", "Galaxy S20", "2020-03", 2.5, _S),
    ("Samsung", "Samsung", "Galaxy A21s", "2020-06", 3, _S),
    ("Samsung", "Samsung", "Galaxy A12", "2020-12", 4, _S),
    ("Samsung", "Samsung", "Galaxy Tab A7 LTE", "2020-10", 0.6, _T),
    ("Samsung", "Samsung", "Galaxy S21", "2021-01", 2.5, _S),
    ("Samsung", "Samsung", "Galaxy A52", "2021-03", 4.5, _S),
    ("Samsung", "Samsung", "Galaxy A32", "2021-03", 3, _S),
    ("Samsung", "Samsung", "Galaxy XCover 5", "2021-03", 0.6, _S),
    ("Samsung", "Samsung", "Galaxy A22", "2021-07", 2.5, _S),
    ("Samsung", "Samsung", "Galaxy Z Flip3", "2021-08", 1, _S),
    ("Samsung", "Samsung", "Galaxy S22", "2022-02", 2.5, _S),
    ("Samsung", "Samsung", "Galaxy A13", "2022-03", 3, _S),
    ("Samsung", "Samsung", "Galaxy A53 5G", "2022-03", 3.5, _S),
    ("Xiaomi", "Redmi", "Redmi Note 7", "2019-03", 4, _S),
    ("Xiaomi", "Xiaomi", "Mi 9", "2019-03", 1.5, _S),
    ("Xiaomi", "Redmi", "Redmi Note 8", "2019-09", 4, _S),
    ("Xiaomi", "Redmi", "Redmi Note 8 Pro", "2019-09", 2, _S),
    ("Xiaomi", "Redmi", "Redmi Note 9", "2020-05", 4, _S),
    ("Xiaomi", "Redmi", "Redmi 9", "2020-06", 2, _S),
    ("Xiaomi", "Redmi", "Redmi 9A", "2020-07", 2, _S),
    ("Xiaomi", "POCO", "POCO X3 NFC", "2020-09", 2.5, _S),
    ("Xiaomi", "Xiaomi", "Mi 10T", "2020-10", 1.5, _S),
    ("Xiaomi", "Redmi", "Redmi 9T", "2021-01", 2.5, _S),
    ("Xiaomi", "Redmi", "Redmi Note 10", "2021-03", 4.5, _S),
    ("Xiaomi", "Redmi", "Redmi Note 10 Pro", "2021-03", 2.5, _S),
    ("Xiaomi", "POCO", "POCO X3 Pro", "2021-03", 2, _S),
    ("Xiaomi", "POCO", "POCO F3", "2021-03", 1.2, _S),
    ("Xiaomi", "Xiaomi", "Xiaomi 11 Lite 5G NE", "2021-09", 2, _S),
    ("Xiaomi", "Xiaomi", "Xiaomi 11T", "2021-09", 1.5, _S),
    ("Xiaomi", "Xiaomi", "Xiaomi 11T Pro", "2021-09", 1.5, _S),
    ("Xiaomi", "Redmi", "Redmi Note 11", "2022-01", 4.5, _S),
    ("Xiaomi", "Redmi", "Redmi Note 11 Pro", "2022-02", 2, _S),
    ("Xiaomi", "POCO", "POCO X4 Pro 5G", "2022-03", 1.5, _S),
    ("Xiaomi", "Xiaomi", "Xiaomi 12", "2022-03", 1, _S),
    ("Huawei", "Huawei", "P20 lite", "2018-04", 4, _S),
    ("Huawei", "Huawei", "P smart 2019", "2019-01", 3, _S),
    ("Huawei", "Huawei", "P30", "2019-03", 2, _S),
    ("Huawei", "Huawei", "P30 lite", "2019-04", 4, _S),
    ("Huawei", "Huawei", "P40 lite", "2020-03", 2, _S),
    ("Huawei", "Huawei", "Y6p", "2020-06", 1, _S),
    ("Huawei", "Huawei", "P smart 2021", "2020-10", 1, _S),
    ("Honor", "Honor", "Honor 8X", "2018-10", 2, _S),
    ("Honor", "Honor", "Honor 10 Lite", "2019-01", 2, _S),
    ("Honor", "Honor", "Honor 20", "2019-06", 1.5, _S),
    ("Honor", "Honor", "Honor 50", "2021-12", 1.5, _S),
    ("Honor", "Honor", "Honor Magic4 Lite", "2022-03", 1, _S),
    ("OPPO", "OPPO", "A5 2020", "2019-10", 2, _S),
    ("OPPO", "OPPO", "Find X2 Lite", "2020-05", 1, _S),
    ("OPPO", "OPPO", "A53", "2020-09", 2, _S),
    ("OPPO", "OPPO", "Reno4 Z 5G", "2020-09", 1, _S),
    ("OPPO", "OPPO", "A54 5G", "2021-04", 2, _S),
    ("OPPO", "OPPO", "A74", "2021-04", 1.5, _S),
    ("OPPO", "OPPO", "A16s", "2021-10", 1.5, _S),
    ("OPPO", "OPPO", "Find X5 Lite", "2022-03", 1, _S),
    ("realme", "realme", "realme 6", "2020-03", 1, _S),
    ("realme", "realme", "realme 7", "2020-09", 1.5, _S),
    ("realme", "realme", "realme C21", "2021-03", 1.5, _S),
    ("realme", "realme", "realme 8", "2021-04", 2, _S),
    ("realme", "realme", "realme GT Master Edition", "2021-08", 1, _S),
    ("realme", "realme", "realme 8i", "2021-09", 1.5, _S),
    ("realme", "realme", "realme 9 Pro", "2022-02", 1.5, _S),
    ("OnePlus", "OnePlus", "OnePlus 7T", "2019-10", 1, _S),
    ("OnePlus", "OnePlus", "OnePlus Nord", "2020-08", 2, _S),
    ("OnePlus", "OnePlus", "OnePlus 8T", "2020-10", 1, _S),
    ("OnePlus", "OnePlus", "OnePlus 9", "2021-03", 1, _S),
    ("OnePlus", "OnePlus", "OnePlus Nord CE 5G", "2021-06", 1.5, _S),
    ("OnePlus", "OnePlus", "OnePlus Nord 2 5G", "2021-07", 1.5, _S),
    ("OnePlus", "OnePlus", "OnePlus 10 Pro", "2022-03", 0.8, _S),
    ("vivo", "vivo", "vivo Y20s", "2020-10", 1, _S),
    ("vivo", "vivo", "vivo Y72 5G", "2021-04", 1.5, _S),
    ("vivo", "vivo", "vivo X60 Pro", "2021-04", 0.7, _S),
    ("vivo", "vivo", "vivo Y21s", "2021-10", 1.5, _S),
    ("vivo", "vivo", "vivo V23 5G", "2022-01", 1, _S),
    ("Google", "Google", "Pixel 3a", "2019-05", 1, _S),
    ("Google", "Google", "Pixel 4a", "2020-10", 1.5, _S),
    ("Google", "Google", "Pixel 5", "2020-10", 1, _S),
    ("Google", "Google", "Pixel 6", "2021-10", 1.5, _S),
    ("Google", "Google", "Pixel 6 Pro", "2021-10", 0.8, _S),
    ("Motorola", "Motorola", "moto g7", "2019-02", 1.5, _S),
    ("Motorola", "Motorola", "moto g8 power", "2020-03", 1.5, _S),
    ("Motorola", "Motorola", "moto g9 play", "2020-09", 1.5, _S),
    ("Motorola", "Motorola", "moto g30", "2021-03", 1.5, _S),
    ("Motorola", "Motorola", "moto g50", "2021-04", 1, _S),
    ("Motorola", "Motorola", "edge 20", "2021-08", 0.7, _S),
    ("Motorola", "Motorola", "moto g31", "2021-12", 1.2, _S),
    ("Nokia", "Nokia", "Nokia 3310 (2017)", "2017-05", 1, _F),
    ("Nokia", "Nokia", "Nokia 5.1", "2018-07", 1, _S),
    ("Nokia", "Nokia", "Nokia 105 (2019)", "2019-08", 1.2, _F),
    ("Nokia", "Nokia", "Nokia 7.2", "2019-09", 1, _S),
    ("Nokia", "Nokia", "Nokia 5.3", "2020-04", 1, _S),
    ("Nokia", "Nokia", "Nokia G10", "2021-05", 1, _S),
    ("Nokia", "Nokia", "Nokia G20", "2021-06", 1, _S),
    ("Sony", "Sony", "Xperia XZ2", "2018-04", 1, _S),
    ("Sony", "Sony", "Xperia 10", "2019-03", 1.5, _S),
    ("Sony", "Sony", "Xperia 10 II", "2020-05", 1.5, _S),
    ("Sony", "Sony", "Xperia 10 III", "2021-06", 1.2, _S),
    ("Sony", "Sony", "Xperia 5 III", "2021-09", 0.6, _S),
    ("LG", "LG", "G7 ThinQ", "2018-05", 1, _S),
    ("LG", "LG", "K40", "2019-04", 1.5, _S),
    ("LG", "LG", "K50S", "2019-10", 1, _S),
    ("LG", "LG", "K42", "2020-10", 0.6, _S),
    ("Wiko", "Wiko", "View3", "2019-04", 1.5, _S),
    ("Wiko", "Wiko", "Y60", "2019-05", 1.5, _S),
    ("Wiko", "Wiko", "View5", "2020-08", 1.5, _S),
    ("Wiko", "Wiko", "Y62", "2020-11", 1.5, _S),
    ("Wiko", "Wiko", "Power U20", "2021-05", 1.2, _S),
    ("Wiko", "Wiko", "Y82", "2021-10", 1.2, _S),
    ("Wiko", "Wiko", "T10", "2022-05", 1, _S),
    ("Crosscall", "Crosscall", "Core-M4", "2019-10", 1, _S),
    ("Crosscall", "Crosscall", "Core-X4", "2020-06", 1.5, _S),
    ("Crosscall", "Crosscall", "Action-X5", "2021-06", 1.2, _S),
    ("Crosscall", "Crosscall", "Core-X5", "2022-04", 1, _S),
    ("Fairphone", "Fairphone", "Fairphone 3", "2019-09", 1, _S),
    ("Fairphone", "Fairphone", "Fairphone 3+", "2020-09", 1, _S),
    ("Fairphone", "Fairphone", "Fairphone 4", "2021-10", 1.2, _S),
    ("Doro", "Doro", "Doro 6520", "2019-03", 1, _F),
    ("Doro", "Doro", "Doro 8050", "2020-02", 1, _S),
    ("Doro", "Doro", "Doro 6880", "2021-05", 1, _F),
    # grey imports and rebadged phones whose TACs no catalog lists (base vendor "Unknown")
    ("Unlisted", "Unlisted", "unlisted handset A", "2017-01", 1, _S),
    ("Unlisted", "Unlisted", "unlisted handset B", "2019-01", 1, _S),
    ("Unlisted", "Unlisted", "unlisted handset C", "2021-01", 1, _S),
    ("Quectel", "Quectel", "EC25", "2017-01", 3, _M),
    ("Quectel", "Quectel", "BG96", "2018-01", 2, _M),
    ("Quectel", "Quectel", "EG91", "2019-01", 2, _M),
    ("Telit", "Telit", "LE910C1", "2017-06", 2, _M),
    ("Telit", "Telit", "ME910C1", "2018-06", 1.5, _M),
    ("Sierra Wireless", "Sierra Wireless", "HL7802", "2019-03", 1.5, _M),
    ("Sierra Wireless", "Sierra Wireless", "RC7620", "2018-03", 1, _M),
    ("u-blox", "u-blox", "SARA-R410M", "2018-01", 1.5, _M),
    ("Thales", "Thales", "Cinterion EXS62", "2019-06", 1, _M),
)

#: The models sold through a vendor's first TAC only stay out of the catalog with this many
#: extra (unlisted) TACs: a new TAC of a known model that the catalog has not caught up with.
_EXTRA_UNLISTED = {"Samsung": "Galaxy A12", "Motorola": "moto g30"}
_TAC_SEED = 3_000_000  # fixed: the catalog is the same for every run


@dataclass(frozen=True)
class DeviceWorld:
    """Models (one row each) and TACs (one row each) as numpy arrays, plus the catalog table."""

    model_vendor: np.ndarray  # int16 index into VENDORS
    model_name: tuple[str, ...]
    model_brand: tuple[str, ...]
    model_release: np.ndarray  # int32 month number (year * 12 + month - 1)
    model_weight: np.ndarray  # float64
    model_type: tuple[str, ...]
    tac: np.ndarray  # int64, the 8-digit TAC
    tac_model: np.ndarray  # int32 index into models
    tac_listed: np.ndarray  # bool: written to tac.csv
    model_tac_start: np.ndarray  # int32: first TAC row of each model (TACs grouped by model)
    model_tac_count: np.ndarray  # int32

    @property
    def tac_vendor_seen(self) -> np.ndarray:
        """The vendor the base must report for each TAC: its vendor, or Unlisted when unlisted."""
        v = self.model_vendor[self.tac_model].astype(np.int16)
        return np.where(self.tac_listed, v, UNLISTED).astype(np.int16)

    def catalog_table(self) -> pa.Table:
        """Our own CSV layout: tac, manufacturer, brand, model, marketing_name, device_type, os,
        release_year; listed TACs only, sorted by TAC."""
        rows = np.flatnonzero(self.tac_listed)
        rows = rows[np.argsort(self.tac[rows], kind="stable")]
        m = self.tac_model[rows]
        vend = [VENDORS[self.model_vendor[i]] for i in m]
        maker = [_MAKER[v][0] for v in vend]
        os_ = [_MAKER[v][1] for v in vend]
        brand = [self.model_brand[i] for i in m]
        model = [self.model_name[i] for i in m]
        marketing = [
            mo if mo.startswith(b) else f"{b} {mo}" for b, mo in zip(brand, model, strict=True)
        ]
        return pa.table(
            {
                "tac": pa.array([f"{t:08d}" for t in self.tac[rows]]),
                "manufacturer": pa.array(maker),
                "brand": pa.array(brand),
                "model": pa.array(model),
                "marketing_name": pa.array(marketing),
                "device_type": pa.array([self.model_type[i] for i in m]),
                "os": pa.array(os_, type=pa.string()),
                "release_year": pa.array(
                    [int(self.model_release[i] // 12) for i in m], type=pa.int32()
                ),
            }
        )


def month_number(d: dt.date) -> int:
    """Months since year 0: ``year * 12 + month - 1``.

    >>> month_number(dt.date(2022, 2, 3)) - month_number(dt.date(2021, 12, 31))
    2
    """
    return d.year * 12 + d.month - 1


@cache
def device_world() -> DeviceWorld:
    """Build the (fixed) device world once."""
    rng = np.random.default_rng(_TAC_SEED)
    n = len(_MODELS)
    vendor = np.array([VENDORS.index(m[0]) for m in _MODELS], dtype=np.int16)
    brand = tuple(m[1] for m in _MODELS)
    name = tuple(m[2] for m in _MODELS)
    release = np.array([int(m[3][:4]) * 12 + int(m[3][5:7]) - 1 for m in _MODELS], dtype=np.int32)
    weight = np.array([m[4] for m in _MODELS], dtype=np.float64)
    dtype = tuple(m[5] for m in _MODELS)
    # popular models get more TACs (several factories / regional variants), 1..4 each
    counts = np.clip(np.round(weight / 1.5), 1, 4).astype(np.int32)
    extra = np.array(
        [_EXTRA_UNLISTED.get(_MODELS[i][0]) == _MODELS[i][2] for i in range(n)], dtype=bool
    )
    counts = counts + extra
    total = int(counts.sum())
    prefix = np.array([_MAKER[VENDORS[vendor[i]]][2] for i in range(n)], dtype=np.int64)
    tac_model = np.repeat(np.arange(n, dtype=np.int32), counts)
    suffix = rng.choice(1_000_000, size=total, replace=False).astype(np.int64)
    tac = prefix[tac_model] * 1_000_000 + suffix
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    listed = np.ones(total, dtype=bool)
    listed[vendor[tac_model] == UNLISTED] = False
    for i in np.flatnonzero(extra):  # the last TAC of such a model is not in the catalog yet
        listed[start[i] + counts[i] - 1] = False
    return DeviceWorld(
        model_vendor=vendor,
        model_name=name,
        model_brand=brand,
        model_release=release,
        model_weight=weight,
        model_type=dtype,
        tac=tac,
        tac_model=tac_model,
        tac_listed=listed,
        model_tac_start=start,
        model_tac_count=counts,
    )
