"""`make bench`'s comparison with MiniStack (bench/peer.py): the section BENCHMARKS.md gets has the
peer's column, the ratio and whether each of ours meets its target, from the samples of both."""

from bench import peer


def samples_where_ours_is(ours: float, peer_value: float) -> peer.Samples:
    samples = peer.Samples()
    for figure in peer.FIGURES:
        samples.add("ours", figure, [ours, ours])
        samples.add("peer", figure, [peer_value, peer_value])
    return samples


def rows_of(section: str) -> dict[str, list[str]]:
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows[1:]}


def test_every_shared_figure_gets_both_columns_the_ratio_and_whether_ours_met_its_target():
    section = peer.table(samples_where_ours_is(0.5, 2.0))

    rows = rows_of(section)
    assert "MiniStack p50 / p99" in section
    assert set(rows) == {what for what, *_ in peer.FIGURES.values()}
    for what, (_unit, ours, theirs, ratio, _target, met) in rows.items():
        assert (ours, theirs, ratio) == ("0.5 / 0.5", "2.0 / 2.0", "0.25x"), what
        assert met == "yes", what


def test_a_figure_behind_the_peer_or_its_target_is_marked_not_met():
    rows = rows_of(peer.table(samples_where_ours_is(200.0, 2.0)))

    assert {what: cells[-1] for what, cells in rows.items()} == dict.fromkeys(rows, "no")


def test_a_trivial_call_ahead_at_p50_but_behind_at_p99_is_not_met():
    samples = peer.Samples()
    samples.add("ours", "floor", [1.0] * 90 + [9.0] * 10)
    samples.add("peer", "floor", [2.0] * 90 + [3.0] * 10)

    rows = rows_of(peer.table(samples))

    assert rows[peer.FIGURES["floor"][0]][-1] == "no"


def test_a_figure_only_one_side_could_serve_is_said_to_be_not_measured():
    samples = samples_where_ours_is(1.0, 1.0)
    del samples.by_target["peer"]["warm_invoke"]

    rows = rows_of(peer.table(samples))

    assert rows[peer.FIGURES["warm_invoke"][0]][-1] == "not measured"


def test_the_peer_is_pinned_with_its_whole_lock():
    lines = [line for line in peer.REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert all("==" in line for line in lines)
    assert peer.peer_version() == "1.5.33"
