"""Leaderboard files: valid ones load, malformed ones are rejected naming the file and the field;
statistics, summary, merge, table, plots and the schema document."""

import json
import os
import re
from pathlib import Path

import matplotlib.image
import pytest

from toolenv import leaderboard as lb
from toolenv.plots import family, log_axis, plot_all, plot_task, styles

ROOT = Path(__file__).parent.parent


def make_entry(wins: dict[int, int], episodes=8, name="m", seed=0, trained=(1, 5), task="addition",
               date="2026-01-01T00:00:00+00:00"):
    results = []
    for length, k in sorted(wins.items()):
        lo, hi = lb.wilson_interval(k, episodes)
        results.append(lb.LengthResult(
            length=length, episodes=episodes, exact_accuracy=k / episodes, ci_low=lo, ci_high=hi, token_accuracy=0.9,
            mean_trajectory_tokens=100.0, mean_agent_tokens=60.0, tool_calls=30.0, truncated=0, invalid=0,
            seconds=1.0, tokens_per_s=800.0))
    training = lb.TrainingInfo(lengths=list(trained), steps=10, batch_size=4, seed=seed) if trained else None
    return lb.LeaderboardEntry(
        task=task, regime="interactive", tool="pointer(3)", agent=lb.AgentInfo(name=name, backbone="lstm", params=1234),
        training=training, evaluation=lb.EvalSettings(episodes=episodes, seed=0), results=results,
        summary=lb.summarize(results, trained[-1] if trained else None), command="pytest",
        environment=lb.Environment(toolenv="0.1.0", python="3.12"), date=date)


def test_wilson_interval_known_values():
    assert lb.wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert lb.wilson_interval(0, 50) == pytest.approx((0.0, 0.0714), abs=1e-4)
    assert lb.wilson_interval(50, 50) == pytest.approx((0.9287, 1.0), abs=1e-4)
    assert lb.wilson_interval(1, 2) == pytest.approx((0.0945, 0.9055), abs=1e-4)
    assert lb.wilson_interval(0, 50)[0] == 0.0 and lb.wilson_interval(50, 50)[1] == 1.0  # exact ends
    with pytest.raises(ValueError):
        lb.wilson_interval(0, 0)


def test_summary_is_the_papers_n_to_m():
    entry = make_entry({5: 8, 10: 4, 20: 1, 50: 0})  # 100%, 50%, 12.5%, 0%
    assert entry.summary.paper_style == "5→20 (12%)" and entry.summary.longest_5pct == 20
    assert entry.summary.accuracy_at_longest_5pct == 0.125 and entry.summary.max_length_99 == 5
    assert "5%" in entry.summary.rule and "99%" in entry.summary.rule
    assert make_entry({5: 0}).summary.paper_style.startswith("5→none")
    assert make_entry({5: 8}, trained=None).summary.paper_style == "?→5 (100%)"


def test_files_of_one_entry_or_a_list_round_trip(tmp_path):
    a, b = make_entry({5: 8}), make_entry({5: 3, 10: 1}, name="n")
    lb.save(tmp_path / "one.json", a)
    lb.save(tmp_path / "two.json", [a, b])
    assert isinstance(json.loads((tmp_path / "one.json").read_text()), dict)
    assert lb.load(tmp_path / "one.json") == [a] and lb.load(tmp_path / "two.json") == [a, b]
    assert sorted(os.listdir(tmp_path)) == ["one.json", "two.json"]  # no temporary files left
    assert (tmp_path / "one.json").stat().st_mode & 0o777 == 0o644
    lb.upsert(tmp_path / "two.json", make_entry({5: 1}, name="n"))  # same key: replaced
    assert [e.results[0].exact_accuracy for e in lb.load(tmp_path / "two.json")] == [1.0, 0.125]


@pytest.mark.parametrize("edit,field", [
    (lambda d: d.pop("task"), "task"),
    (lambda d: d["results"][0].update(exact_accuracy=1.5), "results.0.exact_accuracy"),
    (lambda d: d["agent"].update(params=-1), "agent.params"),
    (lambda d: d.update(surprise=1), "surprise"),
    (lambda d: d["results"][0].update(ci_low=0.1), "results.0"),  # not the Wilson interval
    (lambda d: d["results"][0].update(exact_accuracy=0.3, ci_low=0.0, ci_high=0.9), "results.0"),  # not k/8
    (lambda d: d["results"].append(dict(d["results"][0])), "(top level)"),  # a length twice
    (lambda d: d["summary"].update(paper_style="5→1000 (100%)"), "(top level)"),  # does not follow
    (lambda d: d["training"].update(lengths="five"), "training.lengths"),
    (lambda d: d["results"][0].update(solved=[0, 1]), "results.0"),  # 8 answered, 2 listed
    (lambda d: d["results"][1].update(solved=[5, 4, 3, 2, 1, 0]), "results.1"),  # not ascending
    (lambda d: d["results"][0].update(solved=[0, 1, 2, 3, 4, 5, 6, 8]), "results.0"),  # no problem 8 of 8
])
def test_malformed_files_are_rejected_naming_the_file_and_field(tmp_path, edit, field):
    data = json.loads(make_entry({5: 8, 10: 6}).model_dump_json())
    edit(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([data]))
    with pytest.raises(lb.LeaderboardError) as e:
        lb.load(bad)
    assert str(bad) in str(e.value) and f"field '{field}" in str(e.value) and "[entry 0]" in str(e.value)


def test_unreadable_files_are_rejected(tmp_path):
    data = json.loads(make_entry({5: 8}).model_dump_json())
    cases = {"v.json": json.dumps(data | {"schema_version": "9.9"}), "j.json": "{", "n.json": "[1]"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(lb.LeaderboardError, match="schema_version.*9.9"):
        lb.load(tmp_path / "v.json")
    with pytest.raises(lb.LeaderboardError, match="j.json: not valid JSON"):
        lb.load(tmp_path / "j.json")
    with pytest.raises(lb.LeaderboardError, match=r"n.json \[entry 0\]"):
        lb.load(tmp_path / "n.json")
    with pytest.raises(lb.LeaderboardError, match="no such file"):
        lb.load(tmp_path / "missing.json")


def test_merge_keeps_the_newest_entry_per_key_and_skips_partial_files(tmp_path):
    old, new = make_entry({5: 2}, date="2026-01-01T00:00:00+00:00"), make_entry({5: 8}, date="2026-02-01T00:00:00+00:00")
    other = make_entry({5: 4}, name="a-model", seed=1)
    lb.save(tmp_path / "x.json", [new, other])
    lb.save(tmp_path / "y.json", old)
    lb.save(tmp_path / f"x.json{lb.PARTIAL_MARK}m-interactive.json", make_entry({5: 0}, date="2027-01-01T00:00:00+00:00"))
    merged = lb.merge(tmp_path)
    assert merged == [other, new]
    (tmp_path / "z.json").write_text("{}")
    with pytest.raises(lb.LeaderboardError, match="z.json"):
        lb.merge(tmp_path)
    with pytest.raises(lb.LeaderboardError, match="no such directory"):
        lb.merge(tmp_path / "nope")


def test_markdown_table_has_a_row_per_entry_and_a_column_per_length():
    md = lb.markdown_table([make_entry({5: 8, 10: 5}), make_entry({5: 8, 20: 0}, name="n"),
                            make_entry({3: 8}, task="sorting")])
    assert "### addition" in md and "### sorting" in md
    head = next(line for line in md.splitlines() if line.startswith("| agent"))
    assert re.findall(r"\| (5|10|20) ", head) == ["5", "10", "20"]
    assert "| m | interactive | 1,234 | 0 | 5 | 100% | 62.5% |  | 5→10 (62%) | 5 |" in md
    assert "| n | interactive | 1,234 | 0 | 5 | 100% |  | 0% | 5→5 (100%) | 5 |" in md


def test_plots_one_png_per_task(tmp_path):
    entries = [make_entry({5: 8, 10: 5, 100: 1}), make_entry({5: 8, 20: 0}, name="n"), make_entry({3: 8}, task="sorting")]
    paths = plot_all(entries, tmp_path)
    assert sorted(p.name for p in paths) == ["addition.png", "sorting.png"]
    image = matplotlib.image.imread(paths[0])
    assert image.ndim == 3 and image.shape[0] > 200 and image.std() > 0.05
    with pytest.raises(ValueError, match="no entries"):
        plot_task([], tmp_path / "empty.png")


def test_plot_styles_tell_overlapping_lines_apart():
    """Seeds of one model share colour and marker and differ in line style and fill; every
    marker is smaller than the one drawn before it (lines at 100% stay visible)."""
    entries = [make_entry({5: 8}, name=n, seed=k) for n, k in (("mamba-tiny-s0", 0), ("mamba-tiny-s1", 1), ("gru-small-s0", 0))]
    s = styles(entries)
    assert s[0]["color"] == s[1]["color"] and s[0]["marker"] == s[1]["marker"] != s[2]["marker"]
    assert s[0]["color"] != s[2]["color"]
    assert s[0]["linestyle"] != s[1]["linestyle"] and s[0]["mfc"] is None and s[1]["mfc"] == "none"
    assert s[0]["ms"] > s[1]["ms"] > s[2]["ms"]
    assert family(entries[1]) == "mamba-tiny (interactive)"


def test_length_axis_is_logarithmic_only_for_wide_ranges():
    assert log_axis([1, 5, 10, 1000]) and log_axis([5, 10000])
    assert not log_axis([1, 6, 8, 12]) and not log_axis([10, 200])


def test_schema_document_is_current():
    doc = (ROOT / "docs" / "leaderboard.md").read_text()
    block = re.search(r"<!-- schema -->\s*```json\n(.*?)```", doc, re.DOTALL)
    assert block, "docs/leaderboard.md lost its schema block"
    assert json.loads(block.group(1)) == lb.LeaderboardEntry.model_json_schema(), (
        "docs/leaderboard.md's schema is stale: paste the output of `toolenv leaderboard --schema`")


def test_committed_leaderboards_validate():
    """Every committed entry, the paper's runs and the superseded ones included, loads under the schema."""
    paths = list((ROOT / "leaderboards").rglob("*.json"))
    assert len(paths) > 50, "the committed leaderboards went missing"
    for path in paths:
        assert lb.load(path), path


def test_environment_names_the_commit_given_where_git_cannot(monkeypatch):
    from toolenv.leaderboard import environment

    monkeypatch.setenv("TOOLENV_GIT_COMMIT", "0123abcd")
    assert environment().git_commit == "0123abcd"
    monkeypatch.delenv("TOOLENV_GIT_COMMIT")
    assert environment().git_commit != "0123abcd"
