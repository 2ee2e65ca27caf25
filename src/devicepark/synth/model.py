"""The synthetic operator's behaviour, as numbers: groups of lines, churn, handset renewal, loyalty
and the vendor mixes of new and installed handsets (the knobs calibrated to Orange's 4.74 %).

Every figure here is invented but plausible for a French operator in 2020-2022.
"""

from __future__ import annotations

import numpy as np

from devicepark.synth.catalog import MODULE_VENDORS, VENDORS, DeviceWorld

# -- groups of lines (a customer's lines all belong to one group) -----------------------------

GROUPS: tuple[str, ...] = (
    "orange_consumer",
    "orange_prepaid",
    "orange_business",
    "orange_m2m",
    "sosh",
)
GROUP_BRAND = ("Orange", "Orange", "Orange", "Orange", "Sosh")
GROUP_SEGMENT = ("consumer", "consumer", "business", "m2m", "consumer")
GROUP_PLAN = ("postpaid", "prepaid", "postpaid", "postpaid", "postpaid")
M2M_GROUP = 3
#: share of the lines active at the start (Orange ~80 %, Sosh ~20 %; M2M a few %)
GROUP_STOCK = np.array([0.53, 0.11, 0.12, 0.04, 0.20])
#: yearly churn hazard (a line's remaining life is exponential)
GROUP_CHURN = np.array([0.09, 0.30, 0.07, 0.05, 0.18])
#: share of lines never seen on the network (a SIM in a drawer)
GROUP_DORMANT = np.array([0.008, 0.05, 0.008, 0.01, 0.008])
#: handset holding-time scale relative to the 32-month mean
GROUP_HOLDING = np.array([1.0, 1.15, 0.85, 6.0, 1.0])
#: lines per customer: P(1), P(2), P(3)
GROUP_CUSTOMER_SIZE = np.array(
    [
        [0.72, 0.20, 0.08],
        [0.95, 0.05, 0.0],
        [0.40, 0.30, 0.30],
        [0.30, 0.30, 0.40],
        [0.75, 0.18, 0.07],
    ]
)

MEAN_HOLDING_DAYS = 32 * 30.4375  # a new handset about every 32 months (gamma, shape 2)
NEW_LINE_BUYS_HANDSET = 0.55  # else the customer brings a handset bought earlier

REGIONS: tuple[str, ...] = (
    "Île-de-France",
    "Auvergne-Rhône-Alpes",
    "Hauts-de-France",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Grand Est",
    "Provence-Alpes-Côte d'Azur",
    "Pays de la Loire",
    "Normandie",
    "Bretagne",
    "Bourgogne-Franche-Comté",
    "Centre-Val de Loire",
    "Corse",
)
REGION_WEIGHT = np.array([18.5, 12.0, 9.0, 9.0, 9.0, 8.2, 7.5, 5.7, 5.0, 5.0, 4.2, 3.8, 0.5])

# -- vendor mixes -------------------------------------------------------------------------------

#: new-handset shares (open market, consumer) at anchor months; linear in between, flat outside
MIX_ANCHORS = ("2019-07", "2020-07", "2021-07", "2022-06")
NEW_MIX = {
    "Apple": (29, 30, 31, 32),
    "Samsung": (29, 28, 26.5, 25.5),
    "Xiaomi": (4.3, 6.4, 8.9, 9.8),
    "Huawei": (10, 4.5, 1.5, 1),
    "Honor": (2.5, 1.2, 1, 2),
    "OPPO": (2, 3, 4, 4),
    "realme": (0.5, 1.5, 2.5, 3),
    "OnePlus": (1, 1.5, 1.5, 1.5),
    "vivo": (0, 0.5, 1.5, 2),
    "Google": (1, 1.5, 2, 2.5),
    "Motorola": (2, 2.5, 3, 3),
    "Nokia": (2.5, 2, 1.5, 1.5),
    "Sony": (2, 1.5, 1, 1),
    "LG": (2, 1, 0, 0),
    "Wiko": (4, 3.5, 3, 2.5),
    "Crosscall": (1, 1, 1, 1),
    "Fairphone": (0.3, 0.5, 0.6, 0.6),
    "Doro": (1.2, 1.1, 1, 1),
    "Unlisted": (1, 1, 1, 1),
}
#: handsets in use at the start of the data (consumer)
INSTALLED_MIX = {
    "Apple": 27,
    "Samsung": 31,
    "Xiaomi": 2.1,
    "Huawei": 12,
    "Honor": 3,
    "OPPO": 1,
    "realme": 0.2,
    "OnePlus": 1,
    "vivo": 0,
    "Google": 0.6,
    "Motorola": 2,
    "Nokia": 2.5,
    "Sony": 3,
    "LG": 3,
    "Wiko": 5,
    "Crosscall": 0.8,
    "Fairphone": 0.2,
    "Doro": 1.5,
    "Unlisted": 1.5,
}
MODULE_MIX = {"Quectel": 40, "Telit": 25, "Sierra Wireless": 15, "u-blox": 10, "Thales": 10}
#: multiplicative tilts of the mixes per group
TILTS: dict[int, dict[str, float]] = {
    1: {
        "Apple": 0.5,
        "Xiaomi": 1.5,
        "Wiko": 2.0,
        "Doro": 2.5,
        "Nokia": 2.0,
        "Huawei": 1.2,
        "realme": 1.5,
        "Unlisted": 2.0,
    },
    2: {
        "Apple": 1.7,
        "Samsung": 1.2,
        "Xiaomi": 0.35,
        "Crosscall": 4.0,
        "Wiko": 0.5,
        "Huawei": 0.7,
        "realme": 0.3,
        "Doro": 0.2,
    },
    4: {
        "Xiaomi": 1.45,
        "Apple": 0.95,
        "Samsung": 0.95,
        "OnePlus": 1.6,
        "realme": 1.6,
        "Google": 1.6,
        "Fairphone": 2.0,
        "Doro": 0.3,
    },
}
#: probability that a handset change stays with the previous vendor
LOYALTY = {
    "Apple": 0.82,
    "Samsung": 0.55,
    "Xiaomi": 0.45,
    "Huawei": 0.15,
    "Honor": 0.25,
    "LG": 0.0,
    "Doro": 0.4,
    "Unlisted": 0.1,
}
DEFAULT_LOYALTY = 0.3


def loyalty_vector() -> np.ndarray:
    """Per vendor; modules always stay with their vendor."""
    out = np.array([LOYALTY.get(v, DEFAULT_LOYALTY) for v in VENDORS])
    out[[VENDORS.index(v) for v in MODULE_VENDORS]] = 1.0
    return out


def _anchor_months() -> np.ndarray:
    return np.array([int(a[:4]) * 12 + int(a[5:7]) - 1 for a in MIX_ANCHORS], dtype=np.float64)


def _model_sales_profile(age: np.ndarray, module: np.ndarray) -> np.ndarray:
    """Relative sales of a model by months since release: ramp, plateau, decline, gone at 4y."""
    a = age.astype(np.float64)
    w = np.where(
        a < 0,
        0.0,
        np.where(
            a < 1,
            0.5,
            np.where(
                a < 12,
                1.0,
                np.where(
                    a < 30, 1.0 - 0.9 * (a - 12) / 18, np.where(a < 48, 0.1 * (48 - a) / 18, 0.0)
                ),
            ),
        ),
    )
    return np.where(module, (a >= 0).astype(np.float64), w)


def _model_installed_profile(age: np.ndarray, module: np.ndarray) -> np.ndarray:
    """Relative presence of a model in the installed base by months since release."""
    a = age.astype(np.float64)
    w = np.where(
        a < 0, 0.0, np.where(a < 12, (a + 1) / 12, np.where(a < 36, 1.0, np.exp(-(a - 36) / 18)))
    )
    return np.where(module, (a >= 0).astype(np.float64), w)


class Mixes:
    """Vendor and model distributions per month (relative to the start) and group.

    ``new[m, g, v]`` is the new-handset vendor mix, ``installed[g, v]`` the mix at the start;
    models are drawn within a vendor through a flat table of cumulative weights.
    """

    def __init__(self, world: DeviceWorld, first_month: int, n_months: int) -> None:
        self.world = world
        self.first_month = first_month
        self.n_months = n_months
        nv, ng = len(VENDORS), len(GROUPS)
        months = first_month + np.arange(n_months)
        module = np.array([t == "module/IoT" for t in world.model_type])
        # model weights per month (new) and at the start (installed)
        age = months[:, None] - world.model_release[None, :]
        self.model_new = world.model_weight[None, :] * _model_sales_profile(age, module[None, :])
        age0 = first_month - world.model_release
        self.model_installed = world.model_weight * _model_installed_profile(age0, module)
        # vendor availability: some model of the vendor is on sale
        weight = np.zeros((n_months, nv))
        np.add.at(weight.T, world.model_vendor, self.model_new.T)
        avail = weight > 0
        weight0 = np.zeros(nv)
        np.add.at(weight0, world.model_vendor, self.model_installed)
        avail0 = weight0 > 0
        anchors = _anchor_months()
        base_new = np.zeros((n_months, nv))
        base_inst = np.zeros(nv)
        for v, shares in NEW_MIX.items():
            base_new[:, VENDORS.index(v)] = np.interp(months, anchors, np.array(shares, float))
        for v, share in INSTALLED_MIX.items():
            base_inst[VENDORS.index(v)] = share
        module_row = np.zeros(nv)
        for v, share in MODULE_MIX.items():
            module_row[VENDORS.index(v)] = share
        new = np.zeros((n_months, ng, nv))
        inst = np.zeros((ng, nv))
        for g in range(ng):
            if g == M2M_GROUP:
                new[:, g, :] = module_row[None, :]
                inst[g, :] = module_row
                continue
            tilt = np.ones(nv)
            for v, f in TILTS.get(g, {}).items():
                tilt[VENDORS.index(v)] = f
            new[:, g, :] = base_new * tilt[None, :]
            inst[g, :] = base_inst * tilt
        new = new * avail[:, None, :]
        inst = inst * avail0[None, :]
        self.new = new / new.sum(axis=2, keepdims=True)
        self.installed = inst / inst.sum(axis=1, keepdims=True)
        # flat cumulative model tables: key = month_index * nv + vendor (month -1 = installed)
        self._flat_new = self._flat(self.model_new)
        self._flat_inst = self._flat(self.model_installed[None, :])

    def _flat(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nv = len(VENDORS)
        keys, cdf, model = [], [], []
        order = np.argsort(self.world.model_vendor, kind="stable")
        vend = self.world.model_vendor[order]
        for m in range(weights.shape[0]):
            w = weights[m, order]
            for v in range(nv):
                sel = vend == v
                if not sel.any():
                    continue
                ww = w[sel]
                tot = ww.sum()
                c = np.cumsum(ww) / tot if tot > 0 else np.linspace(1 / sel.sum(), 1, sel.sum())
                c[-1] = 1.0
                keys.append(np.full(sel.sum(), m * nv + v, dtype=np.float64))
                cdf.append(c)
                model.append(order[sel])
        return np.concatenate(keys) + np.concatenate(cdf), np.concatenate(model).astype(np.int32)

    def draw_models(
        self, month: np.ndarray | None, vendor: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """Model index for each (month index or None for installed, vendor, uniform draw)."""
        nv = len(VENDORS)
        flat, models = self._flat_new if month is not None else self._flat_inst
        key = (month.astype(np.float64) * nv if month is not None else 0.0) + vendor + u
        pos = np.searchsorted(flat, key, side="right")
        return models[np.minimum(pos, len(models) - 1)]

