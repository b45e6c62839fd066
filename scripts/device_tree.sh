#!/usr/bin/env bash
# What a device call sends, and how to make it fit. A call carries the checkout's tracked files, its
# untracked files that git does not ignore and the paths named in `carry`, 64 MiB in all
# (../.library/device/README.md). The weights kept in checkpoints/ (37 MB in session 27) and
# Mamba-1's compiled objects in .whl/ (37 MB) do not fit together, so a lease that needs the objects
# sets tracked folders aside for its duration:
#   size [CARRY...]   - MB that would travel: tracked + untracked-not-ignored files, and each CARRY path
#   hide PATH...      - untrack PATH (git rm --cached) and move it to .device-hold/PATH (ignored, inside the
#                       checkout, so nothing leaves it); refused if PATH has uncommitted changes
#   restore           - move every held path back and track it again (git reset); the files come back as
#                       committed, and `git status` is as before `hide`
#   status            - the held paths
# Never commit between `hide` and `restore`: the commit would record the paths' deletion (the script
# refuses to hide while anything is staged, and `restore` says if HEAD moved since `hide`).
# Usage: bash scripts/device_tree.sh hide checkpoints; (device calls with carry [".whl"]); bash scripts/device_tree.sh restore
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
hold=.device-hold
mb() { awk '{s += $1} END {printf "%.1f", s / 1e6}'; }

case ${1:-} in
size)
  shift
  tracked=$(git ls-files -z | xargs -0 -r stat -c %s -- 2>/dev/null | mb)
  others=$(git ls-files -z --others --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | mb)
  carried=0
  [ $# -gt 0 ] && carried=$(find "$@" -type f -print0 | xargs -0 -r stat -c %s -- | mb)
  total=$(printf '%s\n' "$tracked" "$others" "$carried" | awk '{s += $1} END {printf "%.1f", s}')
  verdict=$(awk -v t="$total" 'BEGIN {print (t * 1e6 <= 64 * 1048576) ? "fits" : "over the limit"}')
  echo "tracked ${tracked} MB, untracked ${others} MB, carried ${carried} MB: ${total} MB, ${verdict} (64 MiB = 67.1 MB)"
  ;;
hide)
  shift
  [ $# -gt 0 ] || { echo "hide: name the tracked paths to set aside" >&2; exit 2; }
  git diff --cached --quiet || { echo "hide: the index has staged changes; commit or unstage them first" >&2; exit 1; }
  for p in "$@"; do
    [ -n "$(git ls-files -- "$p")" ] || { echo "hide: $p holds no tracked file" >&2; exit 1; }
    [ -z "$(git status --porcelain -- "$p")" ] || { echo "hide: $p has uncommitted changes" >&2; exit 1; }
    [ ! -e "$hold/$p" ] || { echo "hide: $hold/$p exists already (restore first)" >&2; exit 1; }
  done
  grep -qxF "/$hold/" .git/info/exclude 2>/dev/null || echo "/$hold/" >> .git/info/exclude
  for p in "$@"; do
    git rm -r -q --cached -- "$p"
    mkdir -p "$hold/$(dirname "$p")" && mv "$p" "$hold/$p"
    echo "$p" >> "$hold/.paths"
  done
  git rev-parse HEAD > "$hold/.head"
  echo "held: $*; restore with: bash scripts/device_tree.sh restore"
  ;;
restore)
  [ -f "$hold/.paths" ] || { echo "restore: nothing held"; exit 0; }
  [ "$(git rev-parse HEAD)" = "$(cat "$hold/.head")" ] \
    || echo "restore: HEAD moved since hide: check that no commit recorded the held paths' deletion" >&2
  left=()
  while read -r p; do
    if [ -e "$p" ]; then echo "restore: $p exists in the checkout; left in $hold/$p" >&2; left+=("$p"); continue; fi
    mkdir -p "$(dirname "$p")" && mv "$hold/$p" "$p"
    git reset -q -- "$p"
    echo "restored: $p"
  done < "$hold/.paths"
  if [ ${#left[@]} -gt 0 ]; then printf '%s\n' "${left[@]}" > "$hold/.paths"; exit 1; fi
  rm -f "$hold/.paths" "$hold/.head"
  ;;
status)
  if [ -f "$hold/.paths" ]; then echo "held:"; cat "$hold/.paths"; else echo "nothing held"; fi
  ;;
*)
  echo "usage: $0 size [CARRY...] | hide PATH... | restore | status" >&2; exit 2 ;;
esac
