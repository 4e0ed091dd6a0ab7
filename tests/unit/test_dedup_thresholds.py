"""The threshold rule of ``train-dedup``: the middle of the plateau tied with the best, not its argmax."""

from __future__ import annotations

from services.deduplicator.training import NO_MERGE, pick_thresholds

# held-out units differ a lot (two kinds of stream); what matters is the paired differences
BASE = (0.80, 0.93, 0.82, 0.95, 0.78, 0.91)
ALT = (1, -1, 1, -1, 1, -1)  # mean 0: a spread of differences without a shift


def _row(offset: float, spread: float = 0.01) -> list[float]:
    """The units' scores shifted by ``offset``, the differences to BASE spread by ``spread``
    (one standard error of them is about 0.45 * spread)."""
    return [b + offset + spread * a for b, a in zip(BASE, ALT, strict=True)]


def _grid(
    off: dict[float, list[float]], on: dict[float, list[float]] | None = None
) -> dict[tuple[float, float], list[float]]:
    scores = {(j, NO_MERGE): v for j, v in off.items()}
    scores.update({(j, 0.9): v for j, v in (on or {}).items()})
    return scores


def test_a_flat_grid_gives_the_middle_of_the_plateau_not_its_argmax() -> None:
    off = {
        0.4: _row(-0.002),
        0.5: _row(-0.003),
        0.6: _row(-0.001),
        0.7: _row(-0.001),
        0.8: list(BASE),
        0.9: _row(-0.004),
    }
    join, merge, info = pick_thresholds(_grid(off))
    assert info["inner_best"] == f"0.8/{NO_MERGE}"
    assert len(info["inner_tied"]) == 6 and info["inner_units"] == 6
    assert (join, merge) == (0.6, NO_MERGE)  # tied run 0.4-0.9: the lower of its two middles


def test_a_clear_optimum_is_kept() -> None:
    off = {j: _row(-d) for j, d in {0.4: 0.08, 0.5: 0.05, 0.6: 0.02, 0.8: 0.03, 0.9: 0.07}.items()}
    off[0.7] = list(BASE)
    join, merge, info = pick_thresholds(_grid(off))
    assert (join, merge) == (0.7, NO_MERGE)
    assert info["inner_tied"] == [f"0.7/{NO_MERGE}"]


def test_the_plateau_is_the_unbroken_run_around_the_best() -> None:
    off = {0.4: _row(-0.001), 0.5: _row(-0.06), 0.6: _row(-0.001), 0.7: list(BASE), 0.8: _row(-0.002)}
    off[0.9] = _row(-0.05)
    join, _, info = pick_thresholds(_grid(off))
    assert f"0.4/{NO_MERGE}" in info["inner_tied"]  # tied, but cut off from the best by 0.5
    assert f"0.5/{NO_MERGE}" not in info["inner_tied"]
    assert join == 0.7  # run 0.6-0.8


def test_merges_only_when_no_merge_free_point_is_tied_with_them() -> None:
    off = {j: _row(-0.02 * abs(j - 0.6), 0.0) for j in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)}
    slightly = {j: _row(0.001 - 0.02 * abs(j - 0.6)) for j in off}
    join, merge, info = pick_thresholds(_grid(off, slightly))
    assert info["inner_best"] == "0.6/0.9"
    assert (join, merge) == (0.6, NO_MERGE)
    clearly = {j: _row(0.03 - 0.02 * abs(j - 0.6), 0.0) for j in off}
    join, merge, _ = pick_thresholds(_grid(off, clearly))
    assert (join, merge) == (0.6, 0.9)
