"""scripts/paper_runs.py: the recipe each run trains with is the one the leaderboard README states
(a task's per-backbone recipe overrides the task's steps and the backbone's learning rate)."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "paper_runs.py"
spec = importlib.util.spec_from_file_location("paper_runs", SCRIPT)
paper_runs = importlib.util.module_from_spec(spec)
sys.modules["paper_runs"] = paper_runs  # dataclasses look their module up by name
spec.loader.exec_module(paper_runs)


def config(task: str, backbone: str, **kwargs) -> dict:
    return paper_runs.Run(task, backbone, 0).train_config("cpu", Path("runs/x"), **kwargs)


def test_hanoi_transformers_train_at_their_own_recipe_and_the_others_at_the_tasks():
    tf, swa, gru = config("hanoi", "transformer"), config("hanoi", "swa-transformer"), config("hanoi", "gru")
    assert (tf["steps"], tf["batch_size"], tf["lr"], tf["warmup_steps"]) == (1600, 8, 3e-4, 100)
    assert (swa["steps"], swa["batch_size"], swa["lr"], swa["warmup_steps"]) == (1600, 8, 3e-4, 100)
    assert (gru["steps"], gru["batch_size"], gru["lr"], gru["warmup_steps"]) == (800, 8, 2e-3, 50)
    assert tf["overrides"] == {"rotary_pct": 1.0} and swa["overrides"] == {}
    assert gru["overrides"] == {"recurrence_precision": "autocast"}  # the precision its entries trained in
    # elsewhere the Transformer keeps its backbone's rate, config and the task's steps
    add = config("addition", "transformer")
    assert (add["steps"], add["lr"], add["warmup_steps"], add["overrides"]) == (1000, 1e-3, 50, {})


def test_a_recipes_overrides_build_the_model_they_name():
    from agents.builder import build_backbone

    tf = config("hanoi", "transformer")
    model = build_backbone(tf["backbone"], size=tf["size"], overrides=tf["overrides"])
    assert model.config.rotary_pct == 1.0 and model.config.d_model == 256  # `small`, whole-head RoPE


def test_code_tracing_trains_twice_the_steps_of_the_first_format():
    assert config("code_tracing", "gru")["steps"] == 2000
    assert config("sorting", "gru")["steps"] == 1000


def test_recipe_overrides_keep_the_kernel_switch():
    assert config("code_tracing", "mamba", kernels=True)["overrides"] == {"use_kernels": True}
    assert config("code_tracing", "mamba")["overrides"] == {"use_kernels": False}


def test_smoke_steps_override_every_recipe_and_keep_the_warmup_within_them():
    tf = config("hanoi", "transformer", steps=4)
    assert (tf["steps"], tf["warmup_steps"]) == (4, 2)


@pytest.mark.parametrize("task", sorted(paper_runs.TASKS))
def test_every_recipe_names_known_backbones_and_fields(task):
    for backbone, recipe in paper_runs.TASKS[task].get("recipes", {}).items():
        assert backbone in paper_runs.RECIPES
        assert set(recipe) <= {"steps", "batch", "lr", "warmup", "overrides"}


def _args(**kw):
    import argparse

    return argparse.Namespace(**{"runs": "runs/paper", "board": "runs/board", "device": "cuda", "no_graphs": False,
                                 **kw})


def test_a_variant_is_its_own_run_with_its_own_name_and_config():
    (rope,) = [r for r in paper_runs.plan(["rope"]) if r.id == "multiplication_nx1-transformer-rope1-s0"]
    train, evaluate = paper_runs.commands(rope, _args())
    assert rope.train_config("cuda", Path("runs/x"))["overrides"] == {"rotary_pct": 1.0}
    assert config("multiplication_nx1", "transformer")["overrides"] == {}  # the table's run keeps Pythia's 0.25
    assert evaluate[evaluate.index("--name") + 1] == "transformer-small-rope1-s0"
    assert "runs/paper/multiplication_nx1-transformer-rope1-s0" in train


def test_fixed_memory_models_share_gpu_batches_across_lengths_and_graphs_can_be_turned_off():
    def evaluate(backbone: str, **kw) -> list[str]:
        return paper_runs.commands(paper_runs.Run("logical_graph", backbone, 0, lengths=[10, 20], episodes=16),
                                   _args(**kw))[1]

    assert "--together" in evaluate("swa-transformer") and "--together" in evaluate("gru")
    assert "--together" not in evaluate("transformer")  # its KV cache grows with every episode of the batch
    assert "--cuda-graphs" not in evaluate("gru")
    cmd = evaluate("gru", no_graphs=True)
    assert cmd[cmd.index("--cuda-graphs") + 1] == "off"


def test_transformers_are_scored_at_every_length_to_twice_training_where_they_stop_near_it():
    def lengths(plan_name: str, run_id: str) -> list[int]:
        (run,) = [r for r in paper_runs.plan([plan_name]) if r.id == run_id]
        evaluate = paper_runs.commands(run, _args())[1]
        return [int(x) for x in evaluate[evaluate.index("--lengths") + 1].split(",")]

    # the paper's stop lengths for them (n×1 20, n×2 14, Mistral 13) lie between our 10 and 20
    fine = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 50, 100, 200, 500, 1000]
    assert lengths("table", "multiplication_nx1-transformer-s0") == fine
    assert lengths("swa", "multiplication_nx2-swa-transformer-s1") == fine
    assert lengths("rope", "multiplication_nx2-transformer-rope1-s0") == fine
    assert lengths("table", "addition-transformer-s1") == [5, 6, 7, 8, 9, 10, 20, 50, 100, 200, 500, 1000]
    # the fixed-memory models, and the Transformers on the other tasks, keep the task's grid
    assert lengths("table", "multiplication_nx1-mamba-s0") == paper_runs.TASKS["multiplication_nx1"]["lengths"]
    assert lengths("table", "hanoi-transformer-s0") == paper_runs.TASKS["hanoi"]["lengths"]
    assert lengths("swa", "logical_graph-swa-transformer-s0") == paper_runs.TASKS["logical_graph"]["lengths"]


def test_a_preset_run_is_its_own_run_and_builds_that_preset():
    from agents.builder import build_backbone

    (medium,) = [r for r in paper_runs.plan(["rnn-medium"]) if r.id == "logical_graph-gru-medium-s0"]
    train, evaluate = paper_runs.commands(medium, _args())
    cfg = medium.train_config("cuda", Path("runs/x"))
    assert cfg["size"] == "medium" and config("logical_graph", "gru")["size"] == "small"
    assert evaluate[evaluate.index("--name") + 1] == "gru-medium-s0"
    assert "runs/paper/logical_graph-gru-medium-s0" in train
    assert (cfg["steps"], cfg["batch_size"]) == (1500, 256)  # the table's recipe: only the width changes
    model = build_backbone("gru", size=cfg["size"], overrides=cfg["overrides"])
    assert (model.config.hidden, model.config.n_layers) == (1024, 2)


def test_the_value_lookup_plan_trains_the_logical_graphs_recipe_on_its_own_task():
    runs = paper_runs.plan(["value-lookup"])
    assert [r.id for r in runs[:2]] == ["logical_graph_value_lookup-gru-s0", "logical_graph_value_lookup-lstm-s0"]
    cfg, base = runs[0].train_config("cpu", Path("runs/x")), config("logical_graph", "gru")
    assert cfg["tasks"] == [{"name": "logical_graph_value_lookup", "max_length": 10}]
    assert {k: v for k, v in cfg.items() if k != "tasks"} == {k: v for k, v in base.items() if k != "tasks"}
    assert paper_runs.commands(runs[0], _args(device="cuda"))[1].count("--together") == 1


def test_a_training_variant_changes_only_its_fields_in_its_own_run():
    (long,) = [r for r in paper_runs.plan(["lstm-3k"]) if r.seed == 0]
    assert long.id == "logical_graph_value_lookup-lstm-3k-s0"
    cfg = long.train_config("cuda", Path("runs/x"))
    base = paper_runs.Run("logical_graph_value_lookup", "lstm", 0).train_config("cuda", Path("runs/x"))
    assert (cfg["steps"], base["steps"]) == (3000, 1500)
    assert {k: v for k, v in cfg.items() if k != "steps"} == {k: v for k, v in base.items() if k != "steps"}
    train, evaluate = paper_runs.commands(long, _args())
    assert evaluate[evaluate.index("--name") + 1] == "lstm-small-3k-s0"
    assert "runs/paper/logical_graph_value_lookup-lstm-3k-s0" in train
    assert long.train_config("cuda", Path("runs/x"), steps=4)["steps"] == 4  # a smoke run's steps still win


def test_the_repeats_plan_trains_the_gru_at_the_logical_graphs_recipe_on_its_own_task():
    runs = paper_runs.plan(["repeats"])
    assert [r.id for r in runs] == ["logical_graph_value_lookup_repeats-gru-s0", "logical_graph_value_lookup_repeats-gru-s1"]
    cfg, base = runs[0].train_config("cpu", Path("runs/x")), config("logical_graph", "gru")
    assert cfg["tasks"] == [{"name": "logical_graph_value_lookup_repeats", "max_length": 10}]
    assert {k: v for k, v in cfg.items() if k != "tasks"} == {k: v for k, v in base.items() if k != "tasks"}


def test_more_seeds_of_the_repeats_gru_are_seeds_0_and_1s_recipe_their_recurrence_in_float16_too():
    first, more = paper_runs.plan(["repeats"])[0], paper_runs.plan(["repeats-seeds"])
    # the same agent as seeds 0 and 1 (one row of the comparison, its seeds side by side)
    assert [r.id for r in more] == [f"logical_graph_value_lookup_repeats-gru-s{s}" for s in (2, 3, 4, 5)]
    # seeds 0 and 1 trained before recurrence_precision existed, when torch's autocast ran cuDNN in float16
    config = {k: v for k, v in first.train_config("cuda", Path("/tmp/x")).items() if k not in ("seed", "out_dir")}
    config["overrides"] = {**config["overrides"], "recurrence_precision": "autocast"}
    for run in more:
        assert {k: v for k, v in run.train_config("cuda", Path("/tmp/x")).items() if k not in ("seed", "out_dir")} == config
        assert run.train_config("cuda", Path("/tmp/x"))["seed"] == run.seed
        assert (run.lengths, run.episodes) == (first.lengths, first.episodes)


def test_the_lstm_fb_plan_changes_only_the_forget_bias_on_both_oracles():
    runs = paper_runs.plan(["lstm-fb"])
    assert [r.id for r in runs] == ["logical_graph-lstm-fb1-s0", "logical_graph_value_lookup_repeats-lstm-fb1-s0",
                                    "logical_graph-lstm-fb1-s1", "logical_graph_value_lookup_repeats-lstm-fb1-s1"]
    cfg, base = runs[0].train_config("cpu", Path("runs/x")), config("logical_graph", "lstm")
    assert cfg["overrides"] == {**base["overrides"], "forget_bias": 1.0}
    assert {k: v for k, v in cfg.items() if k != "overrides"} == {k: v for k, v in base.items() if k != "overrides"}
    from agents.backbones.rnn import LSTM  # the override is a field the LSTM accepts
    assert LSTM.from_preset(cfg["size"], **cfg["overrides"]).config.forget_bias == 1.0


def test_the_rnn_fp32_plan_is_the_tables_logical_graph_recipe_with_a_float32_recurrence():
    runs = paper_runs.plan(["rnn-fp32"])
    assert [r.id for r in runs] == ["logical_graph-gru-fp32-s0", "logical_graph-lstm-fp32-s0",
                                    "logical_graph-gru-fp32-s1", "logical_graph-lstm-fp32-s1"]
    from agents.backbones.rnn import GRU, LSTM
    for run, cls in zip(runs, (GRU, LSTM, GRU, LSTM)):
        cfg, base = run.train_config("cpu", Path("runs/x")), config("logical_graph", run.backbone)
        assert cfg["overrides"] == {**base["overrides"], "recurrence_precision": "fp32"}
        assert {k: v for k, v in cfg.items() if k not in ("overrides", "seed")} == \
            {k: v for k, v in base.items() if k not in ("overrides", "seed")}
        assert cls.from_preset(cfg["size"], **cfg["overrides"]).config.recurrence_precision == "fp32"
        assert (run.lengths, run.episodes) == ([10, 20, 50, 100, 200, 500, 1000], 16)


def test_the_repeats_fp32_plan_trains_both_rnns_on_the_repeats_recipe_in_float32():
    runs = paper_runs.plan(["repeats-fp32"])
    assert [r.id for r in runs] == [f"logical_graph_value_lookup_repeats-{a}-fp32-s{s}" for s in (0, 1) for a in ("gru", "lstm")]
    for run in runs:
        cfg = run.train_config("cpu", Path("runs/x"))
        base = paper_runs.Run("logical_graph_value_lookup_repeats", run.backbone, run.seed).train_config("cpu", Path("runs/x"))
        assert cfg["overrides"] == {**base["overrides"], "recurrence_precision": "fp32"}
        assert {k: v for k, v in cfg.items() if k != "overrides"} == {k: v for k, v in base.items() if k != "overrides"}


def test_the_lstm_precision_plan_differs_only_in_the_recurrences_precision():
    fp32, fp16 = paper_runs.plan(["lstm-precision"])
    assert (fp32.id, fp16.id) == ("logical_graph-lstm-fp32-s1", "logical_graph-lstm-autocast-s1")
    a, b = (r.train_config("cpu", Path("runs/x")) for r in (fp32, fp16))
    assert (a["overrides"]["recurrence_precision"], b["overrides"]["recurrence_precision"]) == ("fp32", "autocast")
    assert {k: v for k, v in a.items() if k not in ("overrides", "out_dir")} == \
        {k: v for k, v in b.items() if k not in ("overrides", "out_dir")}


def test_the_runs_fp32_plan_is_the_repeats_fp32_lstm_on_the_runs_stream():
    runs, repeats = paper_runs.plan(["runs-fp32"]), paper_runs.plan(["repeats-fp32"])
    assert [r.id for r in runs] == ["logical_graph_value_lookup_runs-lstm-fp32-s0", "logical_graph_value_lookup_runs-lstm-fp32-s1"]
    twin = next(r for r in repeats if (r.backbone, r.seed) == ("lstm", 0))
    a, b = (r.train_config("cuda", Path("runs/x")) for r in (runs[0], twin))
    assert a["tasks"] == [{"name": "logical_graph_value_lookup_runs", "max_length": 10}]
    assert {k: v for k, v in a.items() if k != "tasks"} == {k: v for k, v in b.items() if k != "tasks"}
    assert (runs[0].lengths, runs[0].episodes) == (twin.lengths, twin.episodes)


def test_the_runs_gru_plan_is_the_float16_repeats_gru_on_the_runs_stream():
    runs = paper_runs.plan(["runs-gru"])
    repeats = {r.seed: r for r in paper_runs.plan(["repeats", "repeats-seeds"])}  # the float16 repeats GRU, by seed
    assert [r.id for r in runs] == [f"logical_graph_value_lookup_runs-gru-s{s}" for s in (0, 1, 2)]
    for run in runs:
        twin = repeats[run.seed]
        a, b = (r.train_config("cuda", Path("runs/x")) for r in (run, twin))
        assert a["tasks"] == [{"name": "logical_graph_value_lookup_runs", "max_length": 10}]
        assert {k: v for k, v in a.items() if k != "tasks"} == {k: v for k, v in b.items() if k != "tasks"}
        assert a["overrides"]["recurrence_precision"] == "autocast"
        assert (run.lengths, run.episodes) == (twin.lengths, twin.episodes)


@pytest.mark.parametrize("plan_name", ["table", "extra", "value-lookup", "repeats", "rnn-medium"])
def test_the_rnn_runs_without_a_variant_train_in_the_precision_of_their_entries(plan_name):
    # every such entry trained before recurrence_precision existed, when autocast ran cuDNN in float16: re-running
    # the plan must reproduce them, not train toolenv's float32 default under their run ids
    runs = [r for r in paper_runs.plan([plan_name]) if r.backbone in ("lstm", "gru")]
    assert runs and all(not r.variant for r in runs)
    for run in runs:
        assert run.train_config("cuda", Path("runs/x"))["overrides"]["recurrence_precision"] == "autocast"
    fp32 = paper_runs.Run(runs[0].task, runs[0].backbone, 0, variant="fp32").train_config("cuda", Path("runs/x"))
    assert fp32["overrides"]["recurrence_precision"] == "fp32"


def test_the_pythia_paper_plan_trains_the_papers_shape_at_its_budget_on_the_multiplications():
    runs = paper_runs.plan(["pythia-paper"])
    assert [r.id for r in runs] == [f"multiplication_nx{k}-transformer-paper-2k-s{s}" for k in (1, 2) for s in (0, 1)]
    cfg = runs[0].train_config("cuda", Path("runs/x"))
    base = config("multiplication_nx1", "transformer")
    assert (cfg["size"], cfg["steps"], cfg["batch_size"], cfg["lr"], cfg["warmup_steps"]) == ("paper", 2000, 128, 5e-4, 100)
    assert (base["size"], base["steps"], base["batch_size"]) == ("small", 1000, 64)  # the table's run is unchanged
    assert runs[0].lengths == list(range(10, 21)) + [50, 100, 200, 500, 1000]  # the fine grid, as the table's
    evaluate = paper_runs.commands(runs[0], _args(device="cuda"))[1]
    assert evaluate[evaluate.index("--name") + 1] == "transformer-paper-2k-s0" and "--together" not in evaluate


def test_the_lr_probes_change_only_the_learning_rate_of_their_n_x_1_runs():
    """pythia-lr keeps plan pythia-paper's budget and shape, small-lr the table's recipe; each run its own id and name."""
    paper = paper_runs.plan(["pythia-paper"])[0].train_config("cpu", Path("runs/x"))
    table = config("multiplication_nx1", "transformer")
    same = lambda c: {k: v for k, v in c.items() if k not in ("lr", "seed")}
    for name, base, lrs in (("pythia-lr", paper, {1e-3, 3e-4}), ("small-lr", table, {3e-4, 3e-3})):
        runs = paper_runs.plan([name])
        assert {r.task for r in runs} == {"multiplication_nx1"} and {r.seed for r in runs} == {0, 1}
        cfgs = [r.train_config("cpu", Path("runs/x")) for r in runs]
        assert {c["lr"] for c in cfgs} == lrs and all(same(c) == same(base) for c in cfgs)
        names = [(e := paper_runs.commands(r, _args(device="cpu"))[1])[e.index("--name") + 1] for r in runs]
        assert names == [f"transformer-{r.size}-{r.variant}-s{r.seed}" for r in runs] and len(set(names)) == 4


def test_the_budget_probes_change_only_steps_batch_and_warmup_of_their_runs():
    """small-budget keeps the table's 3.2M recipe (lr 1e-3), pythia-batch the 113M's at lr 1e-3; both train the
    paper's 2,000 steps at one of its swept batches, each run under its own id and name."""
    fields = ("steps", "batch_size", "warmup_steps", "tasks", "seed")
    same = lambda c: {k: v for k, v in c.items() if k not in fields}
    table = config("multiplication_nx1", "transformer")
    lr1e3 = next(r for r in paper_runs.plan(["pythia-lr"]) if r.variant == "2k-lr1e-3").train_config("cpu", Path("runs/x"))
    for name, base, batches in (("small-budget", table, {256, 1024}), ("pythia-batch", lr1e3, {256, 512})):
        runs = paper_runs.plan([name])
        cfgs = [r.train_config("cpu", Path("runs/x")) for r in runs]
        assert {(c["steps"], c["warmup_steps"]) for c in cfgs} == {(2000, 100)}
        assert {c["batch_size"] for c in cfgs} == batches and all(same(c) == same(base) for c in cfgs)
        assert {r.seed for r in runs} == {0, 1} and len({r.id for r in runs}) == len(runs)
        assert all(r.lengths == paper_runs.eval_lengths(r.task, "transformer") for r in runs)
    assert {r.task for r in paper_runs.plan(["small-budget"])} == {"multiplication_nx1", "multiplication_nx2"}
    assert (lr1e3["size"], lr1e3["lr"], lr1e3["batch_size"]) == ("paper", 1e-3, 128)  # the batch is the only change


def test_the_rope_budget_plan_is_small_budgets_batch_256_with_rope_on_the_whole_head():
    budget = next(r for r in paper_runs.plan(["small-budget"]) if r.variant == "2k-b256").train_config("cpu", Path("runs/x"))
    runs = paper_runs.plan(["rope-budget"])
    assert [r.id for r in runs] == [f"multiplication_nx1-transformer-2k-b256-rope1-s{s}" for s in (0, 1)]
    cfg = runs[0].train_config("cpu", Path("runs/x"))
    assert cfg["overrides"] == {"rotary_pct": 1.0} and budget["overrides"] == {}
    assert {k: v for k, v in cfg.items() if k != "overrides"} == {k: v for k, v in budget.items() if k != "overrides"}


def test_the_ct_steps_plan_is_each_code_tracing_run_at_twice_the_steps():
    runs = paper_runs.plan(["ct-steps"])
    assert [r.id for r in runs][:2] == [f"code_tracing-mamba2-4k-s{s}" for s in (0, 1)]  # the CPU box's, first
    assert {(r.backbone, r.seed) for r in runs} == {(a, s) for a in paper_runs.ARCHS for s in (0, 1)}
    for run in runs:
        table = paper_runs.Run("code_tracing", run.backbone, run.seed).train_config("cpu", Path("runs/x"))
        cfg = run.train_config("cpu", Path("runs/x"))
        assert (table["steps"], cfg["steps"]) == (2000, 4000)
        assert {k: v for k, v in cfg.items() if k != "steps"} == {k: v for k, v in table.items() if k != "steps"}


def test_the_sort_steps_plan_is_each_fixed_memory_sorting_run_at_four_times_the_steps():
    runs = paper_runs.plan(["sort-steps"])
    assert [r.id for r in runs][:2] == [f"sorting-mamba2-4k-s{s}" for s in (0, 1)]  # no kernel build, first
    assert {(r.backbone, r.seed) for r in runs} == {(a, s) for a in paper_runs.ARCHS if a != "transformer" for s in (0, 1)}
    for run in runs:
        table = paper_runs.Run("sorting", run.backbone, run.seed).train_config("cpu", Path("runs/x"))
        cfg = run.train_config("cpu", Path("runs/x"))
        assert (table["steps"], cfg["steps"]) == (1000, 4000)
        assert {k: v for k, v in cfg.items() if k != "steps"} == {k: v for k, v in table.items() if k != "steps"}
        assert run.lengths == [10, 20, 50, 100, 200, 500, 1000]


def test_the_ablation_small_plan_is_the_answer_only_regimes_one_size_up_at_eight_times_the_steps():
    runs = paper_runs.plan(["ablation-small"])
    assert [r.id for r in runs] == [f"addition-mamba2-small-8k-lr1e-3-{r}-s{s}" for s in (0, 1)
                                    for r in ("direct", "direct-reversed")]  # each regime's seed 0 first
    for run in runs:
        ablation = paper_runs.Run("addition", "mamba2", run.seed, regime=run.regime).train_config("cpu", Path("runs/x"))
        cfg = run.train_config("cpu", Path("runs/x"))
        changed = {k: (ablation[k], cfg[k]) for k in cfg if cfg[k] != ablation[k]}
        assert changed == {"size": ("tiny", "small"), "steps": (1000, 8000), "lr": (3e-3, 1e-3)}
        assert cfg["regime"] == run.regime and run.lengths == [*range(1, 11), 20]  # every length to twice training


def test_the_beyond_plan_scores_the_tables_addition_runs_at_10000_digits_into_entries_of_their_own():
    runs = paper_runs.plan(["beyond"])
    assert {(r.backbone, r.seed) for r in runs} == {(a, s) for a in ("mamba", "mamba2", "lstm", "gru") for s in (0, 1)}
    args = type("Args", (), dict(runs="runs/p", board="board", micro_batch=None, device="cpu", no_graphs=False))()
    for run in runs:
        table = paper_runs.Run("addition", run.backbone, run.seed)
        assert run.id == table.id  # the table run's checkpoint: trained once, scored by both
        assert run.train_config("cpu", Path("runs/x")) == table.train_config("cpu", Path("runs/x"))
        assert max(run.lengths) == 10000 and run.episodes == 16
        evaluate = paper_runs.commands(run, args)[1]
        assert evaluate[evaluate.index("--out") + 1] == f"board/{run.id}-beyond.json"
        assert evaluate[evaluate.index("--name") + 1].endswith(f"-s{run.seed}-10k")


def test_the_hanoi_steps_plan_is_hanois_transformer_recipe_at_3000_steps_in_runs_of_its_own():
    runs = paper_runs.plan(["hanoi-steps"])
    assert [r.id for r in runs] == [f"hanoi-transformer-3k-s{s}" for s in (0, 1)]
    for run in runs:
        table = paper_runs.Run("hanoi", "transformer", run.seed).train_config("cpu", Path("runs/x"))
        cfg = run.train_config("cpu", Path("runs/x"))
        assert (table["steps"], cfg["steps"]) == (1600, 3000)
        # the recipe's lr, warmup, batch and RoPE on the whole head stay
        assert {k: v for k, v in cfg.items() if k != "steps"} == {k: v for k, v in table.items() if k != "steps"}
        assert run.lengths == paper_runs.eval_lengths("hanoi", "transformer") and run.episodes == 16
