# Session 13's last device call (a fresh H200, after the machine of its first calls went back idle):
# session 12's Hanoi Transformer seed 1 scored alone at 8 disks from its .partial file (checkpoints
# carried in runs/paper/), then seed 0. Seed 1's 8-disk batch did not finish in the 450 s it had
# (setup 19 s); nothing new was scored. Kept as the record of that measurement (docs/gpu.md).
export TOOLENV_GIT_COMMIT=7189db637b7487ea6e97d93ffc2393ec3f27543c PYTHONUNBUFFERED=1
bash scripts/gpu_session.sh > /tmp/setup.log 2>&1 || { tail /tmp/setup.log; exit 1; }
export PYTHONPATH=/tmp/site; mkdir -p runs/paper/board
cp leaderboards/paper/replicates/session12-hanoi-transformer/*.partial-* runs/paper/board/
ev() { setsid nohup python3 -m toolenv.cli eval runs/paper/hanoi-transformer-s$1 --lengths 6,7,8,9,10,11,12 --episodes 16 --batch-size 16 --stop-at-zero --device cuda --name transformer-small-s$1 --out runs/paper/board/hanoi-transformer-s$1.json > runs/paper/hanoi-tf-s$1.log 2>&1 < /dev/null & }
has8() { grep -q '"length": 8' runs/paper/board/hanoi-transformer-s1.json* 2>/dev/null; }
echo "setup ${SECONDS}s"; ev 1; s0=0
while [ $SECONDS -lt 470 ]; do
  if [ $s0 = 0 ] && { has8 || ! pgrep -f "hanoi-transformer-s1" > /dev/null; }; then echo "s1 8 disks done at ${SECONDS}s"; ev 0; s0=1; fi
  pgrep -f "toolenv.cli eval" > /dev/null || break; sleep 5
done
echo "end ${SECONDS}s"; cp runs/paper/board/hanoi-transformer-s* runs/paper/hanoi-tf-s*.log "$OUT"/ 2>/dev/null; ls "$OUT"
python3 -c "
import json,glob
for f in sorted(glob.glob('runs/paper/board/hanoi-transformer-s*')):
    d=json.load(open(f)); d=d if isinstance(d,dict) else d[0]
    print(f,[(r['length'],r['exact_accuracy'],r['truncated'],round(r['seconds'])) for r in d['results']])"
