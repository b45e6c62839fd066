"""Teacher-forced loss and argmax accuracy per token category (labels.py) of a checkpoint.
Usage: tf_eval.py CKPT TASK [N]"""
import sys; sys.path.insert(0, 'scripts/code_tracing_diagnosis'); sys.path.insert(0, '.')
import ct_ops, toolenv, torch, numpy as np, json
import torch.nn.functional as F
from collections import defaultdict
from toolenv import vocab
from toolenv.trajectory import Role, AGENT_ROLES
from labels import state_events
from agents.checkpoint import load_backbone

def label(tr, program):
    ev = state_events(program); labs = []; k = 0; cur = None; opline = False
    for tok, r in zip(tr.tokens.tolist(), tr.roles.tolist()):
        if r not in AGENT_ROLES: continue
        name = vocab.token_name(tok)
        if r == Role.COMMAND: labs.append('cmd'); continue
        if r == Role.OUTPUT: labs.append('out_digit' if name.isdigit() else 'out_other'); continue
        if cur is None and not opline:
            if name.isdigit(): opline = True; pos = 0
            else: cur = ev[k]; k += 1; after_bar = False; lastvar = None
        if opline:
            labs.append(['op_u', 'op_sym', 'op_v', 'op_eq', 'op_result', 't_newline'][pos]); pos += 1
            if name == '\n': opline = False
            continue
        if name == '\n': labs.append('t_newline'); cur = None
        elif name == '|': labs.append('t_bar'); after_bar = True
        elif name in 'abcd': labs.append('t_var'); lastvar = name
        elif after_bar: labs.append('loop_' + cur['loopd'])
        elif cur['kind'] == 'assign' and lastvar == cur['var']: labs.append('val_' + cur['form'])
        else: labs.append('val_unchanged_' + cur['kind'])
    assert k == len(ev)
    return labs

if __name__ == '__main__':
    ckpt, task_name = sys.argv[1], sys.argv[2]; N = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    torch.set_num_threads(1)
    model, info = load_backbone(ckpt, 'cpu'); model.eval()
    t = toolenv.get_task(task_name)
    S = defaultdict(lambda: [0, 0.0, 0])  # count, loss, correct
    with torch.no_grad():
        for idx in range(N):
            p = t.problem('test', 1 + idx % 10, idx // 10)  # held-out problems, lengths 1..10
            tr = t.oracle(p); labs = label(tr, p.prompt)
            toks = torch.tensor(tr.tokens, dtype=torch.long)
            inp = torch.cat([torch.tensor([vocab.BOS]), toks[:-1]])[None]
            logits = model(inp)[0].float()
            m = torch.tensor(tr.loss_mask())
            ce = F.cross_entropy(logits[m], toks[m], reduction='none'); ok = (logits[m].argmax(-1) == toks[m])
            for l, c, o in zip(labs, ce.tolist(), ok.tolist()):
                s = S[l]; s[0] += 1; s[1] += c; s[2] += o
    tot = sum(s[0] for s in S.values()); totloss = sum(s[1] for s in S.values())
    print(f"{ckpt} ({task_name}, {N} held-out trajectories, lengths 1-10): mean loss/agent token {totloss/tot:.4f}")
    print(f"{'category':24s} {'n':>6s} {'loss':>7s} {'acc':>6s} {'share of loss':>13s}")
    for l, (n, c, o) in sorted(S.items(), key=lambda x: -x[1][1]):
        print(f"{l:24s} {n:6d} {c/n:7.3f} {o/n:6.3f} {c/totloss:13.3f}")

