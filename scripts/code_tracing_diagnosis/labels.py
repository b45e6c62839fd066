"""Label every agent token of a code_tracing oracle trajectory with what it requires."""
import re, numpy as np, toolenv
from toolenv import vocab
from toolenv.trajectory import Role, AGENT_ROLES
import importlib; ct = importlib.import_module(toolenv.get_task('code_tracing').__class__.__module__)

def form_of(rhs):
    if len(rhs) == 1:
        return 'const' if rhs.isdigit() else 'copy'
    if rhs.startswith('('):
        return 'add' if rhs[2] == '+' else 'sub'
    return 'mul'

def state_events(program):
    """Mirror of CodeTracing.oracle's control flow: one event per state line."""
    lines = program.split('\n')[:-1]
    ev = []; more = None; i = 0
    while not lines[i].startswith('print'):
        s = lines[i].strip()
        nxt = lines[i + 1]
        if s.startswith('for'):
            more = int(s[len('for _ in range(')]) - 1
            ev.append(dict(kind='for', var=None, form=None, loopd='start'))
            i += 1; start = i
            continue
        had = more is not None
        if more == 0 and not nxt.startswith(' '):
            more = None
        ev.append(dict(kind='assign', var=s[0], form=form_of(s[2:]), loopd='copy' if more is not None else None))
        if more is not None and not nxt.startswith(' '):
            more -= 1
            ev.append(dict(kind='walk', var=None, form=None, loopd='dec'))
            i = start
            continue
        i += 1
    return ev

def label(tr, program):
    ev = state_events(program)
    labs = []; k = 0; cur = None; pos = 0
    toks = tr.tokens.tolist(); roles = tr.roles.tolist()
    prev_tok = None
    for tok, r in zip(toks, roles):
        if r not in AGENT_ROLES:
            continue
        name = vocab.token_name(tok)
        if r == Role.COMMAND:
            labs.append('cmd')
        elif r == Role.OUTPUT:
            labs.append('out_digit' if name.isdigit() else 'out_' + {' ': 'space'}.get(name, name))
        else:  # thought
            if cur is None:
                cur = ev[k]; k += 1; after_bar = False; lastvar = None
            if name == '\n':
                labs.append('t_newline'); cur = None
            elif name == '|':
                labs.append('t_bar'); after_bar = True
            elif name in 'abcd':
                labs.append('t_var'); lastvar = name
            elif after_bar:
                labs.append('loop_' + cur['loopd'])
            elif cur['kind'] == 'assign' and lastvar == cur['var']:
                labs.append('val_' + cur['form'])
            else:
                labs.append('val_unchanged_' + cur['kind'])
    assert k == len(ev), (k, len(ev))
    return labs

if __name__ == '__main__':
    from collections import Counter
    t = toolenv.get_task('code_tracing')
    c = Counter(); n = 0; res = {f: Counter() for f in ('add','sub','mul','copy','const')}
    for idx in range(2000):
        p = t.problem('train', 10, idx, 0)
        tr = t.oracle(p); labs = label(tr, p.prompt); c.update(labs); n += 1
    tot = sum(c.values())
    for kk, v in sorted(c.items(), key=lambda x: -x[1]):
        print(f"{kk:28s} {v/n:8.2f} per traj  {v/tot:7.4f} of agent tokens")
    print('agent tokens per traj', tot / n)
