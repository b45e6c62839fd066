"""What exact-answer rate does an agent get that is perfect except that every +,-,* result is a guess?"""
import numpy as np, toolenv, math, sys
from collections import Counter
sys.path.insert(0, 'scripts/code_tracing_diagnosis'); from labels import form_of
t = toolenv.get_task('code_tracing')
import importlib; ct = importlib.import_module(t.__class__.__module__)

def run(program, rng, mode):
    lines = program.split('\n')[:-1]; state = {}; i = 0; stmts = []
    while i < len(lines) - 1:
        m = ct._FOR.fullmatch(lines[i])
        if m:
            body = []
            while lines[i + 1 + len(body)].startswith('    '):
                body.append(lines[i + 1 + len(body)][4:])
            stmts += body * int(m.group(1)); i += 1 + len(body)
        else:
            stmts.append(lines[i]); i += 1
    for s in stmts:
        f = form_of(s[2:]); v = ct.evaluate(s[2:], state)
        if mode == 'guess' and f in ('add', 'sub', 'mul'):
            v = int(rng.integers(10))
        state[s[0]] = v
    return ' '.join(str(state[c]) for c in lines[-1][6:-1].split(','))

rng = np.random.default_rng(0)
res = Counter()
for f in ('add','sub','mul'):
    pass
dist = {f: Counter() for f in ('add','sub','mul')}
for idx in range(3000):
    p = t.problem('train', 10, idx)
    st = {}
    for line in p.prompt.split('\n')[:-2]:
        s = line.strip()
        if s.startswith('for'): continue
        # value distribution of results (first pass only, approx)
print('per-length exact rate of a perfect-except-arithmetic (uniform guess) agent:')
for L in (1, 2, 3, 5, 10):
    ok = 0; N = 2000
    for idx in range(N):
        p = t.problem('test', L, idx)
        ok += run(p.prompt, rng, 'guess') == p.answer
    print(L, f"{ok/N:.3f}")
