"""Rankings of townships, counties or responsible units by an explicit composite score, the
circular (通报) and listed-supervision (挂牌督办) candidates, and how robust each candidate is to the
weights. The scheme is plain data, kept in the settings table so the office keeps its own."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from queries.execute import fetch_frame
from queries.figures import GROUPINGS, case_figures
from queries.filters import Filters
from queries import defaults
from queries.rates import key_clear_definition, pct

SCHEME_KEY = "ranking_scheme"
LEVELS = ("township", "county", "unit")

# Rate indicators: the score is the rate itself, or 100 minus it where lower is better.
RATE_INDICATORS = {
    "timely_accept": ("及时受理率", True),
    "ontime_close": ("按期办结率", True),
    "participation": ("参评率", True),
    "satisfaction": ("满意率", True),
    "repeat": ("重复信访率", False),
    "key_clear": ("积案化解率", True),
}
# Deductions: points per case (进京), or per 10,000 residents (per 1,000 cases where the
# population is unknown) for the others.
DEDUCTIONS = {
    "to_beijing": ("进京访", "每件"),
    "to_province": ("到省访", "每万人（无人口数时每千件）"),
    "to_city": ("到市访", "每万人（无人口数时每千件）"),
    "collective": ("集体访", "每万人（无人口数时每千件）"),
}


@dataclass
class RankingScheme:
    """Weights of the rate indicators (their weighted mean is the base score, 0-100), points
    deducted per unit of each count, and the candidate rules."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "timely_accept": 15.0, "ontime_close": 25.0, "participation": 10.0, "satisfaction": 30.0,
        "repeat": 10.0, "key_clear": 10.0})
    deductions: dict[str, float] = field(default_factory=lambda: {
        "to_beijing": 5.0, "to_province": 2.0, "to_city": 0.5, "collective": 1.0})
    bottom_share: float = 0.10   # the bottom 10% ...
    bottom_min: int = 5          # ... and at least the bottom 5 are 通报 candidates
    min_cases: int = 15          # fewer cases than this: shown, not ranked

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> "RankingScheme":
        scheme = cls()
        if not text:
            return scheme
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return scheme
        scheme.weights.update({k: float(v) for k, v in data.get("weights", {}).items()
                               if k in RATE_INDICATORS})
        scheme.deductions.update({k: float(v) for k, v in data.get("deductions", {}).items()
                                  if k in DEDUCTIONS})
        for name in ("bottom_share", "bottom_min", "min_cases"):
            if name in data:
                setattr(scheme, name, type(getattr(scheme, name))(data[name]))
        return scheme

    def describe(self) -> str:
        """The method in one Chinese paragraph."""
        total = sum(self.weights.values()) or 1.0
        parts = "、".join(f"{RATE_INDICATORS[k][0]}{100 * w / total:.0f}%"
                         for k, w in self.weights.items() if w)
        cuts = "；".join(f"{DEDUCTIONS[k][0]}{DEDUCTIONS[k][1]}扣 {v:g} 分"
                        for k, v in self.deductions.items() if v)
        return (f"综合得分 = 各项比率的加权平均（{parts}；重复信访率按 100 减去该率计分，"
                f"某项无可计算件数时按全辖区合计的比率计）减去扣分（{cuts}）。信访件少于 "
                f"{self.min_cases} 件的单位不参与排名。排名后 {self.bottom_share:.0%}（至少 "
                f"{self.bottom_min} 个）或发生进京访的列为通报候选；连续两期排名靠后的列为挂牌督办候选。")


def read_scheme(engine: Engine) -> RankingScheme:
    """The office's saved scheme, or the defaults."""
    frame = fetch_frame(engine, "SELECT value FROM settings WHERE key = :key", {"key": SCHEME_KEY})
    return RankingScheme.from_json(frame["value"].iloc[0] if len(frame) else None)


def key_case_clearing(engine: Engine, filters: Filters, level: str) -> pd.DataFrame:
    """<level column>, key_listed_count, key_cleared_count: key cases on the list during the period
    and those crossed off in it."""
    column, expression = GROUPINGS[level]
    place, params = filters.place_where("c")
    params.update(f_start=filters.start, f_end=filters.end)
    rate = key_clear_definition()
    sql = f"""
SELECT {expression} AS {column}, COUNT(*) AS key_listed_count,
       SUM(CASE WHEN {rate.numerator} THEN 1 ELSE 0 END) AS key_cleared_count
FROM key_cases k JOIN cases c ON c.case_no = k.case_no
WHERE {rate.denominator} AND {place}
GROUP BY {expression}"""
    frame = fetch_frame(engine, sql, params)
    frame[["key_listed_count", "key_cleared_count"]] = frame[
        ["key_listed_count", "key_cleared_count"]].fillna(0).astype("int64")
    return frame


def _entities(engine: Engine, level: str) -> pd.DataFrame:
    if level == "unit":
        return fetch_frame(engine, """
SELECT u.id AS entity, u.name AS entity_name,
       CASE WHEN r.level = 'township' THEN r.parent_code WHEN r.level = 'county' THEN r.code END
         AS county_code, NULL AS population
FROM units u JOIN regions r ON r.code = u.region_code""")
    frame = fetch_frame(engine, "SELECT code AS entity, name AS entity_name, parent_code AS "
                                "county_code, population FROM regions WHERE level = :level",
                        {"level": level})
    if level == "county":
        frame["county_code"] = frame["entity"]
    return frame


def ranking_indicators(engine: Engine, filters: Filters, level: str = "township") -> pd.DataFrame:
    """entity, entity_name, county_code, population, case_count, every rate's _num/_den/_pct,
    key_clear_*, and the counts behind the deductions: one row per township, county or unit."""
    if level not in LEVELS:
        raise ValueError(f"unknown level: {level}")
    column = GROUPINGS[level][0]
    figures = case_figures(engine, filters, by=level).rename(columns={column: "entity"})
    keys = key_case_clearing(engine, filters, level).rename(columns={column: "entity"})
    entities = _entities(engine, level)
    if level == "unit":
        figures["entity"] = figures["entity"].astype("Int64")
        keys["entity"] = keys["entity"].astype("Int64")
        entities["entity"] = entities["entity"].astype("Int64")
    frame = entities.merge(figures, on="entity", how="left").merge(keys, on="entity", how="left")
    counts = [c for c in frame.columns if c.endswith(("_count", "_num", "_den"))]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["key_clear_num"] = frame["key_cleared_count"]
    frame["key_clear_den"] = frame["key_listed_count"]
    frame["key_clear_pct"] = pd.Series([pct(n, d) for n, d in zip(frame["key_clear_num"],
                                                                  frame["key_clear_den"])],
                                       index=frame.index, dtype=float)
    return frame[frame["case_count"] > 0].reset_index(drop=True)


def _deduction_base(frame: pd.DataFrame) -> pd.Series:
    """Per 10,000 residents where the population is known, else per 1,000 cases."""
    population = pd.to_numeric(frame["population"], errors="coerce")
    by_people = 10_000.0 / population
    by_cases = 1_000.0 / frame["case_count"].clip(lower=1)
    return by_people.where(population > 0, by_cases)


def pooled_pct(frame: pd.DataFrame, key: str) -> float | None:
    """The jurisdiction's rate: every entity's numerator over every entity's denominator."""
    return pct(frame[f"{key}_num"].sum(), frame[f"{key}_den"].sum())


def indicator_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Each rate indicator as a 0-100 score (higher is better); an entity without a case to
    compute it on gets the jurisdiction's pooled rate (0 when nobody has one)."""
    scores = pd.DataFrame(index=frame.index)
    for key, (_label, higher_better) in RATE_INDICATORS.items():
        values = pd.to_numeric(frame[f"{key}_pct"], errors="coerce")
        pooled = pooled_pct(frame, key)
        values = values.fillna(pooled if pooled is not None else 0.0)
        scores[key] = values if higher_better else 100.0 - values
    return scores


def thin_indicators(frame: pd.DataFrame, scheme: RankingScheme,
                    least: int = defaults.SMALL_SAMPLE_CASES) -> pd.Series:
    """Per entity, the weighted indicators resting on fewer than `least` cases, as Chinese text
    ("积案化解率 0/2 件；满意率 无可计算件数"), or "" when every one rests on enough."""
    texts = []
    for _index, row in frame.iterrows():
        parts = []
        for key, (label, _better) in RATE_INDICATORS.items():
            if not scheme.weights.get(key):
                continue
            num, den = int(row[f"{key}_num"]), int(row[f"{key}_den"])
            if den == 0:
                parts.append(f"{label}无可计算件数（按全辖区比率计）")
            elif den < least:
                parts.append(f"{label}仅 {num}/{den} 件")
        texts.append("；".join(parts))
    return pd.Series(texts, index=frame.index, dtype=object)


def deduction_units(frame: pd.DataFrame) -> pd.DataFrame:
    """The amount each deduction is charged on: 进京 cases, or normalised counts."""
    base = _deduction_base(frame)
    return pd.DataFrame({
        "to_beijing": frame["to_beijing_count"].astype(float),
        "to_province": frame["to_province_count"] * base,
        "to_city": frame["to_city_count"] * base,
        "collective": frame["collective_count"] * base,
    }, index=frame.index)


def composite_scores(scores: pd.DataFrame, units: pd.DataFrame, weights: np.ndarray,
                     deductions: np.ndarray) -> np.ndarray:
    """Scores for one scheme (1-D weights) or many (2-D: one scheme per row)."""
    w = np.atleast_2d(weights)
    d = np.atleast_2d(deductions)
    base = (scores.to_numpy() @ w.T) / w.sum(axis=1)
    return (base - units.to_numpy() @ d.T).T.squeeze()


def bottom_count(ranked: int, scheme: RankingScheme) -> int:
    return min(ranked, max(scheme.bottom_min, int(np.ceil(ranked * scheme.bottom_share))))


def rank_entities(frame: pd.DataFrame, scheme: RankingScheme) -> pd.DataFrame:
    """Adds score, rank (ties share the better rank), <indicator>_rank, ranked and in_bottom."""
    frame = frame.copy()
    scores = indicator_scores(frame)
    units = deduction_units(frame)
    weights = np.array([scheme.weights[k] for k in RATE_INDICATORS], dtype=float)
    cuts = np.array([scheme.deductions[k] for k in DEDUCTIONS], dtype=float)
    frame["score"] = np.round(np.atleast_1d(composite_scores(scores, units, weights, cuts)), 2)
    for key in DEDUCTIONS:
        frame[f"{key}_deduction"] = np.round(units[key] * scheme.deductions[key], 2)
    frame["ranked"] = frame["case_count"] >= scheme.min_cases
    ranked = frame["ranked"]
    frame["rank"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    frame.loc[ranked, "rank"] = frame.loc[ranked, "score"].rank(
        ascending=False, method="min").astype("Int64")
    for key, (_label, higher_better) in RATE_INDICATORS.items():
        values = pd.to_numeric(frame[f"{key}_pct"], errors="coerce")
        frame[f"{key}_rank"] = values.where(ranked).rank(
            ascending=not higher_better, method="min").astype("Int64")
    cutoff = bottom_count(int(ranked.sum()), scheme)
    worst = frame.loc[ranked, "rank"].max() if ranked.any() else 0
    frame["in_bottom"] = ranked & (frame["rank"] > (int(ranked.sum()) - cutoff)).fillna(False)
    frame.attrs["ranked_count"] = int(ranked.sum())
    frame.attrs["worst_rank"] = worst
    return frame.sort_values(["ranked", "rank", "score"], ascending=[False, True, False],
                             na_position="last").reset_index(drop=True)


def candidates(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Adds rank_change (positive: moved up), bulletin (通报), supervise (挂牌督办) and reason."""
    frame = current.copy()
    before = previous.set_index("entity") if previous is not None and len(previous) else None
    prev_rank = frame["entity"].map(before["rank"]) if before is not None else pd.Series(pd.NA, index=frame.index)
    prev_bottom = (frame["entity"].map(before["in_bottom"]).fillna(False).astype(bool)
                   if before is not None else pd.Series(False, index=frame.index))
    frame["previous_rank"] = pd.array(prev_rank, dtype="Int64")
    frame["rank_change"] = frame["previous_rank"] - frame["rank"]
    total = current.attrs.get("ranked_count", int(frame["ranked"].sum()))
    reasons, bulletin, supervise = [], [], []
    for row, was_bottom in zip(frame.itertuples(), prev_bottom):
        why = []
        if row.in_bottom:
            why.append(f"综合得分 {row.score:.2f}，列第 {row.rank} 名（共 {total} 个），处于排名末位区间")
        if row.to_beijing_count > 0:
            why.append(f"发生进京访 {row.to_beijing_count} 件 {row.to_beijing_person_count} 人次")
        twice = bool(row.in_bottom and was_bottom)
        if twice:
            why.append(f"连续两期处于末位区间（上期第 {row.previous_rank} 名）")
        bulletin.append(bool(why))
        supervise.append(twice)
        reasons.append("；".join(why))
    frame["bulletin"] = bulletin
    frame["supervise"] = supervise
    frame["reason"] = reasons
    return frame


def _resampled_scores(frame: pd.DataFrame, rng: np.random.Generator, draws: int) -> np.ndarray:
    """draws x entities x indicators: each entity's cases drawn again with replacement (for each
    rate, its denominator's cases: a binomial draw at the entity's own rate), missing indicators
    filled with the draw's pooled rate, lower-is-better ones turned round."""
    out = np.empty((draws, len(frame), len(RATE_INDICATORS)))
    for j, (key, (_label, higher_better)) in enumerate(RATE_INDICATORS.items()):
        num = frame[f"{key}_num"].to_numpy(dtype=float)
        den = frame[f"{key}_den"].to_numpy(dtype=np.int64)
        p = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        drawn = rng.binomial(np.broadcast_to(den, (draws, len(den))), p).astype(float)
        pooled = np.divide(100.0 * drawn.sum(axis=1), den.sum(),
                           out=np.zeros(draws), where=den.sum() > 0)
        rate = np.where(den > 0, 100.0 * drawn / np.maximum(den, 1), pooled[:, None])
        out[:, :, j] = rate if higher_better else 100.0 - rate
    return out


def _resampled_units(frame: pd.DataFrame, rng: np.random.Generator, draws: int) -> np.ndarray:
    """draws x entities x deductions: the counts behind the deductions drawn again with the cases
    (进京 stays as it happened: one is a fact, not a sample)."""
    base = _deduction_base(frame).to_numpy(dtype=float)
    cases = frame["case_count"].to_numpy(dtype=np.int64)
    out = np.empty((draws, len(frame), len(DEDUCTIONS)))
    for j, key in enumerate(DEDUCTIONS):
        count = frame[f"{key}_count"].to_numpy(dtype=float)
        if key == "to_beijing":
            out[:, :, j] = count
            continue
        p = np.clip(np.divide(count, cases, out=np.zeros_like(count), where=cases > 0), 0, 1)
        out[:, :, j] = rng.binomial(np.broadcast_to(cases, (draws, len(cases))), p) * base
    return out


def candidate_stability(frame: pd.DataFrame, scheme: RankingScheme, draws: int = 1000,
                        spread: float = 0.20, seed: int = 7) -> pd.Series:
    """For each ranked entity, the share of draws under which it is still a 通报 candidate. Each
    draw resamples every entity's cases (bootstrap: the noise of a small sample) and multiplies
    every weight and deduction by a uniform factor in 1 ± spread (the choice of weights)."""
    ranked = frame[frame["ranked"]]
    if ranked.empty:
        return pd.Series(dtype=float)
    rng = np.random.default_rng(seed)
    scores = _resampled_scores(ranked, rng, draws)
    units = _resampled_units(ranked, rng, draws)
    weights = np.array([scheme.weights[k] for k in RATE_INDICATORS], dtype=float)
    cuts = np.array([scheme.deductions[k] for k in DEDUCTIONS], dtype=float)
    w = weights * rng.uniform(1 - spread, 1 + spread, (draws, len(weights)))
    d = cuts * rng.uniform(1 - spread, 1 + spread, (draws, len(cuts)))
    base = np.einsum("dej,dj->de", scores, w) / w.sum(axis=1)[:, None]
    all_scores = base - np.einsum("dej,dj->de", units, d)  # draws x entities
    cutoff = bottom_count(len(ranked), scheme)
    # rank by score descending, ties to the better rank: count strictly better scores.
    better = (all_scores[:, None, :] > all_scores[:, :, None]).sum(axis=2)
    in_bottom = (better + 1) > (len(ranked) - cutoff)
    beijing = (ranked["to_beijing_count"] > 0).to_numpy()
    share = (in_bottom | beijing[None, :]).mean(axis=0)
    return pd.Series(share, index=ranked["entity"].to_numpy())


def township_ranking(engine: Engine, filters: Filters, previous: Filters,
                     scheme: RankingScheme | str | None = None, level: str = "township") -> pd.DataFrame:
    """Every township (or county, or unit) with its indicators, score, ranks, rank change against
    the previous period, candidate flags with reasons, stability (share of 1,000 draws, cases
    resampled and weights perturbed, under which a candidate stays one) and thin (indicators
    resting on few cases). The scheme may be given as its JSON text."""
    if isinstance(scheme, str):
        scheme = RankingScheme.from_json(scheme)
    scheme = scheme or read_scheme(engine)
    current = rank_entities(ranking_indicators(engine, filters, level), scheme)
    before = rank_entities(ranking_indicators(engine, previous, level), scheme)
    frame = candidates(current, before)
    stability = candidate_stability(current, scheme)
    frame["stability"] = frame["entity"].map(stability).where(frame["bulletin"])
    frame["thin"] = thin_indicators(frame, scheme)
    frame.attrs.update(current.attrs)
    return frame
