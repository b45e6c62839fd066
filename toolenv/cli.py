"""The ``toolenv`` command line. ``toolenv --help`` lists the commands."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from toolenv.errors import ToolEnvError

console = Console()
err_console = Console(stderr=True)


def _cmd_play(args: argparse.Namespace) -> int:
    from toolenv.env import ToolEnv
    from toolenv.regimes import regime_trajectory
    from toolenv.render import legend, trajectory_text

    env = ToolEnv(args.task, regime=args.regime, length=args.length)
    _, info = env.reset(seed=args.seed)
    problem = info["problem"]
    console.print(f"[bold]{env.task.name}[/] length {problem.length}, regime {args.regime}, tool {env.task.tool_spec}")
    actions = list(regime_trajectory(env.task, problem, args.regime).actions())
    for action in actions:
        _, reward, terminated, truncated, step_info = env.step(action)
        if terminated or truncated:
            break
    console.print(legend())
    console.print(trajectory_text(env.trajectory(), max_tokens=args.max_tokens))
    verdict = "[bold green]correct[/]" if step_info["correct"] else "[bold red]wrong[/]"
    console.print(
        f"agent: oracle   output: {step_info['output'][:80]}   answer: {problem.answer[:80]}   "
        f"{verdict}   reward {reward}   {step_info['steps']} agent tokens, {len(env.trajectory())} in context"
    )
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from toolenv.regimes import REGIMES
    from toolenv.registry import get_task, gym_id, list_tasks

    table = Table(title="tasks")
    for col in ("name", "gymnasium id", "tool", "lengths", "trained ≤ (paper)", "description"):
        table.add_column(col)
    for name in list_tasks():
        t = get_task(name)
        table.add_row(name, gym_id(name), t.tool_spec, f"{t.min_length}..{t.max_length}", str(t.train_length), t.description)
    console.print(table)
    console.print("regimes: " + ", ".join(REGIMES))
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
    p.add_argument("--regime", default="interactive", help="interactive | no-tool | single-turn | direct")
    p.add_argument("--seed", type=int, default=0, help="which problem (same seed, same problem)")
    p.add_argument("--max-tokens", type=int, default=4000, help="elide the middle of longer trajectories")
    p.set_defaults(func=_cmd_play)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ToolEnvError, ValueError) as e:
        err_console.print(f"[bold red]error:[/] {e}")
        return 2
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
