"""Land what a device call brought back: unpack its archives into the checkout, then copy every
finished leaderboard entry of the lease's board into the committed leaderboard folder.

Sessions 19 and 20 lost their entries: they stayed in the git-ignored `runs/paper/board/`, which
the next checkout lacked. Run this after every device call that returned entries, then commit.

- Archives: `paper.tgz` and `ckpt-*.tgz` (split ones as `ckpt-X.tgz.part-aa`, `-ab`...: joined
  first) from a device call's files folder, extracted under ROOT with tarfile's `data` filter (no
  absolute paths, no `..`, no links out of ROOT).
- Entries: each `*.json` of --board that is not a `.partial-` file is validated
  (`toolenv.leaderboard.load`) and copied to --into when new there, or when its newest `date` is
  later than the landed file's; an older or identical one is left, and `.partial-` files
  (scoring unfinished) are listed so that their scoring can resume.
- `--close X.json`: the `.partial-` file of X.json lands as X.json, its entry closed at its last
  scored length. For a run whose weights stay on the device (session 30's 113M Transformer), whose
  scoring therefore cannot resume; the leaderboard README says which entries were closed so.

Exit status 1 when an entry is malformed (named, with its field), else 0.

Usage:
  python scripts/land_entries.py /work/.device/3 [--root .] [--board runs/paper/board]
      [--into leaderboards/paper] [--dry-run] [--close X.json ...]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tarfile
from pathlib import Path

from toolenv.leaderboard import PARTIAL_MARK, LeaderboardError, load, save


def archives(source: Path) -> list[bytes]:
    """Each archive in ``source`` (a folder or one file); split parts joined in order."""
    files = sorted(source.iterdir()) if source.is_dir() else [source]
    whole = [p.read_bytes() for p in files if p.name.endswith(".tgz")]
    parts: dict[str, list[Path]] = {}
    for p in files:
        if ".tgz.part-" in p.name:
            parts.setdefault(p.name.split(".part-")[0], []).append(p)
    return whole + [b"".join(p.read_bytes() for p in sorted(group)) for _, group in sorted(parts.items())]


def unpack(source: Path, root: Path) -> list[str]:
    """Extract every archive of ``source`` under ``root``; the names of the files written. A file
    already there that is newer than the archive's copy is kept (an earlier call's archive
    unpacked after a later one's changes nothing the later one brought)."""
    written = []
    for data in archives(source):
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and not newer_there(root / m.name, m.mtime)]
            tar.extractall(root, members=members, filter="data")
            written += [m.name for m in members]
    return written


def newer_there(path: Path, mtime: float) -> bool:
    return path.is_file() and path.stat().st_mtime > mtime


def land(board: Path, into: Path, dry_run: bool = False, close: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(file name, status) for each file of ``board``: new, newer (both copied), same, older,
    unfinished (a `.partial-` file whose entry is not there; one whose entry is: same) or
    `invalid: why`. The `.partial-` file of an entry named in ``close`` is landed as that entry
    (status of the entry's name: new, newer, same or older)."""
    report = []
    for path in sorted(board.glob("*.json")):
        name = path.name
        if PARTIAL_MARK in name:  # `X.json.partial-NAME-REGIME.json`: scoring of X.json in progress
            name = name.split(PARTIAL_MARK)[0]
            if (board / name).exists():
                report.append((path.name, "same"))
                continue
            if name not in close:
                report.append((path.name, "unfinished"))
                continue
        try:
            entries = load(path)
            target = into / name
            landed = load(target) if target.exists() else None
        except LeaderboardError as e:
            report.append((path.name, f"invalid: {e}"))
            continue
        if landed is None:
            status = "new"
        elif landed == entries:
            status = "same"
        elif max(e.date for e in entries) > max(e.date for e in landed):
            status = "newer"
        else:
            status = "older"
        if status in ("new", "newer") and not dry_run:
            into.mkdir(parents=True, exist_ok=True)
            if name == path.name:
                shutil.copyfile(path, target)
            else:  # a closed `.partial-` file: written as a finished entry file (a list) under X.json
                save(target, entries)
        report.append((name, status))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", type=Path, help="device files folders or archives to unpack first")
    parser.add_argument("--root", type=Path, default=Path("."), help="the checkout the archives' paths are under")
    parser.add_argument("--board", type=Path, default=None, help="default: ROOT/runs/paper/board")
    parser.add_argument("--into", type=Path, default=None, help="default: ROOT/leaderboards/paper")
    parser.add_argument("--dry-run", action="store_true", help="report, copy nothing (archives are still unpacked)")
    parser.add_argument("--close", action="append", default=[], metavar="X.json", help="land this entry's "
                        "`.partial-` file as the entry, closed at its last scored length (weights that cannot come "
                        "back); repeatable")
    args = parser.parse_args()
    for source in args.sources:
        if not source.exists():
            raise SystemExit(f"{source}: no such file or folder")
        print(f"{source}: {len(unpack(source, args.root))} files unpacked under {args.root}")
    board = args.board or args.root / "runs" / "paper" / "board"
    into = args.into or args.root / "leaderboards" / "paper"
    if not board.is_dir():
        raise SystemExit(f"{board}: no such folder (nothing came back, or another --board)")
    unknown = [n for n in args.close if not any(board.glob(f"{n}{PARTIAL_MARK}*.json"))]
    if unknown:
        raise SystemExit(f"--close: no `.partial-` file of {', '.join(unknown)} in {board}")
    report = land(board, into, args.dry_run, frozenset(args.close))
    for name, status in report:
        if status != "same":
            print(f"{status:>10}  {name}")
    copied = [n for n, s in report if s in ("new", "newer")]
    verb = "would copy" if args.dry_run else "copied"
    print(f"{verb} {len(copied)} entries into {into}" + (f": commit them (git add {into})" if copied else ""))
    if any(s.startswith("invalid") for _, s in report):
        sys.exit(1)


if __name__ == "__main__":
    main()
