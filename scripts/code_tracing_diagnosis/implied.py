"""Exact-answer rate of an agent perfect except that each +,-,* result is right with prob p (else a uniform wrong digit)."""
import sys; sys.path.insert(0, 'scripts/code_tracing_diagnosis')
import numpy as np, toolenv, importlib
from labels import form_of
t = toolenv.get_task('code_tracing'); ct = importlib.import_module(t.__class__.__module__)
def stmts_of(program):
    lines = program.split('\n')[:-1]; i = 0; out = []
    while i < len(lines) - 1:
        m = ct._FOR.fullmatch(lines[i])
        if m:
            body = []
            while lines[i + 1 + len(body)].startswith('    '): body.append(lines[i + 1 + len(body)][4:])
            out += body * int(m.group(1)); i += 1 + len(body)
        else: out.append(lines[i]); i += 1
    return out, lines[-1][6:-1].split(',')
probs = {L: [t.problem('test', L, i) for i in range(1000)] for L in (3, 5, 10)}
rng = np.random.default_rng(0)
print('p  ' + '  '.join(f'L={L}' for L in probs))
for p in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
    row = []
    for L, ps in probs.items():
        ok = 0
        for pr in ps:
            ss, pv = stmts_of(pr.prompt); st = {}
            for s in ss:
                v = ct.evaluate(s[2:], st)
                if form_of(s[2:]) in ('add', 'sub', 'mul') and rng.random() > p:
                    v = (v + int(rng.integers(1, 10))) % 10
                st[s[0]] = v
            ok += ' '.join(str(st[c]) for c in pv) == pr.answer
        row.append(ok / len(ps))
    print(p, '  '.join(f'{r:.3f}' for r in row))
arith = np.mean([sum(form_of(s[2:]) in ('add','sub','mul') for s in stmts_of(pr.prompt)[0]) for pr in probs[10]])
print('mean +,-,* executions per length-10 program', arith)
