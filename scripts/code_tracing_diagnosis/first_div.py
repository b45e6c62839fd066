"""First divergence from the oracle under greedy decoding = first agent position where the
teacher-forced argmax differs from the oracle token (prefixes are equal up to there).
Classified with tf_eval's labels. Usage: first_div.py CKPT TASK LENGTH N"""
import sys; sys.path.insert(0, 'scripts/code_tracing_diagnosis'); sys.path.insert(0, '.')
args = sys.argv[1:]
from tf_eval import label
import ct_ops, toolenv, torch
from collections import Counter
from toolenv import vocab
from agents.checkpoint import load_backbone
ckpt, task_name, L, N = args[0], args[1], int(args[2]), int(args[3])
torch.set_num_threads(1)
model, _ = load_backbone(ckpt, 'cpu'); model.eval(); t = toolenv.get_task(task_name)
first = Counter(); pairs = Counter(); state_idx = Counter(); none = 0
with torch.no_grad():
    for i in range(N):
        p = t.problem('test', L, i); tr = t.oracle(p); labs = label(tr, p.prompt)
        toks = torch.tensor(tr.tokens, dtype=torch.long)
        pred = model(torch.cat([torch.tensor([vocab.BOS]), toks[:-1]])[None])[0].argmax(-1)
        m = torch.tensor(tr.loss_mask()); pos = m.nonzero()[:, 0].tolist()
        bad = [k for k, j in enumerate(pos) if pred[j] != toks[j]]
        if not bad: none += 1; continue
        k = bad[0]; first[labs[k]] += 1; pairs[(labs[k], vocab.token_name(int(toks[pos[k]])), vocab.token_name(int(pred[pos[k]])))] += 1
        # which state line (1-based) holds it
        state_idx[sum(1 for x in labs[:k] if x == 't_newline') + 1] += 1
print(f"{ckpt} length {L}: {N} test episodes, {none} follow the oracle to the end (teacher-forced argmax)")
print('first divergence by category:', ', '.join(f'{k} {v}' for k, v in first.most_common()))
print('by thought line number (1 = first line written):', ', '.join(f'{k}:{v}' for k, v in sorted(state_idx.items())))
print('top (category, oracle, model):', '; '.join(f'{a} {b!r}->{c!r} x{v}' for (a, b, c), v in pairs.most_common(8)))
