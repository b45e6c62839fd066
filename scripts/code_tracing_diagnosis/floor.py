import numpy as np, toolenv, math, sys
from collections import Counter
sys.path.insert(0, 'scripts/code_tracing_diagnosis'); from labels import label
from toolenv import vocab
from toolenv.trajectory import AGENT_ROLES
t = toolenv.get_task('code_tracing')
d = {}; tot = 0; N = 2000
for idx in range(N):
    p = t.problem('train', 10, idx); tr = t.oracle(p); labs = label(tr, p.prompt)
    acts = [tok for tok, r in zip(tr.tokens.tolist(), tr.roles.tolist()) if r in AGENT_ROLES]
    tot += len(acts)
    for a, l in zip(acts, labs):
        d.setdefault(l, Counter())[vocab.token_name(a)] += 1
floor = 0
for l in ('val_add', 'val_sub', 'val_mul', 'val_copy', 'val_unchanged_assign'):
    c = d[l]; n = sum(c.values()); H = -sum(v/n*math.log(v/n) for v in c.values())
    print(l, n/N, 'marginal entropy %.3f nats' % H)
    if l in ('val_add','val_sub','val_mul'): floor += n * H
print('loss per agent token if only +,-,* results are unknown (marginal): %.4f' % (floor / tot))
