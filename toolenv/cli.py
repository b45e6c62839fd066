"""The ``toolenv`` command line. ``toolenv --help`` lists the commands."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from toolenv.errors import ToolEnvError
from toolenv.regimes import REGIMES

console = Console()
err_console = Console(stderr=True)


def _cmd_play(args: argparse.Namespace) -> int:
    from toolenv.env import ToolEnv
    from toolenv.regimes import regime_trajectory
    from toolenv.render import legend, trajectory_text

    env = ToolEnv(args.task, regime=args.regime, length=args.length)
    obs, info = env.reset(seed=args.seed)
    problem = info["problem"]
    console.print(f"[bold]{env.task.name}[/] length {problem.length}, regime {args.regime}, tool {env.task.tool_spec}")
    if args.agent:
        from agents.checkpoint import load_agent  # agents is optional for toolenv: imported on demand

        agent = load_agent(args.agent, device=args.device)
        agent.reset(1)
        who = args.agent
        terminated = truncated = False
        while not (terminated or truncated):
            action = int(agent.act([obs])[0])
            obs, reward, terminated, truncated, step_info = env.step(action)
    else:
        who = "oracle"
        for action in regime_trajectory(env.task, problem, args.regime).actions():
            _, reward, terminated, truncated, step_info = env.step(action)
    console.print(legend())
    console.print(trajectory_text(env.trajectory(), max_tokens=args.max_tokens))
    verdict = "[bold green]correct[/]" if step_info["correct"] else "[bold red]wrong[/]"
    why = f" ({step_info['invalid']})" if "invalid" in step_info else " (step limit)" if truncated else ""
    console.print(
        f"agent: {who}   output: {step_info['output'][:80]}   answer: {problem.answer[:80]}   "
        f"{verdict}{why}   reward {reward}   {step_info['steps']} agent tokens, {len(env.trajectory())} in context"
    )
    return 0


def _task_and_regime(info, args: argparse.Namespace) -> tuple[str, str]:
    """``--task``/``--regime``, else the checkpoint's training task and regime."""
    tc = info.train_config or {}
    task = args.task or (tc.get("tasks") or [{}])[0].get("name")
    if not task:
        raise ValueError("the checkpoint names no task: give --task")
    return task, args.regime or tc.get("regime", "interactive")


def _cmd_diverge(args: argparse.Namespace) -> int:
    from agents.checkpoint import load_agent, read_info
    from toolenv.divergence import divergences, longest_context
    from toolenv.registry import get_task
    from toolenv.rollout import rollout

    info = read_info(args.checkpoint)
    name, regime = _task_and_regime(info, args)
    task = get_task(name)
    problems = [task.problem("test", args.length, i, args.seed) for i in range(args.episodes)]
    results = rollout(load_agent(args.checkpoint, device=args.device), task, problems, regime, record=True)
    trained = next((t.get("max_length") for t in (info.train_config or {}).get("tasks", []) if t.get("name") == name), None)
    trained_context = longest_context(task, trained, args.episodes, args.seed, regime) if trained else None
    found = divergences(task, results, regime)
    for d in [d for d in found if d is not None][: args.show]:
        copied = (f", last {d.copy_distance} tokens earlier" if d.copy_distance is not None
                  else ", not earlier in the context")
        word = f"; word {d.word!r} written {d.written!r}{copied}" if d.word else ""
        console.print(f"episode {d.episode} ({'correct' if d.correct else 'wrong'}), token {d.position}: "
                      f"oracle {d.expected!r}, agent {d.chosen!r}, after {d.line!r}{word}", markup=False)
    console.print(f"{task.name} length {args.length}, {regime}: {sum(r.correct for r in results)}/{len(results)} "
                  f"correct, {sum(r.truncated for r in results)} truncated, {sum(r.invalid for r in results)} invalid")
    if trained_context:
        console.print(f"teacher contexts at the training length ({trained}): at most {trained_context} tokens "
                      f"(over {args.episodes} test problems)")
    for table in _divergence_tables(found, args.top or None, trained_context):
        console.print(table)
    return 0


def _divergence_tables(found, top: int | None, trained_context: int | None = None) -> list:
    """``toolenv diverge``'s count tables (rich), one per ``divergence.summary`` key."""
    from rich.markup import escape
    from rich.table import Table

    from toolenv.divergence import summary

    tables = []
    for title, rows in summary(found, top=top, trained_context=trained_context).items():
        table = Table(title=f"first divergence from the oracle, {title}")
        table.add_column("episodes", justify="right")
        table.add_column(title.removeprefix("by "))
        for key, n in rows:
            table.add_row(str(n), escape(key))  # keys hold [find], [end]...: text, not rich markup
        tables.append(table)
    return tables


def _lengths(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"lengths must be comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"lengths must be positive integers, got {text!r}")
    return values


def _cmd_train(args: argparse.Namespace) -> int:
    import json

    from pydantic import ValidationError

    from agents.train import TrainConfig, train
    from toolenv import clock

    clock.install()  # a Ctrl-Z'd (SIGTSTP) run records its pause as no training time

    fields: dict = {}
    if args.config:
        fields = json.loads(open(args.config).read())
    tasks = [{"name": t, "max_length": args.max_length} for t in args.task] if args.task else None
    given = {
        "tasks": tasks, "regime": args.regime, "backbone": args.backbone, "size": args.size, "steps": args.steps,
        "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed, "device": args.device, "out_dir": args.out,
        "overrides": json.loads(args.overrides) if args.overrides else None,
    }
    fields.update({k: v for k, v in given.items() if v is not None})
    if "tasks" not in fields:
        raise ValueError("name a task with --task (or give --config)")
    try:
        cfg = TrainConfig(**fields)
    except ValidationError as e:
        raise ValueError(f"invalid training configuration: {e}") from None
    result = train(cfg, data_workers=args.data_workers, micro_batch=args.micro_batch)
    console.print(f"checkpoint: {cfg.out_dir}  ({result.step} steps, {result.params:,} parameters, "
                  f"{result.wall_time_s:.0f} s, final loss {result.final_loss:.4f})")
    for v in result.validation:
        console.print(f"  validation at step {int(v['step'])}: {v['val_exact']:.1%} exact at length {cfg.tasks[0].max_length}")
    return 0


_GRAPHS = {"auto": None, "on": True, "off": False}  # --cuda-graphs -> rollout(cuda_graphs=...)


def _cmd_eval(args: argparse.Namespace) -> int:
    import os
    import shlex

    from agents.checkpoint import load_agent, read_info
    from toolenv import clock
    from toolenv import leaderboard as lb
    from toolenv.evaluate import evaluate

    clock.install()  # a Ctrl-Z'd (SIGTSTP) evaluation records its pause as no scoring time

    info = read_info(args.checkpoint)
    agent = load_agent(args.checkpoint, device=args.device)
    tc = info.train_config or {}
    task, regime = _task_and_regime(info, args)
    top = next((t["max_length"] for t in tc.get("tasks", []) if t["name"] == task), None)
    name = args.name or f"{info.backbone}-{info.size or 'custom'}" + ("" if regime == "interactive" else f"-{regime}")
    meta = {
        "agent": {"name": name, "backbone": info.backbone, "params": info.params, "config": info.backbone_config,
                  "checkpoint": str(args.checkpoint)},
        "training": None if top is None else {
            "lengths": [1, top], "steps": info.step, "batch_size": tc.get("batch_size", 1), "seed": tc.get("seed", 0),
            "tasks": tc.get("tasks", []), "lr": tc.get("lr"),
            "wall_time_s": info.wall_time_s, "device": info.device},
        "command": "toolenv " + " ".join(shlex.quote(a) for a in sys.argv[1:]), "device": str(agent.device),
    }
    partial = f"{args.out}.partial-{name}-{regime}.json"
    seeded = args.extend and not os.path.exists(partial)
    if seeded:  # the finished entry becomes the file to resume
        seed = meta["training"]["seed"] if meta["training"] else None  # LeaderboardEntry.key()'s identity
        held = [e for e in (lb.load(args.out) if os.path.exists(args.out) else [])
                if e.key() == (task, regime, name, seed)]
        if not held:
            raise ToolEnvError(f"--extend: {args.out} holds no entry of {name} on {task} ({regime}) to extend")
        lb.save(partial, held[0])
    try:
        entry = evaluate(agent, task, args.lengths, args.episodes, seed=args.seed, regime=regime,
                         batch_size=args.batch_size, out=partial, meta=meta, stop_at_zero=args.stop_at_zero,
                         together=args.together, cuda_graphs=_GRAPHS[args.cuda_graphs])
    except ToolEnvError:
        if seeded and lb.load(partial) == held[:1]:
            os.remove(partial)  # refused before measuring anything: leave no copy behind
        raise
    lb.upsert(args.out, entry)
    os.remove(partial)
    from rich.markdown import Markdown

    console.print(Markdown(lb.markdown_table([entry])))
    console.print(f"summary: {entry.summary.paper_style}; wrote {args.out}")
    return 0


def _cmd_leaderboard(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from rich.markdown import Markdown

    from toolenv import leaderboard as lb
    from toolenv.plots import plot_all

    if args.schema:
        console.print_json(json.dumps(lb.LeaderboardEntry.model_json_schema()))
        return 0
    entries = lb.merge(args.dir)
    if not entries:
        raise ValueError(f"no leaderboard entries in {args.dir}/*.json")
    table = lb.markdown_table(entries)
    out = Path(args.dir) / "TABLE.md"
    out.write_text(table)
    pngs = plot_all(entries, Path(args.dir) / "plots")
    console.print(Markdown(table))
    console.print(f"wrote {out} and {len(pngs)} plot(s) in {Path(args.dir) / 'plots'}")
    return 0


def _cmd_breakdown(args: argparse.Namespace) -> int:
    from rich.table import Table

    from toolenv import leaderboard as lb
    from toolenv.breakdown import breakdown, stop_over, value_order, without

    stored = lb.load(args.entry)
    entries = [e for e in stored if e.agent.name == args.agent] if args.agent else stored
    if len(entries) != 1:
        names = ", ".join(e.agent.name for e in stored)
        raise ValueError(f"{args.entry} holds {len(entries)} entries{' of ' + args.agent if args.agent else ''}: "
                         f"name one with --agent ({names})")
    [entry] = entries
    found = breakdown(entry, args.by)
    values = sorted({g.value for groups in found.values() for g in groups}, key=value_order)
    table = Table(title=f"{entry.agent.name} on {entry.task}: problems answered / problems, by {args.by}")
    table.add_column("length", justify="right")
    table.add_column("all", justify="right")
    for v in values:
        table.add_column(f"{args.by}={v}", justify="right")
    rest = without(found, set(args.without)) if args.without else None
    if rest:
        table.add_column(f"{args.by}∉{{{','.join(args.without)}}}", justify="right")
    for length, groups in found.items():
        cell = {g.value: f"{g.solved}/{g.problems}" for g in groups}
        table.add_row(str(length), f"{sum(g.solved for g in groups)}/{sum(g.problems for g in groups)}",
                      *(cell.get(v, "") for v in values), *([f"{rest[length][0]}/{rest[length][1]}"] if rest else []))
    console.print(table)
    if rest:
        kept = stop_over(rest, entry.summary.trained_max)
        console.print(f"paper-style over the problems with {args.by} not in {{{', '.join(args.without)}}}: {kept} "
                      f"(all problems: {entry.summary.paper_style})")
    return 0


def _cmd_quickstart(args: argparse.Namespace) -> int:
    from toolenv.quickstart import run

    run(steps=args.steps, episodes=args.episodes, lengths=args.lengths, out=args.out, runs=args.runs, device=args.device)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from toolenv.registry import get_task, gym_id, list_agents, list_tasks

    table = Table(title="tasks")
    for col in ("name", "gymnasium id", "tool", "lengths", "trained ≤ (paper)", "description"):
        table.add_column(col)
    for name in list_tasks():
        t = get_task(name)
        table.add_row(name, gym_id(name), t.tool_spec, f"{t.min_length}..{t.max_length}", str(t.train_length), t.description)
    console.print(table)
    console.print("regimes: " + ", ".join(REGIMES))
    console.print("backbones: " + ", ".join(list_agents()) + "  (sizes: tiny, small, paper; LSTM/GRU also medium; or an import path pkg.module:Class)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolenv",
        description="Length generalization of tool-using sequence models: tasks as Gymnasium envs, "
        "agents trained by imitation, scored across growing lengths.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list tasks and regimes")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("play", help="watch one episode, roles in colour, with the verdict")
    p.add_argument("task", help="task name (see `toolenv list`)")
    p.add_argument("--length", type=int, default=None, help="problem length (digits, disks, items...)")
    p.add_argument("--regime", default="interactive", help=" | ".join(REGIMES))
    p.add_argument("--seed", type=int, default=0, help="which problem (same seed, same problem)")
    p.add_argument("--max-tokens", type=int, default=4000, help="elide the middle of longer trajectories")
    p.add_argument("--agent", default=None, help="checkpoint folder of a trained agent (default: the oracle)")
    p.add_argument("--device", default="cpu", help="device for --agent")
    p.set_defaults(func=_cmd_play)

    p = sub.add_parser("diverge", help="where a checkpoint's episodes first leave the oracle's trajectory",
                       description="Play --episodes test problems of one length, compare each with the teacher "
                       "trajectory of its problem, and count the first divergences by the oracle token's role, "
                       "by (expected -> chosen) token, by the shape of the line, by how far back the word they "
                       "fall in last occurred, and by position against the longest teacher context at the "
                       "checkpoint's training length (a divergence past it is at a position no training "
                       "episode reached).")
    p.add_argument("checkpoint", help="checkpoint folder written by `toolenv train`")
    p.add_argument("--length", type=int, required=True)
    p.add_argument("--episodes", type=int, default=64)
    p.add_argument("--task", default=None, help="default: the checkpoint's training task")
    p.add_argument("--regime", default=None, help="default: the checkpoint's training regime")
    p.add_argument("--seed", type=int, default=0, help="which fixed evaluation set")
    p.add_argument("--device", default="cpu")
    p.add_argument("--show", type=int, default=5, help="divergences to print in full")
    p.add_argument("--top", type=int, default=10, help="rows of the by-token and by-line tables (0: all)")
    p.set_defaults(func=_cmd_diverge)

    p = sub.add_parser("train", help="train an agent by imitation of oracle trajectories",
                       description="Train a backbone on oracle trajectories of lengths 1..--max-length "
                       "(teacher forcing with the loss mask). Re-running the same command resumes.")
    p.add_argument("--task", action="append", help="task name; repeat for an equal-weight mixture")
    p.add_argument("--max-length", type=int, default=5, help="train on lengths 1..N (default 5)")
    p.add_argument("--regime", default=None, help=" | ".join(REGIMES) + " (default: interactive)")
    p.add_argument("--backbone", default=None, help="mamba2 (default), mamba, transformer, swa-transformer, lstm, gru, "
                   "or an import path pkg.module:Class")
    p.add_argument("--size", default=None, help="tiny (default) | small | paper (LSTM/GRU also medium)")
    p.add_argument("--overrides", default=None, help='JSON of backbone config fields, e.g. \'{"d_model": 96}\'')
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--device", default=None, help="auto (default) | cpu | cuda")
    p.add_argument("--config", default=None, help="a TrainConfig JSON file (flags override it)")
    p.add_argument("--out", default=None, help="checkpoint folder (default runs/run)")
    p.add_argument("--data-workers", type=int, default=None, help="processes generating oracle batches ahead "
                   "(same batches; default 4 on a GPU, 0 on the CPU)")
    p.add_argument("--micro-batch", type=int, default=None, help="rows per forward/backward, gradients "
                   "accumulated: the same step in less activation memory (default: the whole batch)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("eval", help="score a checkpoint across lengths; write a leaderboard entry",
                       description="Evaluate on fixed test sets (Task.problem('test', n, i, seed)) at each length. "
                       "Interrupted evaluations resume from the lengths already written.")
    p.add_argument("checkpoint", help="checkpoint folder written by `toolenv train`")
    p.add_argument("--task", default=None, help="default: the checkpoint's training task")
    p.add_argument("--regime", default=None, help="default: the checkpoint's training regime")
    p.add_argument("--lengths", type=_lengths, default=[5, 10, 20, 50, 100, 200, 500, 1000])
    p.add_argument("--episodes", type=int, default=100, help="problems per length")
    p.add_argument("--seed", type=int, default=0, help="which fixed evaluation set")
    p.add_argument("--batch-size", type=int, default=128,
                   help="episodes played at once; a batch that runs out of GPU memory is played again in halves, "
                        "and the rest of the evaluation keeps the smaller batch (the results are the same)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--name", default=None, help="agent name in the leaderboard")
    p.add_argument("--stop-at-zero", action="store_true",
                   help="skip the longer lengths once one scores 0%% (they are left out of the entry)")
    p.add_argument("--together", action="store_true",
                   help="play batch-size/episodes lengths at a time in shared batches (GPU: a batch costs its "
                        "longest episode's steps); not with --stop-at-zero")
    p.add_argument("--cuda-graphs", choices=["auto", "on", "off"], default="auto",
                   help="replay the rollout's steps as captured CUDA graphs: auto (where they apply, the default), "
                        "on (an error where they do not), off (the eager loop)")
    p.add_argument("--out", default="leaderboards/results.json", help="leaderboard file to add the entry to")
    p.add_argument("--extend", action="store_true",
                   help="keep the lengths this agent's entry in --out already holds and play only the others "
                        "(same settings required); without it an entry is measured afresh")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("breakdown", help="an entry's exact answers per length, counted by a property of the problems",
                       description="Group each tested length's problems (Task.problem('test', n, i, seed)) by one key "
                       "of Problem.meta and count the ones the entry answered exactly, e.g. `--by b` on "
                       "multiplication: how much of a length's accuracy comes from a second operand of 0 or 1. "
                       "Needs an entry of schema 1.1 (it records which problems were answered).")
    p.add_argument("entry", help="leaderboard file (one entry, or several with --agent)")
    p.add_argument("--by", required=True, help="Problem.meta key, e.g. b (multiplication's second operand)")
    p.add_argument("--agent", default=None, help="the entry's agent name, when the file holds several")
    p.add_argument("--without", type=lambda t: [v.strip() for v in t.split(",") if v.strip()], default=None,
                   help="comma-separated values of --by to set aside, e.g. 0,1: adds their complement's column "
                        "and its paper-style n→m (p%%)")
    p.set_defaults(func=_cmd_breakdown)

    p = sub.add_parser("leaderboard", help="merge leaderboards/*.json into a Markdown table and plots")
    p.add_argument("--dir", default="leaderboards")
    p.add_argument("--schema", action="store_true", help="print the entry's JSON schema and exit")
    p.set_defaults(func=_cmd_leaderboard)

    p = sub.add_parser("quickstart", help="the main job: tool-using Mamba-2 vs no-tool vs Transformer on addition",
                       description="Train three tiny models on ≤5-digit addition on the CPU and score them up to 100 "
                       "digits; writes leaderboards/quickstart.json and .png. Re-running resumes.")
    p.add_argument("--steps", type=int, default=400, help="training steps per model")
    p.add_argument("--episodes", type=int, default=50, help="problems per length")
    p.add_argument("--lengths", type=_lengths, default=[5, 10, 20, 50, 100])
    p.add_argument("--out", default="leaderboards/quickstart.json")
    p.add_argument("--runs", default="runs/quickstart")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=_cmd_quickstart)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ToolEnvError, ValueError, FileNotFoundError) as e:
        err_console.print(f"[bold red]error:[/] {e}")
        return 2
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
